"""The dashboards in a real browser: axe finds no WCAG 2.x A/AA violation on the index,
every report (charts with their text alternatives, tables, filters) and a filter error;
the charts are drawn (images that load); printing hides the filters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.analytics.synthetic import person, write_store
from tests.browser import World, assert_accessible, sign_in
from wraparound.analytics.reports import REPORTS
from wraparound.analytics.services import target_define

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def store(world: World, settings: Any, tmp_path: Path) -> World:
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    network = world.personas.network.pk
    people = [
        person(f"p{i}", network_id=network, case_managed=True, case_opened_on=dt.date(2025, 1, 1))
        for i in range(20)
    ]
    scores = [
        {
            "assessment_id": i * 2 + n,
            "person_key": f"p{i}",
            "completed_on": day,
            "domain": "housing",
            "score": score,
        }
        for i in range(20)
        for n, (day, score) in enumerate(
            [(dt.date(2025, 1, 5), 2), (dt.date(2025, 7, 1), 4 if i < 14 else 2)]
        )
    ]
    events = [
        {
            "event_id": i,
            "person_key": f"p{i}",
            "enrolment_id": i,
            "service_id": 1,
            "organisation_id": world.personas.partner_org.pk,
            "on": dt.date(2025, 3, 1 + i),
            "event_type": "session",
            "mode": "centre",
            "units": 1.0,
            "cost": 80.0,
        }
        for i in range(20)
    ]
    write_store(
        settings.ANALYTICS_DIR,
        {"people": people, "domain_scores": scores, "service_events": events},
    )
    target_define(
        actor=world.personas.actor(world.personas.manager),
        code="housing",
        title="Housing safe at 6 months",
        outcome="stable_housing_6m",
        target_percent=60,
    )
    return world


def test_dashboards_are_accessible_and_draw_their_charts(page: Page, store: World) -> None:
    sign_in(page, "manager")
    page.goto("/analytics/")
    assert_accessible(page, "the dashboards index")
    for report in REPORTS:
        page.goto(f"/analytics/{report.code}/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page, f"the {report.code} dashboard")
        for chart in page.locator("img.wa-chart").all():
            assert chart.get_attribute("alt"), report.code
            assert chart.evaluate("img => img.complete && img.naturalWidth > 0"), report.code
    page.goto("/analytics/outputs/?area=NOWHERE")
    expect(page.locator(".govuk-error-summary")).to_contain_text("no area with the code")
    assert_accessible(page, "a dashboard with a filter error")
    page.goto("/analytics/targets/")
    page.emulate_media(media="print")
    expect(page.locator("form[aria-labelledby='filters-heading']")).to_be_hidden()
    expect(page.locator("img.wa-chart").first).to_be_visible()
