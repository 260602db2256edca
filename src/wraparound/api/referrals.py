"""Referrals: send (or draft) one, list them, read one, move it along its lifecycle, and
read it as FHIR (an SDOH Clinical Care ServiceRequest and Task in a Bundle).

Reads go through ``referrals/selectors.py`` (the two organisations on a referral, and whoever
the access policy lets see the person's plans and referrals), writes through
``referrals/services.py``. A referral you may not see is a 404, like one that does not exist.

Errors beyond the API's usual ones:

* no consent covers the receiving organisation (or a category of the bundle): 422 with
  ``"code": "consent_required"``, the organisation and the categories to record consent for;
* a move the lifecycle does not allow from the current status (or not for your side): 409
  with the moves that are allowed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Path, Query, Router, Schema, Status
from pydantic import ConfigDict, Field, StrictBool, StrictInt, field_validator

from wraparound.accounts.actor import Actor
from wraparound.api.auth import request_actor
from wraparound.api.errors import api_error
from wraparound.api.pagination import PageParams
from wraparound.api.schemas import MAX_ID, FieldErrorOut, PageOut, Text, with_errors
from wraparound.cases.models import Case
from wraparound.cases.selectors import case_get
from wraparound.consent.categories import DataCategory
from wraparound.directory.models import Service
from wraparound.directory.needs import NeedCategory
from wraparound.directory.selectors import network_services
from wraparound.people.models import Household
from wraparound.people.selectors import household_get, person_get
from wraparound.plans.models import Goal
from wraparound.plans.selectors import goal_get
from wraparound.referrals.fhir import referral_bundle_json
from wraparound.referrals.models import (
    BUNDLE_CATEGORIES,
    ReasonCode,
    Referral,
    ReferralStatus,
    Urgency,
    WaitlistEntry,
)
from wraparound.referrals.selectors import (
    ReferralView,
    audit_referral_list,
    inbox,
    key_worker_referrals,
    outbox,
    referral_for_update,
    referral_get,
    referrals_for_person,
    referrals_of_concern,
)
from wraparound.referrals.services import (
    MAX_TEXT,
    ConsentRequired,
    IllegalTransition,
    referral_create,
    referral_transition,
)

router = Router(tags=["referrals"])

ReferralId = Path(..., ge=1, le=MAX_ID)
FHIR_JSON = "application/fhir+json"

STATUSES: list[str] = [str(s) for s in ReferralStatus.values]


def _enum(values: Iterable[object]) -> dict[str, Any]:
    """OpenAPI's list of allowed values for a field."""
    return {"enum": [str(v) for v in values]}


# --- bodies --------------------------------------------------------------------------------


class PersonRefOut(Schema):
    id: int
    reference: str
    name: str = Field(description="Empty when the person's identity is no longer yours to see.")


class ServiceRefOut(Schema):
    id: int
    name: str


class ReferralSummaryOut(Schema):
    id: int
    reference: str = Field(description="What workers quote: R-000123.")
    status: str = Field(json_schema_extra=_enum(STATUSES))
    urgency: str = Field(json_schema_extra=_enum(Urgency.values))
    need: str = Field(json_schema_extra=_enum(NeedCategory.values))
    person: PersonRefOut
    service: ServiceRefOut
    referring_organisation: str = Field(description="Slug of the organisation that referred.")
    receiving_organisation: str = Field(description="Slug of the service's organisation.")
    referred_by: str = Field(description="Username of the worker who referred.")
    created_at: dt.datetime
    requested_at: dt.datetime | None = Field(description="When it was sent.")
    respond_by: dt.datetime | None = Field(description="SLA: answer due (working hours).")
    first_contact_by: dt.datetime | None = Field(description="SLA: first contact due.")
    responded_at: dt.datetime | None
    status_changed_at: dt.datetime
    overdue: bool = Field(description="Still requested after its response deadline.")


class TransitionOut(Schema):
    from_status: str = Field(description="Empty for the first record (created as a draft).")
    to_status: str
    side: str = Field(json_schema_extra=_enum(["referrer", "receiver", "either"]))
    at: dt.datetime
    by: str | None
    by_organisation: str | None
    reason_code: str
    reason: str


class WaitlistOut(Schema):
    status: str
    added_at: dt.datetime
    offered_at: dt.datetime | None


class ReferralOut(ReferralSummaryOut):
    reason: str = Field(description="Why the person was referred.")
    notes: str
    bundle: list[str] = Field(description="Data categories shared with the receiving service.")
    shown: list[str] = Field(description="The categories of the person's record you may see.")
    withheld: dict[str, str] = Field(description="Category to why you may not see it.")
    status_reason_code: str
    status_reason: str
    outcome: str = Field(description="What was provided (completed referrals).")
    first_contact_at: dt.datetime | None
    closed_at: dt.datetime | None
    holds_slot: bool = Field(description="Holds one of the service's capacity slots.")
    waitlist: WaitlistOut | None = Field(description="Its place on a full service's waitlist.")
    case: int | None
    goal: int | None
    household: int | None
    sides: list[str] = Field(description="Your organisation's side(s): referrer, receiver.")
    allowed_transitions: list[str] = Field(description="The statuses you may move it to now.")
    transitions: list[TransitionOut]


class ReferralCreateIn(Schema):
    """A referral of a person to a service. Sent at once (status requested) unless
    ``send`` is false (a draft). Identity always travels; ``bundle`` names the other data
    categories the receiving organisation may see, each needing the person's consent."""

    model_config = ConfigDict(extra="forbid")

    person: StrictInt = Field(ge=1, le=MAX_ID, description="The person's id.")
    service: StrictInt = Field(ge=1, le=MAX_ID, description="The service's id.")
    need: Text = Field(max_length=40, json_schema_extra=_enum(NeedCategory.values))
    reason: Text = Field(max_length=MAX_TEXT, description="Why you are referring the person.")
    urgency: Text = Field(
        default=Urgency.ROUTINE.value,
        max_length=20,
        json_schema_extra=_enum(Urgency.values),
    )
    bundle: list[Text] = Field(
        default_factory=list,
        max_length=len(DataCategory),
        json_schema_extra={
            "items": {"type": "string", "enum": [str(c) for c in BUNDLE_CATEGORIES]}
        },
    )
    notes: Text = Field(default="", max_length=MAX_TEXT)
    goal: StrictInt | None = Field(default=None, ge=1, le=MAX_ID, description="A plan goal.")
    case: StrictInt | None = Field(default=None, ge=1, le=MAX_ID)
    household: StrictInt | None = Field(default=None, ge=1, le=MAX_ID)
    send: StrictBool = Field(default=True, description="false: keep it as a draft.")


class ReferralTransitionIn(Schema):
    """Move a referral. rejected, cancelled, on-hold and failed need ``reason_code`` and
    ``reason``; completed needs ``outcome``."""

    model_config = ConfigDict(extra="forbid")

    status: Text = Field(max_length=20, json_schema_extra=_enum(STATUSES))
    reason_code: Text = Field(
        default="", max_length=40, json_schema_extra=_enum(["", *ReasonCode.values])
    )
    reason: Text = Field(default="", max_length=MAX_TEXT)
    outcome: Text = Field(default="", max_length=MAX_TEXT)


class ConsentRequiredOut(Schema):
    """Invalid input, each problem located; when the person's consent is missing, also
    ``code`` consent_required with the organisation and categories it must cover."""

    detail: list[FieldErrorOut]
    code: Literal["consent_required"] | None = None
    organisation: str | None = Field(
        default=None, description="Slug of the organisation consent must cover."
    )
    categories: list[str] | None = Field(
        default=None, description="The categories the consent must cover."
    )


class IllegalTransitionOut(Schema):
    detail: str
    status: str = Field(description="The referral's current status.")
    requested: str
    allowed: list[str] = Field(description="The statuses you may move it to from here.")


class ReferralFilters(PageParams):
    direction: Literal["incoming", "outgoing", "mine"] | None = Field(
        None,
        description="incoming: to your organisation (open ones unless status is given), "
        "soonest response deadline first; outgoing: sent by your organisation; mine: sent by "
        "you or about the people you are key worker for. Omitted: all of these.",
    )
    status: Text | None = Field(None, max_length=20, json_schema_extra=_enum(STATUSES))
    service: int | None = Field(None, ge=1, le=MAX_ID, description="A service's id.")
    person: int | None = Field(None, ge=1, le=MAX_ID, description="A person's id.")

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str | None) -> str | None:
        if value is not None and value not in STATUSES:
            raise ValueError(f"Choose one of: {', '.join(STATUSES)}")
        return value


class FhirBundleOut(Schema):
    """A FHIR R4 Bundle (type collection), served as application/fhir+json."""

    resourceType: Literal["Bundle"]
    type: Literal["collection"]
    entry: list[dict[str, Any]]


# --- helpers -------------------------------------------------------------------------------


def _summary_values(referral: Referral, *, person_name: str, now: dt.datetime) -> dict[str, Any]:
    person = referral.person
    return {
        "id": referral.pk,
        "reference": referral.reference,
        "status": referral.status,
        "urgency": referral.urgency,
        "need": referral.need,
        "person": PersonRefOut(id=person.pk, reference=person.reference, name=person_name),
        "service": ServiceRefOut(id=referral.service_id, name=referral.service.name),
        "referring_organisation": referral.referring_organisation.slug,
        "receiving_organisation": referral.receiving_organisation.slug,
        "referred_by": referral.referred_by.username,
        "created_at": referral.created_at,
        "requested_at": referral.requested_at,
        "respond_by": referral.respond_by,
        "first_contact_by": referral.first_contact_by,
        "responded_at": referral.responded_at,
        "status_changed_at": referral.status_changed_at,
        "overdue": bool(
            referral.status == ReferralStatus.REQUESTED
            and referral.respond_by
            and referral.respond_by < now
        ),
    }


def _summary_out(referral: Referral, now: dt.datetime) -> ReferralSummaryOut:
    return ReferralSummaryOut(
        **_summary_values(
            referral,
            person_name=referral.person.full_name
            if getattr(referral, "person_visible", True)
            else "",
            now=now,
        )
    )


def _waitlist_out(entry: WaitlistEntry | None) -> WaitlistOut | None:
    if entry is None:
        return None
    return WaitlistOut(status=entry.status, added_at=entry.added_at, offered_at=entry.offered_at)


def _referral_out(view: ReferralView) -> ReferralOut:
    referral = view.referral
    name = referral.person.full_name if view.person_visible else ""
    return ReferralOut(
        **_summary_values(referral, person_name=name, now=timezone.now()),
        reason=referral.reason,
        notes=referral.notes,
        bundle=list(referral.bundle),
        shown=[str(c) for c in view.shown],
        withheld={str(c): reason for c, reason in view.withheld.items()},
        status_reason_code=referral.status_reason_code,
        status_reason=referral.status_reason,
        outcome=referral.outcome,
        first_contact_at=referral.first_contact_at,
        closed_at=referral.closed_at,
        holds_slot=referral.holds_slot,
        waitlist=_waitlist_out(view.waitlist_entry),
        case=referral.case_id,
        goal=referral.goal_id,
        household=referral.household_id,
        sides=sorted(view.sides),
        allowed_transitions=list(view.moves),
        transitions=[
            TransitionOut(
                from_status=t.from_status,
                to_status=t.to_status,
                side=t.side,
                at=t.at,
                by=t.by.username if t.by else None,
                by_organisation=t.by_organisation.slug if t.by_organisation else None,
                reason_code=t.reason_code,
                reason=t.reason,
            )
            for t in view.transitions
        ],
    )


def _listed(actor: Actor, filters: ReferralFilters) -> QuerySet[Referral] | list[Referral]:
    status = filters.status
    if filters.direction == "incoming":
        return inbox(actor=actor, status=status, service_id=filters.service)
    if filters.direction == "outgoing":
        return outbox(actor=actor, status=status, mine=False)
    if filters.direction == "mine":
        return (
            outbox(actor=actor, status=status, mine=True)
            | key_worker_referrals(actor=actor, status=status)
        ).order_by("-created_at", "-id")
    if filters.person is not None:
        # Everything of the person's the policy (or being on the referral) lets you see.
        return [
            r
            for r in referrals_for_person(actor=actor, person_id=filters.person)
            if (status is None or r.status == status)
            and (filters.service is None or r.service_id == filters.service)
        ]
    return referrals_of_concern(actor=actor, status=status)


def _page(
    referrals: QuerySet[Referral] | list[Referral], filters: ReferralFilters
) -> tuple[int, list[Referral]]:
    if isinstance(referrals, list):
        count = len(referrals)
        start = (filters.page - 1) * filters.page_size
        return count, referrals[start : start + filters.page_size]
    if filters.service is not None:
        referrals = referrals.filter(service_id=filters.service)
    if filters.person is not None:
        referrals = referrals.filter(person_id=filters.person)
    count = referrals.count()
    start = (filters.page - 1) * filters.page_size
    if start >= count:
        return count, []
    return count, list(referrals[start : start + filters.page_size])


def _lookup_errors(
    actor: Actor, payload: ReferralCreateIn
) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Find what the body names by id, as the actor may see it: a field error for each id
    that is unknown or not the actor's to use (the same message for both)."""
    errors: dict[str, list[str]] = {}
    found: dict[str, Any] = {}
    try:
        found["person"] = person_get(actor=actor, person_id=payload.person, audit_as=None)
    except Http404:
        errors["person"] = ["No person with that id among the people you work with"]
    service: Service | None = (
        network_services(actor=actor)
        .select_related("organisation")
        .filter(pk=payload.service)
        .first()
    )
    if service is None:
        errors["service"] = ["No service with that id in your network"]
    found["service"] = service
    goal: Goal | None = None
    if payload.goal is not None:
        try:
            goal = goal_get(actor=actor, goal_id=payload.goal)
        except Http404:
            errors["goal"] = ["No plan goal with that id"]
    found["goal"] = goal
    case: Case | None = None
    if payload.case is not None:
        try:
            case = case_get(actor=actor, case_id=payload.case, audit_as=None)
        except Http404:
            errors["case"] = ["No case with that id"]
    found["case"] = case
    household: Household | None = None
    if payload.household is not None:
        try:
            household = household_get(actor=actor, household_id=payload.household).household
        except Http404:
            errors["household"] = ["No household with that id"]
    found["household"] = household
    return errors, found


# --- routes --------------------------------------------------------------------------------


@router.post(
    "",
    response=with_errors({201: ReferralOut, 422: ConsentRequiredOut}, 400, 403),
    summary="Refer a person to a service (sent at once, or a draft)",
)
def create_referral(
    request: HttpRequest, payload: ReferralCreateIn
) -> Status[ReferralOut] | Status[ConsentRequiredOut]:
    """Sends the referral to the service's organisation (status requested, SLA deadlines set,
    its team notified), or with `"send": false` keeps it as a draft. Nothing is written when
    anything is wrong: bad fields are a 422 naming each; when the person's consent does not
    cover the receiving organisation, or a category of the bundle, the 422 has
    `"code": "consent_required"` with the organisation and categories to record consent for
    (`POST /api/v1/people/{id}/consents`), then send again."""
    actor = request_actor(request)
    errors, found = _lookup_errors(actor, payload)
    if errors:
        raise ValidationError(errors)
    try:
        referral = referral_create(
            actor=actor,
            person=found["person"],
            service=found["service"],
            need=payload.need,
            reason=payload.reason,
            urgency=payload.urgency,
            bundle=payload.bundle,
            notes=payload.notes,
            goal=found["goal"],
            case=found["case"],
            household=found["household"],
            send=payload.send,
        )
    except ConsentRequired as refused:
        return Status(
            422,
            ConsentRequiredOut(
                detail=[
                    FieldErrorOut(
                        **api_error(["body", "bundle"], refused.messages[0], "consent_required")
                    )
                ],
                code="consent_required",
                organisation=found["service"].organisation.slug,
                categories=[str(c) for c in refused.categories],
            ),
        )
    return Status(201, _referral_out(referral_get(actor=actor, referral_id=referral.pk)))


@router.get(
    "",
    response=with_errors({200: PageOut[ReferralSummaryOut]}, 422),
    summary="Referrals to and from your organisation, and of your people",
)
def list_referrals(
    request: HttpRequest, filters: Query[ReferralFilters]
) -> PageOut[ReferralSummaryOut]:
    actor = request_actor(request)
    count, page = _page(_listed(actor, filters), filters)
    audit_referral_list(actor=actor, referrals=page, action="api.referral.list")
    now = timezone.now()
    return PageOut[ReferralSummaryOut](
        count=count,
        page=filters.page,
        page_size=filters.page_size,
        results=[_summary_out(referral, now) for referral in page],
    )


@router.get(
    "/{referral_id}",
    response=with_errors({200: ReferralOut}, 404, 422),
    summary="A referral, with its history and the moves you may make",
)
def get_referral(request: HttpRequest, referral_id: int = ReferralId) -> ReferralOut:
    actor = request_actor(request)
    return _referral_out(
        referral_get(actor=actor, referral_id=referral_id, audit_as="api.referral.view")
    )


@router.post(
    "/{referral_id}/transition",
    response=with_errors({200: ReferralOut, 409: IllegalTransitionOut}, 400, 403, 404, 422),
    summary="Move a referral along its lifecycle",
)
def transition_referral(
    request: HttpRequest, payload: ReferralTransitionIn, referral_id: int = ReferralId
) -> ReferralOut | Status[IllegalTransitionOut]:
    """Only the two organisations on a referral move it: the referrer sends (requested),
    marks it entered-in-error or cancels; the receiving service accepts, rejects, starts
    (in-progress), holds, fails or completes; either cancels. A move not allowed from the
    current status, or not for your side, is a 409 listing the moves you may make."""
    actor = request_actor(request)
    referral = referral_for_update(actor=actor, referral_id=referral_id)
    try:
        referral_transition(
            actor=actor,
            referral=referral,
            to=payload.status,
            reason_code=payload.reason_code,
            reason=payload.reason,
            outcome=payload.outcome,
        )
    except IllegalTransition as refused:
        return Status(
            409,
            IllegalTransitionOut(
                detail=refused.messages[0],
                status=referral.status,
                requested=payload.status,
                allowed=refused.allowed,
            ),
        )
    return _referral_out(
        referral_get(actor=actor, referral_id=referral_id, audit_as="api.referral.view")
    )


@router.get(
    "/{referral_id}/fhir",
    response=with_errors({200: FhirBundleOut}, 404, 422),
    summary="A referral as FHIR R4 (SDOH Clinical Care ServiceRequest and Task)",
)
def get_referral_fhir(request: HttpRequest, referral_id: int = ReferralId) -> HttpResponse:
    """A Bundle of type collection holding the referral as an `SDOHCC-ServiceRequest`, the
    `SDOHCC-TaskForReferralManagement` tracking it (status, reason, owner, outcome), the
    Patient (reference, name and date of birth, as far as you may see the person's
    identity) and the two Organizations. Served as `application/fhir+json`."""
    actor = request_actor(request)
    view = referral_get(actor=actor, referral_id=referral_id, audit_as="api.referral.fhir")
    return HttpResponse(referral_bundle_json(view, now=timezone.now()), content_type=FHIR_JSON)
