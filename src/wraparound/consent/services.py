"""Writes of the trust layer: consents, withdrawals, legal bases, break-glass and its review.

Nothing here is edited in place: a withdrawal or an ending is a record of its own, so the
history of who could see what, and why, is always there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES, Role, User
from wraparound.audit.services import audit_record
from wraparound.consent.categories import (
    NO_REDISCLOSURE,
    DataCategory,
    category_label,
)
from wraparound.consent.grants import sync_access_grants
from wraparound.consent.models import (
    BreakGlass,
    BreakGlassReason,
    Consent,
    ConsentCategory,
    ConsentWithdrawal,
    Evidence,
    LegalBasis,
    LegalBasisKind,
    Purpose,
    RecipientKind,
    Review,
)
from wraparound.consent.policy import Action, decide, portal_subject_access, require
from wraparound.consent.tasks import notify_break_glass
from wraparound.directory.models import Organisation, Sector
from wraparound.people.models import Person

LEGAL_BASIS_MAX_DAYS = 90
MIN_JUSTIFICATION = 20


def _labels(categories: Sequence[str]) -> str:
    return ", ".join(category_label(c) for c in categories)


def _consent_errors(
    *,
    person: Person,
    recipient_kind: str,
    purpose: str,
    categories: Sequence[str],
    evidence: str,
    recipient_organisation: Organisation | None,
    recipient_sector: str,
    purpose_detail: str,
    start: datetime,
    valid_until: datetime | None,
    evidence_note: str,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if recipient_kind not in RecipientKind.values:
        errors["recipient_kind"] = [gettext("Choose who the information may be shared with")]
    if recipient_kind == RecipientKind.ORGANISATION:
        if recipient_organisation is None:
            errors["recipient_organisation"] = [gettext("Choose the organisation")]
        elif recipient_organisation.network_id != person.network_id:
            errors["recipient_organisation"] = [gettext("That organisation is not in this network")]
    if recipient_kind == RecipientKind.SECTOR and recipient_sector not in Sector.values:
        errors["recipient_sector"] = [gettext("Choose the sector")]
    if purpose not in Purpose.values:
        errors["purpose"] = [gettext("Choose what the information may be used for")]
    if purpose == Purpose.REFERRAL and not purpose_detail.strip():
        errors["purpose_detail"] = [gettext("Say which referral the consent is for")]
    unknown = [c for c in categories if c not in DataCategory.values]
    if unknown:
        errors["categories"] = [f"Unknown category: {', '.join(unknown)}"]
    elif not categories:
        errors["categories"] = [gettext("Choose at least one kind of information")]
    no_redisclosure = [c for c in categories if c in NO_REDISCLOSURE]
    if no_redisclosure and recipient_kind != RecipientKind.ORGANISATION:
        errors.setdefault("categories", []).append(
            gettext(
                "%(categories)s can only be shared with one named organisation, never a whole "
                "sector or the network"
            )
            % {"categories": _labels(no_redisclosure).capitalize()}
        )
    if evidence not in Evidence.values:
        errors["evidence"] = ["Say how the consent was given"]
    if valid_until is not None and valid_until <= start:
        errors["valid_until"] = [gettext("The end must be after the start")]
    if len(purpose_detail.strip()) > 200:
        errors["purpose_detail"] = ["Must be 200 characters or fewer"]
    if len(evidence_note.strip()) > 300:
        errors["evidence_note"] = ["Must be 300 characters or fewer"]
    return errors


def _consent_create(
    *,
    actor: Actor,
    person: Person,
    recipient_kind: str,
    purpose: str,
    categories: Sequence[str],
    evidence: str,
    recipient_organisation: Organisation | None,
    recipient_sector: str,
    purpose_detail: str,
    valid_from: datetime | None,
    valid_until: datetime | None,
    evidence_note: str,
    recorded_by: User | None,
    recorded_by_organisation: Organisation | None,
) -> Consent:
    start = valid_from or timezone.now()
    errors = _consent_errors(
        person=person,
        recipient_kind=recipient_kind,
        purpose=purpose,
        categories=categories,
        evidence=evidence,
        recipient_organisation=recipient_organisation,
        recipient_sector=recipient_sector,
        purpose_detail=purpose_detail,
        start=start,
        valid_until=valid_until,
        evidence_note=evidence_note,
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        consent = Consent.objects.create(
            network_id=person.network_id,
            person=person,
            recipient_kind=recipient_kind,
            recipient_organisation=recipient_organisation
            if recipient_kind == RecipientKind.ORGANISATION
            else None,
            recipient_sector=recipient_sector if recipient_kind == RecipientKind.SECTOR else "",
            purpose=purpose,
            purpose_detail=purpose_detail.strip(),
            valid_from=start,
            valid_until=valid_until,
            evidence=evidence,
            evidence_note=evidence_note.strip(),
            recorded_by=recorded_by,
            recorded_by_organisation=recorded_by_organisation,
        )
        ConsentCategory.objects.bulk_create(
            ConsentCategory(consent=consent, category=c) for c in sorted(set(categories))
        )
        sync_access_grants([person.pk])
        until = f" until {timezone.localtime(valid_until):%d %b %Y}" if valid_until else ""
        audit_record(
            actor=actor,
            action="consent.record",
            person_id=person.pk,
            target=consent,
            summary=f"Consent recorded: {_labels(sorted(set(categories)))} may be shared with "
            f"{consent.recipient_label} for {Purpose(purpose).label.lower()}{until}",
            categories=categories,
            purpose=purpose,
        )
    return consent


def consent_record(
    *,
    actor: Actor,
    person: Person,
    recipient_kind: str,
    purpose: str,
    categories: Sequence[str],
    evidence: str,
    recipient_organisation: Organisation | None = None,
    recipient_sector: str = "",
    purpose_detail: str = "",
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    evidence_note: str = "",
) -> Consent:
    """Record a person's consent, as told to a worker whose organisation works with them."""
    require(decide(actor=actor, person=person, action=Action.EDIT))
    membership = actor.require_membership()
    return _consent_create(
        actor=actor,
        person=person,
        recipient_kind=recipient_kind,
        purpose=purpose,
        categories=categories,
        evidence=evidence,
        recipient_organisation=recipient_organisation,
        recipient_sector=recipient_sector,
        purpose_detail=purpose_detail,
        valid_from=valid_from,
        valid_until=valid_until,
        evidence_note=evidence_note,
        recorded_by=membership.user,
        recorded_by_organisation=membership.organisation,
    )


def consent_give_in_portal(
    *,
    actor: Actor,
    account_id: int,
    person: Person,
    recipient_kind: str,
    purpose: str,
    categories: Sequence[str],
    recipient_organisation: Organisation | None = None,
    recipient_sector: str = "",
    purpose_detail: str = "",
    valid_until: datetime | None = None,
) -> Consent:
    """The person (or someone they allowed to act for them) gives consent in the portal."""
    require(portal_subject_access(account_id=account_id, person_id=person.pk))
    return _consent_create(
        actor=actor,
        person=person,
        recipient_kind=recipient_kind,
        purpose=purpose,
        categories=categories,
        evidence=Evidence.PORTAL,
        recipient_organisation=recipient_organisation,
        recipient_sector=recipient_sector,
        purpose_detail=purpose_detail,
        valid_from=None,
        valid_until=valid_until,
        evidence_note=f"Given in the portal by {actor.display}",
        recorded_by=None,
        recorded_by_organisation=None,
    )


def _withdraw(actor: Actor, consent: Consent, reason: str) -> ConsentWithdrawal:
    if hasattr(consent, "withdrawal"):
        raise ValidationError({"consent": [gettext("This consent was already withdrawn")]})
    with transaction.atomic():
        withdrawal = ConsentWithdrawal.objects.create(
            consent=consent, withdrawn_by=actor.user, reason=reason.strip()[:300]
        )
        sync_access_grants([consent.person_id])
        audit_record(
            actor=actor,
            action="consent.withdraw",
            person_id=consent.person_id,
            target=consent,
            summary=f"Consent #{consent.pk} to share with {consent.recipient_label} withdrawn",
            categories=consent.category_codes,
            purpose=consent.purpose,
        )
    return withdrawal


def consent_withdraw(*, actor: Actor, consent: Consent, reason: str = "") -> ConsentWithdrawal:
    """Withdraw a consent: it stops counting on the very next request."""
    require(decide(actor=actor, person=consent.person, action=Action.EDIT))
    return _withdraw(actor, consent, reason)


def consent_withdraw_in_portal(
    *, actor: Actor, account_id: int, consent: Consent, reason: str = ""
) -> ConsentWithdrawal:
    """The person withdraws a consent in the portal: from the very next request."""
    require(portal_subject_access(account_id=account_id, person_id=consent.person_id))
    return _withdraw(actor, consent, reason or "withdrawn in the portal")


def legal_basis_record(
    *,
    actor: Actor,
    person: Person,
    kind: str,
    recipient_organisation: Organisation,
    categories: Sequence[str],
    reason: str,
    valid_until: datetime,
) -> LegalBasis:
    """A manager records sharing without consent (safeguarding, statutory duty)."""
    membership = actor.require_membership()
    if membership.role != Role.MANAGER:
        raise PermissionDenied("Only a manager can record a legal basis for sharing")
    require(decide(actor=actor, person=person, action=Action.EDIT))
    errors: dict[str, list[str]] = {}
    if kind not in LegalBasisKind.values:
        errors["kind"] = ["Choose the legal basis"]
    if recipient_organisation.network_id != person.network_id:
        errors["recipient_organisation"] = ["That organisation is not in this network"]
    unknown = [c for c in categories if c not in DataCategory.values]
    if unknown or not categories:
        errors["categories"] = [
            f"Unknown category: {', '.join(unknown)}" if unknown else "Choose what may be shared"
        ]
    if len(reason.strip()) < MIN_JUSTIFICATION:
        errors["reason"] = [f"Explain the reason in at least {MIN_JUSTIFICATION} characters"]
    now = timezone.now()
    if valid_until <= now:
        errors["valid_until"] = ["The end must be in the future"]
    elif valid_until > now + timedelta(days=LEGAL_BASIS_MAX_DAYS):
        errors["valid_until"] = [f"A legal basis lasts at most {LEGAL_BASIS_MAX_DAYS} days"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        basis = LegalBasis.objects.create(
            network_id=person.network_id,
            person=person,
            kind=kind,
            recipient_organisation=recipient_organisation,
            categories=sorted(set(categories)),
            reason=reason.strip(),
            valid_from=now,
            valid_until=valid_until,
            recorded_by=membership.user,
        )
        sync_access_grants([person.pk])
        audit_record(
            actor=actor,
            action="legal_basis.record",
            person_id=person.pk,
            target=basis,
            summary=f"{LegalBasisKind(kind).label}: {_labels(basis.categories)} shared with "
            f"{recipient_organisation.name} without consent until "
            f"{timezone.localtime(valid_until):%d %b %Y}",
            categories=categories,
        )
    return basis


def legal_basis_end(*, actor: Actor, basis: LegalBasis) -> LegalBasis:
    membership = actor.require_membership()
    if membership.role != Role.MANAGER:
        raise PermissionDenied("Only a manager can end a legal basis")
    require(decide(actor=actor, person=basis.person, action=Action.EDIT))
    if basis.ended_at is not None:
        return basis
    with transaction.atomic():
        LegalBasis.objects.filter(pk=basis.pk).update(ended_at=timezone.now())
        sync_access_grants([basis.person_id])
        basis.refresh_from_db()
        audit_record(
            actor=actor,
            action="legal_basis.end",
            person_id=basis.person_id,
            target=basis,
            summary=f"{basis.get_kind_display()} sharing with {basis.recipient_organisation} ended",
            categories=basis.categories,
        )
    return basis


def break_glass_start(
    *, actor: Actor, person: Person, reason: str, justification: str
) -> BreakGlass:
    """Emergency access to a record the actor may not otherwise see, for a limited time."""
    membership = actor.require_membership()
    if membership.role not in CASEWORK_ROLES:
        raise PermissionDenied(f"The {membership.get_role_display()} role cannot use break-glass")
    if person.network_id != membership.organisation.network_id:
        raise PermissionDenied("The person belongs to another network")
    errors: dict[str, list[str]] = {}
    if reason not in BreakGlassReason.values:
        errors["reason"] = ["Choose the emergency"]
    if len(justification.strip()) < MIN_JUSTIFICATION:
        errors["justification"] = [
            f"Explain why you need the record now, in at least {MIN_JUSTIFICATION} characters"
        ]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    minutes = membership.organisation.network.break_glass_minutes
    with transaction.atomic():
        access = BreakGlass.objects.create(
            network_id=person.network_id,
            user=membership.user,
            organisation=membership.organisation,
            person=person,
            reason=reason,
            justification=justification.strip(),
            started_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        sync_access_grants([person.pk])
        audit_record(
            actor=actor,
            action="break_glass.start",
            person_id=person.pk,
            target=access,
            summary=f"Emergency access for {minutes} minutes: {access.get_reason_display()}",
            categories=list(DataCategory),
            break_glass=True,
            decision_reason=justification.strip(),
        )
        transaction.on_commit(partial(notify_break_glass.enqueue, break_glass_id=access.pk))
    actor.cache.clear()  # the grounds loaded earlier in this request no longer hold
    return access


def break_glass_review(
    *, actor: Actor, access: BreakGlass, outcome: str, note: str = ""
) -> BreakGlass:
    """The privacy officer's verdict on one emergency access."""
    membership = actor.require_membership()
    if membership.role != Role.PRIVACY_OFFICER:
        raise PermissionDenied("Only a privacy officer reviews emergency access")
    if access.network_id != membership.organisation.network_id:
        raise PermissionDenied("That access belongs to another network")
    if access.review != Review.PENDING:
        raise ValidationError({"outcome": ["This access has already been reviewed"]})
    if outcome not in (Review.JUSTIFIED, Review.NOT_JUSTIFIED):
        raise ValidationError({"outcome": ["Choose justified or not justified"]})
    if outcome == Review.NOT_JUSTIFIED and not note.strip():
        raise ValidationError({"note": ["Say why the access was not justified"]})
    with transaction.atomic():
        BreakGlass.objects.filter(pk=access.pk, review=Review.PENDING).update(
            review=outcome,
            reviewed_by=actor.user,
            reviewed_at=timezone.now(),
            review_note=note.strip(),
        )
        access.refresh_from_db()
        audit_record(
            actor=actor,
            action="break_glass.review",
            person_id=access.person_id,
            target=access,
            summary=f"Emergency access #{access.pk} reviewed: "
            f"{access.get_review_display().lower()}",
        )
    return access
