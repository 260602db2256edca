"""Reads of appointments: a person's one calendar across organisations, a worker's own
calendar, and the feed's events (which carry no names)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import User
from wraparound.appointments.models import Appointment, AppointmentStatus
from wraparound.audit.services import PersonRead, audit_reads
from wraparound.consent.categories import DataCategory
from wraparound.consent.models import Purpose
from wraparound.consent.policy import decide, visible_people
from wraparound.people.models import Person

CATEGORY = DataCategory.PLANS_REFERRALS
PAST_DAYS = 30


def _related() -> tuple[str, ...]:
    return ("organisation", "service", "staff", "location", "person")


def person_calendar(
    *, actor: Actor, person: Person, days_back: int = PAST_DAYS
) -> list[Appointment]:
    """The person's appointments from ``days_back`` days ago on: with every organisation
    when the actor may see the person's plans and referrals, else their own organisation's."""
    since = timezone.now() - dt.timedelta(days=days_back)
    appointments = Appointment.objects.filter(person=person, ends_at__gte=since).select_related(
        *_related()
    )
    decision = decide(actor=actor, person=person, category=CATEGORY)
    if not decision:
        membership = actor.membership
        org_id = membership.organisation_id if membership else -1
        appointments = appointments.filter(organisation_id=org_id)
    rows = list(appointments.order_by("starts_at", "id"))
    audit_reads(
        actor=actor,
        action="appointment.person_calendar",
        purpose=Purpose.CARE_COORDINATION,
        summary="Viewed the person's calendar",
        reads=[PersonRead(person.pk, [CATEGORY], decision.reason, decision.break_glass)],
    )
    return rows


def worker_calendar(*, actor: Actor, start: dt.date, days: int = 7) -> list[Appointment]:
    """The actor's own appointments in ``days`` days from ``start`` (people they may see)."""
    if actor.user is None:
        return []
    begin = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    rows = list(
        Appointment.objects.filter(
            staff=actor.user,
            starts_at__gte=begin,
            starts_at__lt=begin + dt.timedelta(days=days),
            person__in=visible_people(actor),
        )
        .select_related(*_related())
        .order_by("starts_at", "id")
    )
    people = {a.person_id for a in rows}
    if people:
        audit_reads(
            actor=actor,
            action="appointment.worker_calendar",
            purpose=Purpose.CARE_COORDINATION,
            summary="Viewed their calendar",
            reads=[
                PersonRead(pid, [DataCategory.IDENTITY, CATEGORY], "own calendar", False)
                for pid in sorted(people)
            ],
        )
    return rows


def feed_appointments(user: User) -> list[Appointment]:
    """A worker's booked appointments from 30 days ago on, for the iCalendar feed (the
    feed shows references and places, never names)."""
    since = timezone.now() - dt.timedelta(days=PAST_DAYS)
    return list(
        Appointment.objects.filter(staff=user, ends_at__gte=since)
        .filter(~Q(status=AppointmentStatus.CANCELLED))
        .select_related("organisation", "location", "referral")
        .order_by("starts_at")[:1000]
    )
