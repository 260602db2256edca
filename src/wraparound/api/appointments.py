"""Appointments and coordination flags over the API (thin: services and selectors decide).

`POST /api/v1/appointments` books with the actor's organisation; a clash with the person's or
the staff member's appointments, or no time to travel between in-person places, answers 409
with the conflicts unless `"acknowledge": true`. `GET /api/v1/appointments?person=<id>` is
the person's calendar across organisations (as the policy allows); without `person`, the
actor's own. `GET /api/v1/people/{id}/flags` lists the person's coordination flags."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Schema, Status
from pydantic import ConfigDict, Field, StrictBool, StrictInt

from wraparound.api.auth import request_actor
from wraparound.api.schemas import MAX_ID, Text, with_errors
from wraparound.appointments.models import Appointment, Place
from wraparound.appointments.selectors import person_calendar, worker_calendar
from wraparound.appointments.services import ConflictsFound, appointment_book
from wraparound.flags.selectors import flags_for_person
from wraparound.people.selectors import person_get
from wraparound.referrals.selectors import referral_for_update

router = Router(tags=["appointments"])
flags_router = Router(tags=["flags"])


class AppointmentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    person: StrictInt = Field(ge=1, le=MAX_ID)
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: Text = Field(json_schema_extra={"enum": list(Place.values)})
    purpose: Text = Field(max_length=200)
    place_detail: Text = Field(default="", max_length=300)
    referral: StrictInt | None = Field(default=None, ge=1, le=MAX_ID)
    acknowledge: StrictBool = False


class AppointmentOut(Schema):
    id: int
    person: int
    organisation: str
    staff: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    place_detail: str
    purpose: str
    status: str
    conflicts_acknowledged: list[str]


class ConflictOut(Schema):
    kind: str
    appointment: int
    message: str


class ConflictsOut(Schema):
    detail: str
    conflicts: list[ConflictOut]


class CalendarParams(Schema):
    person: int | None = Field(default=None, ge=1, le=MAX_ID)


class FlagOut(Schema):
    id: int
    kind: str
    key: str
    summary: str
    raised_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution: str


def _out(a: Appointment) -> AppointmentOut:
    return AppointmentOut(
        id=a.pk,
        person=a.person_id,
        organisation=a.organisation.slug,
        staff=a.staff.username if a.staff else None,
        starts_at=a.starts_at,
        ends_at=a.ends_at,
        place=a.place,
        place_detail=a.place_detail,
        purpose=a.purpose,
        status=a.status,
        conflicts_acknowledged=list(a.conflicts_acknowledged),
    )


@router.post(
    "",
    response=with_errors({201: AppointmentOut, 409: ConflictsOut}, 403, 404, 422),
    summary="Book an appointment with your organisation",
)
def book(request: HttpRequest, payload: AppointmentIn) -> Status:
    actor = request_actor(request)
    person = person_get(actor=actor, person_id=payload.person, audit_as="api.appointment.book")
    referral = (
        referral_for_update(actor=actor, referral_id=payload.referral)
        if payload.referral is not None
        else None
    )
    try:
        appointment = appointment_book(
            actor=actor,
            person=person,
            starts_at=payload.starts_at,
            ends_at=payload.ends_at,
            place=payload.place,
            purpose=payload.purpose,
            place_detail=payload.place_detail,
            staff=actor.user,
            referral=referral,
            acknowledge=payload.acknowledge,
        )
    except ConflictsFound as found:
        return Status(
            409,
            ConflictsOut(
                detail="The appointment clashes: send again with acknowledge true to book anyway",
                conflicts=[
                    ConflictOut(kind=c.kind, appointment=c.appointment_id, message=c.message)
                    for c in found.conflicts
                ],
            ),
        )
    return Status(201, _out(appointment))


@router.get(
    "",
    response=with_errors({200: list[AppointmentOut]}, 404, 422),
    summary="A person's calendar across organisations, or your own week",
)
def calendar(request: HttpRequest, params: Query[CalendarParams]) -> list[AppointmentOut]:
    actor = request_actor(request)
    if params.person is None:
        rows = worker_calendar(actor=actor, start=timezone.localdate(), days=28)
    else:
        person = person_get(actor=actor, person_id=params.person, audit_as=None)
        rows = person_calendar(actor=actor, person=person)
    return [_out(a) for a in rows]


@flags_router.get(
    "/people/{person_id}/flags",
    response=with_errors({200: list[FlagOut]}, 404, 422),
    summary="A person's coordination flags (open and resolved)",
)
def person_flags(
    request: HttpRequest, person_id: int = Path(..., ge=1, le=MAX_ID)
) -> list[FlagOut]:
    actor = request_actor(request)
    person = person_get(actor=actor, person_id=person_id, audit_as="api.flags.view")
    return [
        FlagOut(
            id=f.pk,
            kind=f.kind,
            key=f.key,
            summary=f.summary,
            raised_at=f.raised_at,
            resolved_at=f.resolved_at,
            resolution=f.resolution,
        )
        for f in flags_for_person(actor=actor, person=person, include_resolved=True)
    ]
