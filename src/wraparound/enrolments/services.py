"""Writes to enrolments: start (from an accepted referral or a direct intake), end (closing
the referral's loop and freeing the slot), and record service events (outputs with costs)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES, Membership, User
from wraparound.audit.services import audit_record
from wraparound.consent.categories import DataCategory
from wraparound.consent.policy import Action, decide
from wraparound.directory.models import Service
from wraparound.enrolments.models import (
    DeliveryMode,
    EndReason,
    Enrolment,
    EnrolmentStatus,
    EventType,
    ServiceEvent,
)
from wraparound.flags.services import flags_refresh_after_commit
from wraparound.people.models import Person
from wraparound.referrals.models import Referral, ReferralStatus, WaitlistStatus
from wraparound.referrals.services import capacity_release, capacity_take, referral_transition

CATEGORY = DataCategory.PLANS_REFERRALS
# Ending an enrolment closes its referral: failed for these reasons, completed otherwise.
FAILED_ENDINGS: dict[str, str] = {
    EndReason.DISENGAGED: "unable-to-contact",
    EndReason.DECLINED: "person-declined",
    EndReason.INELIGIBLE: "not-eligible",
}
MAX_UNITS = Decimal("1000")


def _practitioner(actor: Actor, organisation_id: int) -> Membership:
    membership = actor.require_membership()
    if membership.role not in CASEWORK_ROLES:
        raise PermissionDenied(f"The {membership.get_role_display()} role cannot record services")
    if membership.organisation_id != organisation_id:
        raise PermissionDenied("Only the organisation running the service can do this")
    return membership


def _day(value: dt.date, *, field: str, not_before: dt.date | None = None) -> None:
    if value > timezone.localdate():
        raise ValidationError({field: ["The date cannot be in the future"]})
    if not_before is not None and value < not_before:
        raise ValidationError({field: [f"The date cannot be before {not_before:%d %B %Y}"]})


def enrolment_start(
    *,
    actor: Actor,
    referral: Referral | None = None,
    person: Person | None = None,
    service: Service | None = None,
    started_on: dt.date | None = None,
) -> Enrolment:
    """Enrol a person: from an accepted referral (which moves to in progress) or, with
    ``person`` and ``service``, as a direct intake that takes one of the service's slots."""
    if referral is not None:
        person, service = referral.person, referral.service
    if person is None or service is None:
        raise ValidationError({"service": ["Choose the person and the service"]})
    membership = _practitioner(actor, service.organisation_id)
    started_on = started_on or timezone.localdate()
    _day(started_on, field="started_on")
    try:
        with transaction.atomic():
            if referral is not None:
                referral = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
                if referral.status not in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS):
                    raise ValidationError(
                        {"referral": ["Accept the referral before enrolling the person"]}
                    )
                entry = getattr(referral, "waitlist_entry", None)
                if entry is not None and entry.status == WaitlistStatus.WAITING:
                    raise ValidationError(
                        {"referral": [f"{service.name} is full: the referral is on its waitlist"]}
                    )
                if referral.status == ReferralStatus.ACCEPTED:
                    referral_transition(
                        actor=actor, referral=referral, to=ReferralStatus.IN_PROGRESS
                    )
            else:
                if not decide(actor=actor, person=person, action=Action.VIEW):
                    raise PermissionDenied("You cannot enrol this person")
                if not capacity_take(service_id=service.pk):
                    raise ValidationError(
                        {
                            "service": [
                                f"{service.name} is full: refer the person to put them on "
                                "its waitlist"
                            ]
                        }
                    )
            enrolment = Enrolment.objects.create(
                network_id=person.network_id,
                person=person,
                service=service,
                organisation_id=service.organisation_id,
                referral=referral,
                started_on=started_on,
                enrolled_by_id=membership.user_id,
            )
            audit_record(
                actor=actor,
                action="enrolment.start",
                person_id=person.pk,
                target=enrolment,
                summary=f"Enrolled in {service.name}"
                + (f" from referral {referral.reference}" if referral else " (direct intake)"),
                categories=[CATEGORY],
            )
            flags_refresh_after_commit(person.pk)
    except IntegrityError as exc:
        raise ValidationError(
            {"service": [f"{person.full_name} is already enrolled in {service.name}"]}
        ) from exc
    return enrolment


def enrolment_end(
    *,
    actor: Actor,
    enrolment: Enrolment,
    ended_on: dt.date | None = None,
    end_reason: str,
    note: str = "",
) -> Enrolment:
    """End the enrolment, free its slot (offered to the waitlist) and close its referral:
    completed, or failed when the person disengaged, declined or was not eligible."""
    _practitioner(actor, enrolment.organisation_id)
    ended_on = ended_on or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if end_reason not in EndReason.values:
        errors["end_reason"] = ["Choose why the enrolment ended"]
    if end_reason == EndReason.OTHER and not note.strip():
        errors["end_note"] = ["Say why the enrolment ended"]
    if len(note) > 500:
        errors["end_note"] = ["Keep the note under 500 characters"]
    if errors:
        raise ValidationError(errors)
    _day(ended_on, field="ended_on", not_before=enrolment.started_on)
    with transaction.atomic():
        locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if locked.status == EnrolmentStatus.ENDED:
            raise ValidationError({"end_reason": ["This enrolment has ended already"]})
        locked.status = EnrolmentStatus.ENDED
        locked.ended_on = ended_on
        locked.end_reason = end_reason
        locked.end_note = note.strip()
        locked.save(update_fields=["status", "ended_on", "end_reason", "end_note"])
        label = EndReason(end_reason).label
        referral = locked.referral
        if referral is not None and referral.is_open:
            if end_reason in FAILED_ENDINGS:
                referral_transition(
                    actor=actor,
                    referral=referral,
                    to=ReferralStatus.FAILED,
                    reason_code=FAILED_ENDINGS[end_reason],
                    reason=f"Enrolment ended: {label}" + (f" — {note}" if note else ""),
                )
            else:
                referral_transition(
                    actor=actor,
                    referral=referral,
                    to=ReferralStatus.COMPLETED,
                    outcome=f"{label}" + (f": {note}" if note else ""),
                )
        elif referral is None:
            capacity_release(actor=actor, service=locked.service)
        audit_record(
            actor=actor,
            action="enrolment.end",
            person_id=locked.person_id,
            target=locked,
            summary=f"Enrolment in {locked.service.name} ended: {label}",
            categories=[CATEGORY],
        )
        flags_refresh_after_commit(locked.person_id)
    return locked


def service_event_record(
    *,
    actor: Actor,
    enrolment: Enrolment,
    on: dt.date,
    event_type: str,
    mode: str,
    delivered_by: User,
    units: Decimal = Decimal("1"),
    duration_minutes: int | None = None,
    note: str = "",
) -> ServiceEvent:
    """Record an output. Its cost is the units times the service's unit cost now, kept on the
    event so a later price change does not rewrite history."""
    membership = _practitioner(actor, enrolment.organisation_id)
    errors: dict[str, list[str]] = {}
    if event_type not in EventType.values:
        errors["event_type"] = ["Choose what kind of service was delivered"]
    if mode not in DeliveryMode.values:
        errors["mode"] = ["Choose how it was delivered"]
    if units <= 0 or units > MAX_UNITS:
        errors["units"] = [f"Units must be more than 0 and at most {MAX_UNITS}"]
    if duration_minutes is not None and not 0 < duration_minutes <= 24 * 60:
        errors["duration_minutes"] = ["The duration must be between 1 minute and 24 hours"]
    if len(note) > 500:
        errors["note"] = ["Keep the note under 500 characters"]
    if not Membership.objects.filter(
        user=delivered_by, organisation_id=enrolment.organisation_id, is_active=True
    ).exists():
        errors["delivered_by"] = [
            f"{delivered_by.name} is not a member of {enrolment.organisation.name}"
        ]
    if errors:
        raise ValidationError(errors)
    ended = enrolment.ended_on
    if on > timezone.localdate():
        raise ValidationError({"on": ["The date cannot be in the future"]})
    if on < enrolment.started_on or (ended is not None and on > ended):
        raise ValidationError({"on": ["The date must be within the enrolment"]})
    unit_cost = enrolment.service.unit_cost
    with transaction.atomic():
        event = ServiceEvent.objects.create(
            enrolment=enrolment,
            person_id=enrolment.person_id,
            service_id=enrolment.service_id,
            organisation_id=enrolment.organisation_id,
            on=on,
            event_type=event_type,
            units=units,
            duration_minutes=duration_minutes,
            mode=mode,
            delivered_by=delivered_by,
            unit_cost=unit_cost,
            cost=(units * unit_cost).quantize(Decimal("0.01")) if unit_cost is not None else None,
            note=note.strip(),
            recorded_by_id=membership.user_id,
        )
        audit_record(
            actor=actor,
            action="service_event.record",
            person_id=enrolment.person_id,
            target=event,
            summary=(
                f"{EventType(event_type).label} ({DeliveryMode(mode).label.lower()}) recorded "
                f"for {enrolment.service.name}"
            ),
            categories=[CATEGORY],
        )
    return event
