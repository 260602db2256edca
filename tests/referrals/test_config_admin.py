"""Network configuration in the admin: calendars and waitlist policies are new versions,
never edits; bad weights are refused by name; the newest version is the one used."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from wraparound.referrals.models import WaitlistPolicy, WorkingCalendar
from wraparound.referrals.sla import calendar_for
from wraparound.referrals.waitlist import DEFAULT_WEIGHTS, current_policy


@pytest.fixture
def admin_client(personas, client):
    user = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_calendar_versions_and_the_newest_applies(personas, admin_client):
    url = "/admin/referrals/workingcalendar/add/"
    for ends in ("17:00", "16:00"):
        response = admin_client.post(
            url,
            {
                "network": personas.network.pk,
                "day_starts": "09:00",
                "day_ends": ends,
                "working_days": ["1", "2", "3", "4"],
                "note": "Four-day week",
            },
        )
        assert response.status_code == 302, response.content.decode()[:500]
    assert list(WorkingCalendar.objects.values_list("version", flat=True).order_by("version")) == [
        1,
        2,
    ]
    calendar = calendar_for(personas.network.pk)
    assert (
        calendar.version == 2
        and calendar.day_ends == dt.time(16)
        and calendar.working_days == (1, 2, 3, 4)
    )
    first = WorkingCalendar.objects.get(version=1)
    assert (
        admin_client.post(
            f"/admin/referrals/workingcalendar/{first.pk}/change/", {"day_ends": "18:00"}
        ).status_code
        == 403
    )
    bad = admin_client.post(
        url,
        {
            "network": personas.network.pk,
            "day_starts": "17:00",
            "day_ends": "09:00",
            "working_days": [],
        },
    )
    assert (
        "end after it starts" in bad.content.decode()
        and "at least one working day" in bad.content.decode()
    )
    assert WorkingCalendar.objects.count() == 2


def test_waitlist_weights_are_checked(personas, admin_client):
    url = "/admin/referrals/waitlistpolicy/add/"
    bad = admin_client.post(
        url, {"network": personas.network.pk, "weights": '{"tier": {"gold": 5}, "urgency": {}}'}
    )
    body = bad.content.decode()
    assert "unknown code &#x27;gold&#x27;" in body or "unknown code 'gold'" in body
    assert "missing weight" in body and not WaitlistPolicy.objects.exists()
    weights = {**DEFAULT_WEIGHTS, "per_day_waiting": 2}
    import json

    ok = admin_client.post(url, {"network": personas.network.pk, "weights": json.dumps(weights)})
    assert ok.status_code == 302
    assert current_policy(personas.network.pk) == (1, json.loads(json.dumps(weights)))
