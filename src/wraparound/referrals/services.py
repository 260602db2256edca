"""Writes to referrals: create (draft or sent), move along the lifecycle, first contact,
capacity slots and the waitlist.

Who may move a referral where is ``models.TRANSITIONS``; a move that is not there, or not for
the actor's side, raises ``IllegalTransition`` carrying the moves that are allowed (the API
answers 409 with them). Capacity is taken with one conditional UPDATE, so two workers taking
the last slot at the same moment cannot both succeed (the database decides).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES, Membership, User
from wraparound.audit.services import audit_record
from wraparound.cases.models import Case, CaseStatus
from wraparound.consent.categories import DataCategory, category_label
from wraparound.consent.evidence import check_upload, clean_upload_name, store_upload
from wraparound.consent.policy import Action, decide, organisation_may_receive
from wraparound.directory.models import Service, ServiceStatus
from wraparound.directory.needs import NeedCategory
from wraparound.flags.services import flags_refresh_after_commit
from wraparound.notifications.services import notification_send
from wraparound.people.models import Household, HouseholdMember, Person
from wraparound.plans.models import Goal
from wraparound.referrals import waitlist
from wraparound.referrals.models import (
    BUNDLE_CATEGORIES,
    REASON_REQUIRED,
    REASONS_FOR,
    TERMINAL,
    TRANSITIONS,
    Referral,
    ReferralAttachment,
    ReferralStatus,
    ReferralTransition,
    Side,
    Urgency,
    WaitlistEntry,
    WaitlistStatus,
)
from wraparound.referrals.sla import calendar_for, due_times

S = ReferralStatus
CATEGORY = DataCategory.PLANS_REFERRALS
MAX_TEXT = 5000


class IllegalTransition(ValidationError):
    """A move the lifecycle does not allow from here, for this side."""

    def __init__(self, message: str, *, allowed: Sequence[str]) -> None:
        super().__init__({"status": [message]})
        self.allowed = list(allowed)


class ConsentRequired(ValidationError):
    """No consent covers sending this person's data to the receiving organisation."""

    def __init__(self, message: str, *, organisation_id: int, categories: Sequence[str]) -> None:
        super().__init__({"bundle": [message]})
        self.organisation_id = organisation_id
        self.categories = list(categories)


def _casework(actor: Actor) -> Membership:
    membership = actor.require_membership()
    if membership.role not in CASEWORK_ROLES:
        raise PermissionDenied(
            f"The {membership.get_role_display()} role cannot work with referrals"
        )
    return membership


def sides_of(actor: Actor, referral: Referral) -> set[str]:
    """The sides of the referral the actor's organisation is on (none, one or both)."""
    membership = actor.membership
    if membership is None or not membership.is_active:
        return set()
    sides: set[str] = set()
    if membership.organisation_id == referral.referring_organisation_id:
        sides.add(Side.REFERRER)
    if membership.organisation_id == referral.receiving_organisation_id:
        sides.add(Side.RECEIVER)
    return sides


def allowed_moves(actor: Actor, referral: Referral) -> list[str]:
    moves: list[str] = []
    for side in sorted(sides_of(actor, referral)):
        moves += [m for m in referral.allowed_moves(side) if m not in moves]
    return moves


def _text(errors: dict[str, list[str]], name: str, value: str, *, required: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        errors.setdefault(name, []).append(required)
    if len(value) > MAX_TEXT:
        errors.setdefault(name, []).append(f"Keep it under {MAX_TEXT} characters")
    return value


def check_bundle(*, person: Person, organisation_id: int, bundle: Sequence[str]) -> list[str]:
    """The bundle, cleaned, or ``ConsentRequired``/``ValidationError`` naming what cannot go."""
    unknown = [c for c in bundle if c not in BUNDLE_CATEGORIES]
    if unknown:
        raise ValidationError(
            {"bundle": [f"Unknown data categories: {', '.join(sorted(map(str, unknown)))}"]}
        )
    wanted = [DataCategory.IDENTITY, *dict.fromkeys(bundle)]
    refused = [
        category
        for category in wanted
        if not organisation_may_receive(
            person=person, organisation_id=organisation_id, category=category
        )
    ]
    if refused:
        if DataCategory.IDENTITY in refused:
            message = (
                "No consent covers sharing this person's details with the receiving "
                "organisation: record their consent first"
            )
        else:
            labels = ", ".join(category_label(c) for c in refused)
            message = f"The person's consent does not cover sharing {labels} with them"
        raise ConsentRequired(message, organisation_id=organisation_id, categories=refused)
    return [str(c) for c in wanted[1:]]


def _notify(referral: Referral, *, subject: str, kind: str, to: Sequence[User | None]) -> None:
    notification_send(
        recipients=to,
        subject=f"{referral.reference}: {subject}",
        kind=kind,
        url=reverse("referrals:detail", args=[referral.pk]),
    )


def _key_workers(referral: Referral) -> list[User | None]:
    if referral.case_id is not None and referral.case is not None:
        return [referral.case.key_worker]
    return list(
        User.objects.filter(
            pk__in=Case.objects.filter(
                person_id=referral.person_id,
                status__in=[CaseStatus.OPEN, CaseStatus.STEPPED_DOWN],
                key_worker__isnull=False,
            ).values("key_worker_id")
        )
    )


def _receiving_team(referral: Referral) -> list[User | None]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation_id=referral.receiving_organisation_id,
            memberships__is_active=True,
            memberships__role__in=sorted(CASEWORK_ROLES),
        ).distinct()
    )


def _set_due_times(referral: Referral, at: dt.datetime) -> None:
    service = referral.service
    due = due_times(
        calendar=calendar_for(referral.network_id),
        requested_at=at,
        response_hours=service.referral_response_hours,
        first_contact_days=service.first_contact_days,
    )
    referral.requested_at = at
    referral.respond_by = due.respond_by
    referral.first_contact_by = due.first_contact_by


def referral_create(
    *,
    actor: Actor,
    person: Person,
    service: Service,
    need: str,
    reason: str,
    urgency: str = Urgency.ROUTINE,
    bundle: Sequence[str] = (),
    notes: str = "",
    goal: Goal | None = None,
    case: Case | None = None,
    household: Household | None = None,
    send: bool = True,
) -> Referral:
    """Refer the person to a service from the actor's organisation: sent at once (requested)
    or kept as a draft. The bundle must be covered by the person's consent to the receiving
    organisation; without one, ``ConsentRequired`` (nothing is written)."""
    membership = _casework(actor)
    if not decide(actor=actor, person=person, action=Action.EDIT):
        raise PermissionDenied("You cannot refer this person")
    errors: dict[str, list[str]] = {}
    if service.organisation.network_id != person.network_id:
        errors["service"] = ["Choose a service of this network"]
    elif not service.accepts_referrals or service.status != ServiceStatus.ACTIVE:
        errors["service"] = [f"{service.name} does not take referrals"]
    if need not in NeedCategory.values:
        errors["need"] = ["Choose the need this referral is for"]
    elif service.pk and "service" not in errors:
        served = service.need_codes
        if served and need not in served:
            errors["need"] = [
                f"{service.name} does not meet {NeedCategory(need).label.lower()}; it meets "
                + ", ".join(NeedCategory(n).label.lower() for n in served)
            ]
    if urgency not in Urgency.values:
        errors["urgency"] = ["Choose routine, urgent or emergency"]
    reason = _text(errors, "reason", reason, required="Say why you are referring the person")
    notes = _text(errors, "notes", notes)
    if goal is not None and goal.plan.case.person_id != person.pk:
        errors["goal"] = ["That goal belongs to another person's plan"]
    if case is not None and case.person_id != person.pk:
        errors["case"] = ["That case is another person's"]
    if (
        household is not None
        and not HouseholdMember.objects.filter(household=household, person=person).exists()
    ):
        errors["household"] = ["The person is not a member of that household"]
    if errors:
        raise ValidationError(errors)
    cleaned = check_bundle(
        person=person, organisation_id=service.organisation_id, bundle=list(bundle)
    )
    if case is None:
        case = (
            Case.objects.filter(
                person=person,
                lead_organisation_id=membership.organisation_id,
                status__in=[CaseStatus.OPEN, CaseStatus.STEPPED_DOWN],
            )
            .order_by("-last_activity_at")
            .first()
        )
    now = timezone.now()
    with transaction.atomic():
        referral = Referral(
            network_id=person.network_id,
            person=person,
            household=household,
            case=case,
            service=service,
            receiving_organisation_id=service.organisation_id,
            referring_organisation_id=membership.organisation_id,
            referred_by_id=membership.user_id,
            need=need,
            goal=goal,
            reason=reason,
            urgency=urgency,
            notes=notes,
            bundle=cleaned,
            status=S.DRAFT,
            created_at=now,
            status_changed_at=now,
        )
        if send:
            referral.status = S.REQUESTED
            _set_due_times(referral, now)
        referral.save()
        moves = [("", S.DRAFT)] + ([(S.DRAFT, S.REQUESTED)] if send else [])
        ReferralTransition.objects.bulk_create(
            ReferralTransition(
                referral=referral,
                from_status=a,
                to_status=b,
                side=Side.REFERRER,
                at=now,
                by_id=membership.user_id,
                by_organisation_id=membership.organisation_id,
            )
            for a, b in moves
        )
        shared = ", ".join(category_label(c) for c in cleaned) or "identity only"
        audit_record(
            actor=actor,
            action="referral.create" if not send else "referral.send",
            person_id=person.pk,
            target=referral,
            summary=(
                f"Referral {referral.reference} to {service.name} ({service.organisation.name}) "
                f"{'sent' if send else 'drafted'}; shares {shared}"
            ),
            categories=[CATEGORY],
        )
        flags_refresh_after_commit(person.pk)
        if send:
            _notify(
                referral,
                subject=f"new {urgency} referral to {service.name}",
                kind="referral.requested",
                to=_receiving_team(referral),
            )
    return referral


def _locked(referral: Referral) -> Referral:
    return (
        Referral.objects.select_for_update(of=("self",))
        .select_related("service", "case")
        .get(pk=referral.pk)
    )


def _take_slot(service_id: int) -> bool:
    """Take one free slot of the service, or report there is none. Services with no cap
    (``capacity_available`` empty) always have room."""
    if Service.objects.filter(pk=service_id, capacity_available__isnull=True).exists():
        return True
    return bool(
        Service.objects.filter(pk=service_id, capacity_available__gt=0).update(
            capacity_available=F("capacity_available") - 1
        )
    )


def _release_slot(referral: Referral) -> None:
    referral.holds_slot = False
    Service.objects.filter(
        pk=referral.service_id,
        capacity_available__isnull=False,
        capacity_available__lt=F("capacity_total"),
    ).update(capacity_available=F("capacity_available") + 1)


def capacity_take(*, service_id: int) -> bool:
    """Take one slot of the service for a direct intake (no referral): True if one was free
    (or the service has no cap). Call inside the caller's transaction."""
    return _take_slot(service_id)


def capacity_release(*, actor: Actor, service: Service, referral: Referral | None = None) -> None:
    """Give a slot back (an enrolment ended, a direct intake left) and offer it to the top of
    the waitlist. With ``referral``, its ``holds_slot`` is cleared too."""
    with transaction.atomic():
        if referral is not None:
            locked = _locked(referral)
            if not locked.holds_slot:
                return
            _release_slot(locked)
            locked.save(update_fields=["holds_slot"])
        else:
            Service.objects.filter(
                pk=service.pk,
                capacity_available__isnull=False,
                capacity_available__lt=F("capacity_total"),
            ).update(capacity_available=F("capacity_available") + 1)
        waitlist_offer_next(actor=actor, service=service)


def waitlist_offer_next(*, actor: Actor, service: Service) -> WaitlistEntry | None:
    """Offer free slots of the service to the top of its waitlist, highest priority first;
    returns the last entry offered (None when nobody waits or nothing is free)."""
    offered: WaitlistEntry | None = None
    with transaction.atomic():
        version, weights = waitlist.current_policy(service.organisation.network_id)
        now = timezone.now()
        ranked = waitlist.rank(waitlist.candidates_for(service.pk), weights, now=now)
        for place in ranked:
            if not _take_slot(service.pk):
                break
            entry = WaitlistEntry.objects.select_for_update().get(pk=place.candidate.entry_id)
            entry.status = WaitlistStatus.OFFERED
            entry.offered_at = now
            entry.offered_score = place.score
            entry.offered_explanation = [f"policy version {version}", *place.explanation]
            entry.save(
                update_fields=["status", "offered_at", "offered_score", "offered_explanation"]
            )
            referral = Referral.objects.select_related("case").get(pk=entry.referral_id)
            Referral.objects.filter(pk=referral.pk).update(holds_slot=True)
            audit_record(
                actor=actor,
                action="referral.waitlist_offer",
                person_id=referral.person_id,
                target=referral,
                summary=(
                    f"A place at {service.name} offered to referral {referral.reference} "
                    f"(top of the waitlist, score {place.score:g})"
                ),
                categories=[CATEGORY],
            )
            _notify(
                referral,
                subject=f"a place at {service.name} is free for this referral",
                kind="referral.offered",
                to=[referral.referred_by, *_receiving_team(referral)],
            )
            offered = entry
    return offered


def _check_reason(to: str, reason_code: str, reason: str) -> None:
    if to not in REASON_REQUIRED:
        return
    errors: dict[str, list[str]] = {}
    label = S(to).label.lower()
    if reason_code not in REASONS_FOR[to]:
        errors["reason_code"] = [f"Choose why the referral is {label}"]
    if not reason.strip():
        errors["reason"] = [f"Explain why the referral is {label}"]
    if errors:
        raise ValidationError(errors)


def referral_transition(
    *,
    actor: Actor,
    referral: Referral,
    to: str,
    reason_code: str = "",
    reason: str = "",
    outcome: str = "",
) -> Referral:
    """Move the referral to ``to`` if the lifecycle allows it from here for the actor's side.
    Rejected, cancelled, on hold and failed need a coded reason and an explanation;
    completed needs the outcome (what was provided)."""
    membership = _casework(actor)
    if to not in S.values:
        raise ValidationError({"status": [f"{to!r} is not a referral status"]})
    with transaction.atomic():
        locked = _locked(referral)
        sides = sides_of(actor, locked)
        if not sides:
            raise PermissionDenied("This referral is not your organisation's")
        allowed = allowed_moves(actor, locked)
        who = TRANSITIONS.get(locked.status, {}).get(to)
        if to not in allowed:
            if who is None:
                message = (
                    f"A {locked.get_status_display().lower()} referral cannot become "
                    f"{S(to).label.lower()}"
                )
            else:
                message = f"Only {Side(who).label} can mark the referral {S(to).label.lower()}"
            raise IllegalTransition(message, allowed=allowed)
        errors: dict[str, list[str]] = {}
        reason = _text(errors, "reason", reason)
        outcome = _text(
            errors,
            "outcome",
            outcome,
            required="Record what was provided" if to == S.COMPLETED else "",
        )
        if errors:
            raise ValidationError(errors)
        _check_reason(to, reason_code, reason)
        entry = WaitlistEntry.objects.filter(referral=locked).first()
        if (
            to == S.IN_PROGRESS
            and entry is not None
            and entry.status == WaitlistStatus.WAITING
            and not locked.holds_slot
        ):
            raise ValidationError(
                {"status": [f"{locked.service.name} is full: the referral is on its waitlist"]}
            )
        now = timezone.now()
        from_status = locked.status
        side = Side.RECEIVER if Side.RECEIVER in sides and who != Side.REFERRER else Side.REFERRER
        locked.status = to
        locked.status_changed_at = now
        locked.status_reason_code = reason_code if to in REASON_REQUIRED else ""
        locked.status_reason = reason if to in REASON_REQUIRED else ""
        if to == S.REQUESTED:
            _set_due_times(locked, now)
        if from_status == S.REQUESTED and locked.responded_at is None:
            locked.responded_at = now
        if to == S.COMPLETED:
            locked.outcome = outcome
        freed = False
        if to == S.ACCEPTED and not locked.holds_slot and entry is None:
            if _take_slot(locked.service_id):
                locked.holds_slot = True
            else:
                entry = WaitlistEntry.objects.create(referral=locked, service_id=locked.service_id)
        if to == S.IN_PROGRESS and entry is not None and entry.status == WaitlistStatus.OFFERED:
            WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistStatus.PLACED)
        if to in TERMINAL:
            locked.closed_at = now
            if locked.holds_slot:
                _release_slot(locked)
                freed = True
            if entry is not None and entry.status in (
                WaitlistStatus.WAITING,
                WaitlistStatus.OFFERED,
            ):
                WaitlistEntry.objects.filter(pk=entry.pk).update(
                    status=WaitlistStatus.LEFT, left_at=now
                )
        locked.save()
        ReferralTransition.objects.create(
            referral=locked,
            from_status=from_status,
            to_status=to,
            side=side,
            at=now,
            by_id=membership.user_id,
            by_organisation_id=membership.organisation_id,
            reason_code=locked.status_reason_code,
            reason=locked.status_reason,
        )
        waiting = (
            " and put on the waitlist (no free place)"
            if to == S.ACCEPTED and entry is not None and entry.status == WaitlistStatus.WAITING
            else ""
        )
        audit_record(
            actor=actor,
            action=f"referral.{to}",
            person_id=locked.person_id,
            target=locked,
            summary=(
                f"Referral {locked.reference} {S(from_status).label.lower()} → "
                f"{S(to).label.lower()} by {membership.organisation.name}{waiting}"
                + (
                    f" ({locked.get_status_reason_code_display()})"
                    if locked.status_reason_code
                    else ""
                )
            ),
            categories=[CATEGORY],
        )
        flags_refresh_after_commit(locked.person_id)
        told = [locked.referred_by, *_key_workers(locked)]
        if Side.RECEIVER not in sides or to == S.REQUESTED:
            told += _receiving_team(locked)
        _notify(
            locked,
            subject=f"now {S(to).label.lower()}{waiting}",
            kind=f"referral.{to}",
            to=[u for u in told if u is None or u.pk != membership.user_id],
        )
        if freed:
            waitlist_offer_next(actor=actor, service=locked.service)
    referral.refresh_from_db()
    return locked


def referral_first_contact(
    *, actor: Actor, referral: Referral, at: dt.datetime | None = None
) -> Referral:
    """Record when the receiving service first reached the person (the second SLA clock)."""
    membership = _casework(actor)
    at = at or timezone.now()
    with transaction.atomic():
        locked = _locked(referral)
        if Side.RECEIVER not in sides_of(actor, locked):
            raise PermissionDenied("Only the receiving service records first contact")
        if locked.status not in (S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD):
            raise ValidationError(
                {"first_contact_at": ["Accept the referral before recording first contact"]}
            )
        if at > timezone.now():
            raise ValidationError({"first_contact_at": ["The time cannot be in the future"]})
        if locked.requested_at and at < locked.requested_at:
            raise ValidationError(
                {"first_contact_at": ["First contact cannot be before the referral was sent"]}
            )
        locked.first_contact_at = at
        locked.save(update_fields=["first_contact_at"])
        audit_record(
            actor=actor,
            action="referral.first_contact",
            person_id=locked.person_id,
            target=locked,
            summary=(
                f"First contact for referral {locked.reference} recorded by "
                f"{membership.organisation.name}"
            ),
            categories=[CATEGORY],
        )
    return locked


def referral_attach(
    *, actor: Actor, referral: Referral, upload: UploadedFile
) -> ReferralAttachment:
    """A document sent with the referral (by either side): checked by content, size and virus
    scan like every upload, encrypted at rest."""
    membership = _casework(actor)
    if not sides_of(actor, referral):
        raise PermissionDenied("This referral is not your organisation's")
    if referral.status in TERMINAL:
        raise ValidationError(
            {"file": ["The referral is closed: documents can no longer be added"]}
        )
    kind = check_upload(upload)
    attachment = ReferralAttachment(
        referral=referral,
        original_name=clean_upload_name(upload.name or ""),
        content_type=kind.content_type,
        size=upload.size or 0,
        uploaded_by_id=membership.user_id,
    )
    store_upload(
        attachment,
        "file",
        upload,
        kind,
        lambda: audit_record(
            actor=actor,
            action="referral.attach",
            person_id=referral.person_id,
            target=attachment,
            summary=f"{kind.label} ({attachment.size:,} bytes) added to referral "
            f"{referral.reference}",
            categories=[DataCategory.DOCUMENTS],
        ),
    )
    return attachment
