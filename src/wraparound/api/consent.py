"""The trust layer: a person's consents, who looked at their record, emergency access.

Reads go through ``consent/selectors.py`` (and so the access policy), writes through
``consent/services.py``: a consent is recorded by an organisation working with the person,
the access log is for them and the network's privacy officers, break-glass is for casework
roles and is reviewed afterwards.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from wraparound.api.auth import request_actor
from wraparound.api.pagination import PageParams, page_of
from wraparound.api.schemas import (
    MAX_ID,
    AccessEventOut,
    BreakGlassIn,
    BreakGlassOut,
    ConsentCreateIn,
    ConsentOut,
    ConsentRecipientOut,
    ConsentWithdrawIn,
    PageOut,
    with_errors,
)
from wraparound.audit.models import AuditEvent
from wraparound.consent.models import BreakGlass, Consent
from wraparound.consent.selectors import (
    access_log,
    consent_get,
    consents_for_person,
    person_for_break_glass_id,
    person_for_trust_records,
)
from wraparound.consent.services import break_glass_start, consent_record, consent_withdraw
from wraparound.directory.models import Organisation
from wraparound.directory.selectors import organisations_list
from wraparound.people.selectors import person_get

router = Router(tags=["consent"])

PersonId = Path(..., ge=1, le=MAX_ID)
ConsentId = Path(..., ge=1, le=MAX_ID)


def _consent_out(consent: Consent) -> ConsentOut:
    organisation = consent.recipient_organisation
    withdrawal = getattr(consent, "withdrawal", None)
    return ConsentOut(
        id=consent.pk,
        person=consent.person_id,
        recipient=ConsentRecipientOut(
            kind=consent.recipient_kind,
            organisation=organisation.slug if organisation else None,
            sector=consent.recipient_sector or None,
        ),
        purpose=consent.purpose,
        purpose_detail=consent.purpose_detail,
        categories=sorted(consent.category_codes),
        valid_from=consent.valid_from,
        valid_until=consent.valid_until,
        evidence=consent.evidence,
        evidence_note=consent.evidence_note,
        status=consent.status().replace(" ", "_"),
        recorded_by=consent.recorded_by.username if consent.recorded_by else None,
        recorded_by_organisation=(
            consent.recorded_by_organisation.slug if consent.recorded_by_organisation else None
        ),
        recorded_at=consent.recorded_at,
        withdrawn_at=withdrawal.withdrawn_at if withdrawal else None,
    )


def _event_out(event: AuditEvent) -> AccessEventOut:
    return AccessEventOut(
        occurred_at=event.occurred_at,
        actor=event.actor_label,
        organisation=event.organisation_name,
        role=event.role,
        action=event.action,
        purpose=event.purpose,
        categories=list(event.categories),
        decision=event.decision,
        decision_reason=event.decision_reason,
        break_glass=event.break_glass,
    )


def _recipient_organisation(request: HttpRequest, slug: str | None) -> Organisation | None:
    if not slug:
        return None
    organisation = organisations_list(actor=request_actor(request)).filter(slug=slug).first()
    if organisation is None:
        raise ValidationError(
            {"recipient_organisation": [f"The organisation '{slug}' is not in this network"]}
        )
    return organisation


@router.get(
    "/people/{person_id}/consents",
    response=with_errors({200: list[ConsentOut]}, 404, 422),
    summary="A person's consents, in force or not",
)
def list_consents(request: HttpRequest, person_id: int = PersonId) -> list[ConsentOut]:
    actor = request_actor(request)
    person = person_for_trust_records(actor=actor, person_id=person_id, audit_as="api.consent.list")
    return [_consent_out(c) for c in consents_for_person(actor=actor, person=person)]


@router.post(
    "/people/{person_id}/consents",
    response=with_errors({201: ConsentOut}, 400, 403, 404, 422),
    summary="Record a consent the person gave",
)
def create_consent(
    request: HttpRequest, payload: ConsentCreateIn, person_id: int = PersonId
) -> Status[ConsentOut]:
    actor = request_actor(request)
    # Found with VIEW: someone who may see but not change the record hears 403 and why.
    person = person_get(actor=actor, person_id=person_id, audit_as=None)
    consent = consent_record(
        actor=actor,
        person=person,
        recipient_kind=payload.recipient_kind,
        recipient_organisation=_recipient_organisation(request, payload.recipient_organisation),
        recipient_sector=payload.recipient_sector,
        purpose=payload.purpose,
        purpose_detail=payload.purpose_detail,
        categories=payload.categories,
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
        evidence=payload.evidence,
        evidence_note=payload.evidence_note,
    )
    return Status(201, _consent_out(consent))


@router.post(
    "/consents/{consent_id}/withdraw",
    response=with_errors({200: ConsentOut}, 400, 403, 404, 422),
    summary="Withdraw a consent (it stops counting on the next request)",
)
def withdraw_consent(
    request: HttpRequest, payload: ConsentWithdrawIn | None = None, consent_id: int = ConsentId
) -> ConsentOut:
    actor = request_actor(request)
    consent = consent_get(actor=actor, consent_id=consent_id)
    consent_withdraw(actor=actor, consent=consent, reason=payload.reason if payload else "")
    return _consent_out(consent)


@router.get(
    "/people/{person_id}/access-log",
    response=with_errors({200: PageOut[AccessEventOut]}, 404, 422),
    summary="Who looked at the person's record, or was refused, newest first",
)
def get_access_log(
    request: HttpRequest, params: Query[PageParams], person_id: int = PersonId
) -> PageOut[AccessEventOut]:
    actor = request_actor(request)
    person = person_for_trust_records(actor=actor, person_id=person_id)
    count, page = page_of(access_log(actor=actor, person=person), params)
    return PageOut[AccessEventOut](
        count=count,
        page=params.page,
        page_size=params.page_size,
        results=[_event_out(event) for event in page],
    )


@router.post(
    "/break-glass",
    response=with_errors({201: BreakGlassOut}, 400, 403, 404, 422),
    summary="Emergency access to a person's record, for a limited time, reviewed afterwards",
)
def start_break_glass(request: HttpRequest, payload: BreakGlassIn) -> Status[BreakGlassOut]:
    actor = request_actor(request)
    person = person_for_break_glass_id(actor=actor, person_id=payload.person)
    access: BreakGlass = break_glass_start(
        actor=actor, person=person, reason=payload.reason, justification=payload.justification
    )
    return Status(
        201,
        BreakGlassOut(
            id=access.pk,
            person=access.person_id,
            reason=access.reason,
            started_at=access.started_at,
            expires_at=access.expires_at,
        ),
    )
