"""Booking with conflict detection, the person's one calendar, the worker's feed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from tests import factories as f
from tests.referrals.factories import consent_to
from wraparound.appointments.models import Appointment
from wraparound.appointments.services import (
    ConflictsFound,
    appointment_book,
    appointment_set_status,
    calendar_feed_token_rotate,
)


def at(hour: int, minute: int = 0, days: int = 1) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def book(personas, person, user, start, end, place="centre", **kwargs):
    return appointment_book(
        actor=personas.actor(user),
        person=person,
        starts_at=start,
        ends_at=end,
        place=place,
        purpose=kwargs.pop("purpose", "Check-in"),
        staff=kwargs.pop("staff", user),
        **kwargs,
    )


def test_overlap_with_another_organisations_appointment_is_refused_unless_acknowledged(
    personas, person, case
):
    consent_to(personas, person, personas.partner_org)
    book(personas, person, personas.keyworker, at(10), at(11))
    with pytest.raises(ConflictsFound) as caught:
        book(personas, person, personas.partner, at(10, 30), at(11, 30))
    assert [c.kind for c in caught.value.conflicts] == ["person"]
    assert "already has an appointment with Cwm Taf One-Stop Centre" in str(caught.value)
    assert Appointment.objects.count() == 1
    kept = book(personas, person, personas.partner, at(10, 30), at(11, 30), acknowledge=True)
    assert kept.conflicts_acknowledged


def test_staff_double_booking_and_impossible_travel(personas, person, case):
    other = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    book(personas, person, personas.keyworker, at(10), at(11), place="home_visit")
    with pytest.raises(ConflictsFound) as caught:
        book(personas, other, personas.keyworker, at(10, 30), at(11))
    assert {c.kind for c in caught.value.conflicts} == {"staff"}
    # Back to back at the centre after a home visit: no time to travel.
    with pytest.raises(ConflictsFound) as caught:
        book(personas, person, personas.manager, at(11, 10), at(12), staff=personas.manager)
    assert [c.kind for c in caught.value.conflicts] == ["travel"]
    # The same place, or by phone, is fine.
    book(
        personas,
        person,
        personas.manager,
        at(11, 10),
        at(11, 40),
        place="phone",
        staff=personas.manager,
    )
    book(personas, person, personas.keyworker, at(11, 45), at(12, 15), place="home_visit")


def test_bad_times_and_places_are_named(personas, person, case):
    with pytest.raises(ValidationError) as caught:
        book(personas, person, personas.keyworker, at(11), at(10), place="moon", purpose=" ")
    assert set(caught.value.message_dict) == {"ends_at", "place", "purpose"}
    assert "end after it starts" in caught.value.message_dict["ends_at"][0]
    assert not Appointment.objects.exists()


def test_cancel_needs_a_reason_and_attendance_waits_for_the_start(personas, person, case):
    appointment = book(personas, person, personas.keyworker, at(10), at(11))
    with pytest.raises(ValidationError):
        appointment_set_status(
            actor=personas.actor(personas.keyworker), appointment=appointment, status="cancelled"
        )
    with pytest.raises(ValidationError):
        appointment_set_status(
            actor=personas.actor(personas.keyworker), appointment=appointment, status="attended"
        )
    appointment_set_status(
        actor=personas.actor(personas.keyworker),
        appointment=appointment,
        status="cancelled",
        reason="Person is unwell",
    )
    assert Appointment.objects.get().status == "cancelled"


def test_person_calendar_shows_every_organisation_to_the_key_worker_only_own_to_others(
    personas, person, case
):
    consent_to(personas, person, personas.partner_org)
    book(personas, person, personas.keyworker, at(9), at(10), purpose="Key work")
    book(personas, person, personas.partner, at(14), at(15), purpose="Tenancy visit")
    url = reverse("appointments:person", args=[person.pk])
    keyworker_page = personas.client(personas.keyworker).get(url).content.decode()
    assert "Key work" in keyworker_page and "Tenancy visit" in keyworker_page
    partner_page = personas.client(personas.partner).get(url).content.decode()
    assert "Tenancy visit" in partner_page and "Key work" not in partner_page
    assert personas.client(personas.outsider).get(url).status_code == 404


def test_booking_page_shows_conflicts_and_books_when_acknowledged(personas, person, case):
    book(personas, person, personas.keyworker, at(10), at(11))
    day = timezone.localdate() + dt.timedelta(days=1)
    data = {
        "day_0": day.day,
        "day_1": day.month,
        "day_2": day.year,
        "starts": "10:30",
        "ends": "11:30",
        "place": "centre",
        "purpose": "Second",
    }
    client = personas.client(personas.keyworker)
    url = reverse("appointments:person", args=[person.pk])
    page = client.post(url, data)
    assert page.status_code == 200 and "This clashes with:" in page.content.decode()
    assert Appointment.objects.count() == 1
    assert client.post(url, {**data, "acknowledge": "on"}).status_code == 302
    assert Appointment.objects.count() == 2
    bad = client.post(url, {**data, "starts": "25:00"})
    assert "hours and minutes" in bad.content.decode()


def test_feed_has_no_names_and_a_rotated_token_stops_working(personas, person, case, client):
    book(personas, person, personas.keyworker, at(10), at(11))
    token = calendar_feed_token_rotate(actor=personas.actor(personas.keyworker))
    response = client.get(reverse("appointments:feed", args=[token]))
    assert response.status_code == 200
    body = response.content.decode()
    assert person.family_name not in body and person.given_name not in body
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 1 and "Cwm Taf One-Stop Centre" in str(events[0]["description"])
    calendar_feed_token_rotate(actor=personas.actor(personas.keyworker))
    assert client.get(reverse("appointments:feed", args=[token])).status_code == 404
    assert client.get(reverse("appointments:feed", args=["nonsense"])).status_code == 404


def test_my_calendar_page(personas, person, case):
    book(personas, person, personas.keyworker, at(10), at(11), purpose="Key work")
    client = personas.client(personas.keyworker)
    page = client.get(reverse("appointments:mine"))
    assert "Key work" in page.content.decode()
    client.post(reverse("appointments:rotate_feed"))
    assert "/appointments/feed/" in client.get(reverse("appointments:mine")).content.decode()
