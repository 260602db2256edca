"""Working-hours arithmetic for SLA due times (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wraparound.referrals.sla import Calendar, due_times


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    # November 2026: the 20th is a Friday, the 23rd a Monday.
    return timezone.make_aware(dt.datetime(2026, 11, day, hour, minute))


CAL = Calendar(holidays=frozenset({dt.date(2026, 11, 24)}))  # Tuesday off


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(23, 10), 2, at(23, 12)),  # inside a day
        (at(23, 16), 2, at(25, 10)),  # over the evening and the Tuesday holiday
        (at(20, 16), 2, at(23, 10)),  # over the weekend
        (at(21, 11), 1, at(23, 10)),  # sent on Saturday: the clock starts Monday
        (at(23, 7), 8, at(23, 17)),  # before opening: a whole day
        (at(23, 18), 48, timezone.make_aware(dt.datetime(2026, 12, 2, 17))),  # six working days
    ],
)
def test_add_working_hours(start, hours, expected):
    assert CAL.add_working_hours(start, hours) == expected


def test_working_days_skip_weekends_and_holidays():
    assert CAL.add_working_days(at(20, 12), 2) == at(25, 17)


def test_hours_between_counts_only_working_time():
    assert CAL.working_hours_between(at(20, 16), at(23, 10)) == pytest.approx(2)
    assert CAL.working_hours_between(at(23, 10), at(23, 9)) == 0


def test_a_calendar_with_no_working_days_is_an_error_not_a_hang():
    with pytest.raises(ValueError):
        Calendar(working_days=()).add_working_hours(at(23, 10), 1)


def test_due_times_without_an_sla_are_empty():
    due = due_times(
        calendar=CAL, requested_at=at(23, 10), response_hours=None, first_contact_days=0
    )
    assert due.respond_by is None and due.first_contact_by is None
