"""Writes to appointments: book (with conflict detection), cancel, mark attended or not,
and the worker's calendar feed token.

Conflicts found at booking are refused unless the booker acknowledges them (they are then
kept on the appointment): the person or the staff member already booked at an overlapping
time, or two in-person appointments at different places with too little time between them
to travel ("impossible back-to-back").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES, Membership, User
from wraparound.appointments.models import (
    IN_PERSON,
    Appointment,
    AppointmentChangeRequest,
    AppointmentStatus,
    CalendarFeedToken,
    ChangeRequestKind,
    ChangeRequestStatus,
    Place,
)
from wraparound.audit.services import audit_record
from wraparound.consent.categories import DataCategory
from wraparound.consent.policy import decide, portal_subject_access, require
from wraparound.directory.models import Location, Service
from wraparound.flags.services import flags_refresh_after_commit
from wraparound.notifications.services import notification_send
from wraparound.people.models import HouseholdMember, Person
from wraparound.portal.models import CitizenAccount
from wraparound.referrals.models import Referral

CATEGORY = DataCategory.PLANS_REFERRALS
# Time to get from one in-person appointment to another somewhere else (no travel data).
TRAVEL_BUFFER = dt.timedelta(minutes=30)
LONGEST = dt.timedelta(hours=12)


@dataclass(frozen=True)
class Conflict:
    kind: str  # "person", "staff" or "travel"
    appointment_id: int
    message: str


def _where(appointment: Appointment) -> tuple[str, int | None, str]:
    return (appointment.place, appointment.location_id, appointment.place_detail.strip().lower())


def find_conflicts(
    *,
    person: Person,
    staff: User | None,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str,
    location_id: int | None,
    place_detail: str = "",
    exclude_id: int | None = None,
) -> list[Conflict]:
    """Booked appointments that clash with a new one (any organisation's: the clash is the
    person's or the worker's, whoever booked it)."""
    window = Q(starts_at__lt=ends_at + TRAVEL_BUFFER, ends_at__gt=starts_at - TRAVEL_BUFFER)
    who = Q(person=person) | (Q(staff=staff) if staff is not None else Q(pk__in=[]))
    nearby = Appointment.objects.filter(
        window & who, status=AppointmentStatus.BOOKED
    ).select_related("organisation")
    if exclude_id is not None:
        nearby = nearby.exclude(pk=exclude_id)
    found: list[Conflict] = []
    mine = (place, location_id, place_detail.strip().lower())
    for other in nearby:
        overlaps = other.starts_at < ends_at and other.ends_at > starts_at
        when = (
            f"{timezone.localtime(other.starts_at):%H:%M} to "
            f"{timezone.localtime(other.ends_at):%H:%M}"
        )
        if overlaps:
            if other.person_id == person.pk:
                found.append(
                    Conflict(
                        "person",
                        other.pk,
                        f"The person already has an appointment with "
                        f"{other.organisation.name} at {when}",
                    )
                )
            if staff is not None and other.staff_id == staff.pk:
                found.append(
                    Conflict("staff", other.pk, f"{staff.name} is already booked at {when}")
                )
            continue
        if place in IN_PERSON and other.place in IN_PERSON and _where(other) != mine:
            found.append(
                Conflict(
                    "travel",
                    other.pk,
                    f"Less than {int(TRAVEL_BUFFER.total_seconds() // 60)} minutes to get from "
                    "or to another in-person appointment elsewhere "
                    f"({other.get_place_display().lower()}, {when})",
                )
            )
    return found


class ConflictsFound(ValidationError):
    def __init__(self, conflicts: Sequence[Conflict]) -> None:
        super().__init__({"starts_at": [c.message for c in conflicts]})
        self.conflicts = list(conflicts)


def appointment_book(
    *,
    actor: Actor,
    person: Person,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str,
    purpose: str,
    service: Service | None = None,
    staff: User | None = None,
    referral: Referral | None = None,
    location: Location | None = None,
    place_detail: str = "",
    acknowledge: bool = False,
) -> Appointment:
    """Book an appointment with the actor's organisation. Conflicts are refused
    (``ConflictsFound``) unless ``acknowledge``; then they are kept on the appointment."""
    membership = actor.require_membership()
    if membership.role not in CASEWORK_ROLES:
        raise PermissionDenied(f"The {membership.get_role_display()} role cannot book")
    if not decide(actor=actor, person=person):
        raise PermissionDenied("You cannot book for this person")
    errors: dict[str, list[str]] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = ["The appointment must end after it starts"]
    elif ends_at - starts_at > LONGEST:
        errors["ends_at"] = ["An appointment cannot be longer than 12 hours"]
    if place not in Place.values:
        errors["place"] = ["Choose where the appointment is"]
    purpose = purpose.strip()
    if not purpose:
        errors["purpose"] = ["Say what the appointment is for"]
    elif len(purpose) > 200:
        errors["purpose"] = ["Keep what it is for under 200 characters"]
    if len(place_detail) > 300:
        errors["place_detail"] = ["Keep the place detail under 300 characters"]
    if service is not None and service.organisation_id != membership.organisation_id:
        errors["service"] = ["Choose one of your organisation's services"]
    if (
        staff is not None
        and not Membership.objects.filter(
            user=staff, organisation_id=membership.organisation_id, is_active=True
        ).exists()
    ):
        errors["staff"] = [f"{staff.name} is not a member of your organisation"]
    if referral is not None and referral.person_id != person.pk:
        errors["referral"] = ["That referral is another person's"]
    if errors:
        raise ValidationError(errors)
    household = None
    if place == Place.HOME_VISIT:
        member = HouseholdMember.objects.filter(person=person).select_related("household").first()
        household = member.household if member else None
    with transaction.atomic():
        conflicts = find_conflicts(
            person=person,
            staff=staff,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place,
            location_id=location.pk if location else None,
            place_detail=place_detail,
        )
        if conflicts and not acknowledge:
            raise ConflictsFound(conflicts)
        appointment = Appointment.objects.create(
            network_id=person.network_id,
            person=person,
            household=household,
            organisation_id=membership.organisation_id,
            service=service,
            staff=staff,
            referral=referral,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place,
            location=location,
            place_detail=place_detail.strip(),
            purpose=purpose,
            conflicts_acknowledged=[c.message for c in conflicts],
            booked_by_id=membership.user_id,
        )
        audit_record(
            actor=actor,
            action="appointment.book",
            person_id=person.pk,
            target=appointment,
            summary=(
                f"Appointment booked with {membership.organisation.name} on "
                f"{timezone.localtime(starts_at):%d %b %Y %H:%M} ({Place(place).label.lower()})"
                + (f"; {len(conflicts)} conflict(s) acknowledged" if conflicts else "")
            ),
            categories=[CATEGORY],
        )
        flags_refresh_after_commit(person.pk)
        if staff is not None and staff.pk != membership.user_id:
            notification_send(
                recipients=[staff],
                subject="appointment booked for you on "
                f"{timezone.localtime(starts_at):%d %b %H:%M}",
                kind="appointment.booked",
                url="/appointments/mine/",
            )
    return appointment


def _own(actor: Actor, appointment: Appointment) -> Membership:
    membership = actor.require_membership()
    if membership.organisation_id != appointment.organisation_id:
        raise PermissionDenied("Only the organisation that booked it can change it")
    return membership


def appointment_set_status(
    *, actor: Actor, appointment: Appointment, status: str, reason: str = ""
) -> Appointment:
    """Cancel (with a reason), or mark attended / did not attend (once it has started)."""
    _own(actor, appointment)
    if appointment.status != AppointmentStatus.BOOKED:
        raise ValidationError({"status": ["Only a booked appointment can change"]})
    if status not in AppointmentStatus.values or status == AppointmentStatus.BOOKED:
        raise ValidationError({"status": ["Choose cancelled, attended or did not attend"]})
    if status == AppointmentStatus.CANCELLED and not reason.strip():
        raise ValidationError({"status_reason": ["Say why it was cancelled"]})
    if status != AppointmentStatus.CANCELLED and appointment.starts_at > timezone.now():
        raise ValidationError({"status": ["It has not started yet"]})
    with transaction.atomic():
        appointment.status = status
        appointment.status_reason = reason.strip()[:300]
        appointment.save(update_fields=["status", "status_reason"])
        audit_record(
            actor=actor,
            action=f"appointment.{status}",
            person_id=appointment.person_id,
            target=appointment,
            summary=f"Appointment of {timezone.localtime(appointment.starts_at):%d %b %Y} "
            f"marked {AppointmentStatus(status).label.lower()}",
            categories=[CATEGORY],
        )
        flags_refresh_after_commit(appointment.person_id)
    return appointment


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_token_rotate(*, actor: Actor) -> str:
    """A new secret for the actor's calendar feed (the old link stops working); returned once,
    stored hashed."""
    if actor.user is None:
        raise PermissionDenied("Sign in to get a calendar feed")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarFeedToken.objects.update_or_create(
            user=actor.user, defaults={"token_hash": _hash(token), "created_at": timezone.now()}
        )
        audit_record(
            actor=actor,
            action="appointment.feed_token",
            summary="Calendar feed link created (any earlier link stopped working)",
        )
    return token


def calendar_feed_user(token: str) -> User | None:
    """The active user whose feed this token opens, or None."""
    found = (
        CalendarFeedToken.objects.select_related("user")
        .filter(token_hash=_hash(token), user__is_active=True)
        .first()
    )
    if found is None:
        return None
    CalendarFeedToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return found.user


def change_request_make(
    *,
    actor: Actor,
    account: CitizenAccount,
    appointment: Appointment,
    kind: str,
    note: str = "",
) -> AppointmentChangeRequest:
    """The person asks the agency to move or cancel an appointment (from the portal). The
    agency's workers are told; the booking itself changes only when they act."""
    require(portal_subject_access(account_id=account.pk, person_id=appointment.person_id))
    if kind not in ChangeRequestKind.values:
        raise ValidationError({"kind": [gettext("Choose whether to change or cancel it")]})
    if appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= timezone.now():
        raise ValidationError(
            {"kind": [gettext("Only an upcoming appointment can be changed or cancelled")]}
        )
    if len(note) > 500:
        raise ValidationError({"note": [gettext("The note must be 500 characters or fewer")]})
    if kind == ChangeRequestKind.CHANGE and not note.strip():
        raise ValidationError({"note": [gettext("Say which days and times would suit you")]})
    with transaction.atomic():
        if appointment.change_requests.filter(status=ChangeRequestStatus.OPEN).exists():
            raise ValidationError(
                {"kind": [gettext("You have already asked. The agency will be in touch.")]}
            )
        request = AppointmentChangeRequest.objects.create(
            appointment=appointment,
            kind=kind,
            note=note.strip(),
            requested_by_account=account,
            on_behalf=account.person_id != appointment.person_id,
        )
        audit_record(
            actor=actor,
            action=f"appointment.request_{kind}",
            person_id=appointment.person_id,
            target=request,
            summary=f"Asked in the portal to {kind} the appointment of "
            f"{timezone.localtime(appointment.starts_at):%d %b %Y}",
            categories=[CATEGORY],
        )
        workers = [appointment.staff, appointment.booked_by]
        notification_send(
            recipients=workers,
            subject="A person asked to change an appointment",
            kind="appointment_change_request",
            url=f"/people/{appointment.person_id}/appointments/",
        )
    return request


def change_request_close(
    *, actor: Actor, request: AppointmentChangeRequest
) -> AppointmentChangeRequest:
    """The agency has rebooked or cancelled: the request is dealt with."""
    _own(actor, request.appointment)
    if request.status != ChangeRequestStatus.OPEN:
        raise ValidationError({"status": ["This request was already dealt with"]})
    with transaction.atomic():
        request.status = ChangeRequestStatus.DONE
        request.dealt_with_at = timezone.now()
        request.dealt_with_by = actor.user
        request.save(update_fields=["status", "dealt_with_at", "dealt_with_by"])
        audit_record(
            actor=actor,
            action="appointment.change_request_done",
            person_id=request.appointment.person_id,
            target=request,
            summary="Appointment change request dealt with",
            categories=[CATEGORY],
        )
    return request
