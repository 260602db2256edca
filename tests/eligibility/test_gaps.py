"""The gaps report is network-wide for those who read aggregates: analysts see counts of
people they have no relationship with, small counts are hidden (and their neighbours where
one hidden cell could be worked out), sensitive needs never make a cell, one audit event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from tests import factories as f
from tests.eligibility import factories as ef
from tests.eligibility.conftest import Setup
from wraparound.accounts.models import Role
from wraparound.audit.models import AuditEvent
from wraparound.consent.policy import may_read_aggregates
from wraparound.eligibility.selectors import gaps_report, suppress

ON = dt.date(2026, 4, 1)


def _people(setup: Setup, need: str, area: object, n: int) -> None:
    # Registered by the partner organisation: nobody at the one-stop may see them.
    for _ in range(n):
        person = f.PersonFactory(
            network=setup.personas.network, registered_by=setup.personas.partner_org, area=area
        )
        ef.CircumstancesFactory(person=person, income_monthly=100, needs=[need])


@pytest.fixture
def analyst(setup: Setup):
    user = f.UserFactory(username="analyst")
    f.MembershipFactory(user=user, organisation=setup.personas.one_stop, role=Role.ANALYST)
    return setup.personas.actor(user)


def test_analyst_sees_the_whole_network_in_counts(setup: Setup, analyst) -> None:
    _people(setup, "utility-insecurity", setup.town, 7)
    _people(setup, "transportation-insecurity", setup.town, 8)
    report = gaps_report(actor=analyst, on=ON)
    rows = {(r.area, r.need): r.shown for r in report.rows}
    # People the analyst has no relationship with are counted...
    assert rows[("Treorchy", "transportation-insecurity")] == "8"
    # ...and Treorchy's one small cell (food) takes the next smallest (7) with it.
    assert rows[("Treorchy", "food-insecurity")] == "fewer than 5"
    assert rows[("Treorchy", "utility-insecurity")] == "fewer than 5"
    assert report.people_screened >= 7
    assert AuditEvent.objects.filter(action="eligibility.gaps_report").count() == 1
    event = AuditEvent.objects.get(action="eligibility.gaps_report")
    assert event.person_id is None


def test_practitioners_and_other_networks_are_refused(setup: Setup) -> None:
    p = setup.personas
    assert not may_read_aggregates(p.actor(p.partner), network_id=p.network.pk)
    assert not may_read_aggregates(p.actor(p.manager), network_id=p.network.pk + 999)
    assert may_read_aggregates(p.actor(p.manager), network_id=p.network.pk)
    with pytest.raises(PermissionDenied):
        gaps_report(actor=p.actor(p.keyworker), on=ON)
    assert p.client(p.partner).get("/eligibility/gaps/").status_code == 403


def test_sensitive_needs_never_make_a_cell(setup: Setup, analyst) -> None:
    _people(setup, "substance-use", setup.town, 8)
    _people(setup, "mental-health", setup.town, 8)
    report = gaps_report(actor=analyst, on=ON)
    assert not {r.need for r in report.rows} & {"substance-use", "mental-health"}


def test_primary_and_secondary_suppression() -> None:
    counts = {(1, "a"): 3, (1, "b"): 9, (1, "c"): 12, (2, "a"): 2, (2, "b"): 4, (3, "a"): 20}
    hidden = suppress(counts)
    # Area 1: one small cell, so the next smallest (9) goes too; area 2: two small already.
    assert hidden == {(1, "a"), (1, "b"), (2, "a"), (2, "b")}


def test_page_and_csv_agree_and_hide_the_same(setup: Setup, analyst) -> None:
    _people(setup, "utility-insecurity", setup.town, 6)
    _people(setup, "food-insecurity", setup.town, 2)
    p = setup.personas
    client = p.client(analyst.user)
    page = client.get("/eligibility/gaps/").content.decode()
    csv_body = client.get("/eligibility/gaps.csv").content.decode()
    assert "fewer than 5" in page and "fewer than 5" in csv_body
    assert ",6\r\n" not in csv_body  # hidden with the small cell in the same area


def test_query_count_does_not_grow_with_people(
    setup: Setup, analyst, django_assert_max_num_queries
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _people(setup, "utility-insecurity", setup.town, 3)
    with CaptureQueriesContext(connection) as few:
        gaps_report(actor=analyst, on=ON)
    _people(setup, "utility-insecurity", setup.town, 25)
    with django_assert_max_num_queries(len(few.captured_queries)):
        gaps_report(actor=analyst, on=ON)
