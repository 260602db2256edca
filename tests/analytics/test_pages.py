"""The dashboards as managers and analysts use them: every report page with its charts
(each with a text alternative and a table), filters, CSV downloads and clear errors; the
configuration page for targets and unit costs; nobody else gets in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories as f
from tests.analytics.synthetic import person, write_store
from wraparound.accounts.models import Role
from wraparound.analytics.models import CrisisUnitCosts, SharedTarget
from wraparound.analytics.reports import REPORTS
from wraparound.audit.models import AuditEvent
from wraparound.core.models import Area

D = dt.date


@pytest.fixture(autouse=True)
def analytics_dir(settings, tmp_path):
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    return settings.ANALYTICS_DIR


@pytest.fixture
def store(analytics_dir, personas):
    network = personas.network.pk
    people = [
        person(f"p{i}", network_id=network, case_managed=True, case_opened_on=D(2025, 1, 1))
        for i in range(12)
    ]
    events = [
        {
            "event_id": i,
            "person_key": f"p{i}",
            "enrolment_id": i,
            "service_id": 1,
            "organisation_id": personas.partner_org.pk,
            "on": D(2025, 3, 1),
            "event_type": "session",
            "mode": "centre",
            "units": 1.0,
            "cost": 80.0,
        }
        for i in range(12)
    ]
    write_store(analytics_dir, {"people": people, "service_events": events})
    return personas


@pytest.fixture
def analyst(personas):
    user = f.UserFactory(username="analyst")
    f.MembershipFactory(user=user, organisation=personas.one_stop, role=Role.ANALYST)
    return personas.client(user)


def test_every_report_page_has_charts_with_text_and_tables(store, analyst):
    index = analyst.get(reverse("analytics:index"))
    assert index.status_code == 200
    for report in REPORTS:
        assert reverse("analytics:report", args=[report.code]) in index.content.decode()
        page = analyst.get(reverse("analytics:report", args=[report.code]))
        assert page.status_code == 200, report.code
        html = page.content.decode()
        assert "Definitions and assumptions" in html
        assert 'class="govuk-table"' in html or "has not set" in html, report.code
    outputs = analyst.get(reverse("analytics:report", args=["outputs"])).content.decode()
    assert 'class="wa-chart" src="data:image/svg+xml;base64,' in outputs
    assert 'alt="Line chart of referrals made' in outputs
    assert ".csv" in outputs
    assert AuditEvent.objects.filter(action="analytics.report.outputs").exists()


def test_filters_are_kept_and_an_unknown_area_is_a_clear_error(store, analyst):
    Area.objects.create(network=store.network, level="region", code="R9", name="Rhondda")
    page = analyst.get(reverse("analytics:report", args=["outputs"]), {"area": "NOPE"})
    assert page.status_code == 400
    html = page.content.decode()
    assert "There is no area with the code &#x27;NOPE&#x27; in this network." in html
    assert "govuk-error-summary" in html
    fine = analyst.get(
        reverse("analytics:report", args=["outputs"]), {"area": "R9", "from": "2025-01-01"}
    )
    assert fine.status_code == 200 and "in Rhondda" in fine.content.decode()
    assert 'value="2025-01-01"' in fine.content.decode()


def test_each_table_downloads_as_csv_with_the_filters(store, analyst):
    response = analyst.get(
        reverse("analytics:report_csv", args=["outputs", "by_service"]), {"to": "2025-12-31"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="outputs-by_service')
    lines = response.content.decode().splitlines()
    assert lines[0] == "Service,Service events,People,Units,Cost (£)"
    assert lines[1].endswith(",12,12,12.0,960.0")
    missing = analyst.get(reverse("analytics:report_csv", args=["outputs", "nothing"]))
    assert missing.status_code == 404
    bad = analyst.get(
        reverse("analytics:report_csv", args=["outputs", "by_service"]), {"group": "x"}
    )
    assert bad.status_code == 400 and b"no population group" in bad.content


def test_without_a_store_the_page_says_how_to_get_one(personas, analyst):
    page = analyst.get(reverse("analytics:report", args=["outcomes"]))
    assert page.status_code == 503
    assert "refresh_analytics" in page.content.decode()


def test_only_aggregate_roles_see_dashboards(store):
    for user in (store.partner, store.keyworker, store.privacy):
        client = store.client(user)
        assert client.get(reverse("analytics:index")).status_code == 403
        assert client.get(reverse("analytics:report", args=["outputs"])).status_code == 403
    assert store.client(store.manager).get(reverse("analytics:index")).status_code == 200


def test_managers_set_targets_and_unit_costs_as_new_versions(store, analyst):
    client = store.client(store.manager)
    url = reverse("analytics:configuration")
    assert analyst.get(url).status_code == 403
    response = client.post(
        url,
        {
            "target": "1",
            "code": "safe-housing",
            "title": "Housing safe at 6 months",
            "outcome": "stable_housing_6m",
            "tier": "intensive",
            "direction": "at_least",
            "target_percent": "70",
        },
    )
    assert response.status_code == 302
    refused = client.post(
        url,
        {"target": "1", "code": "x", "title": "X", "outcome": "joy", "target_percent": "70"},
    )
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    costs = {f"cost_{k}": "100" for k in ("ed_attendance", "hospital_admission")}
    partial = client.post(url, {"costs": "1", "source": "NHS reference costs", **costs})
    assert partial.status_code == 400 and CrisisUnitCosts.objects.count() == 0
    every = {
        f"cost_{k}": "100"
        for k in (
            "ed_attendance",
            "hospital_admission",
            "shelter_night",
            "police_custody",
            "crisis_team",
        )
    }
    assert client.post(url, {"costs": "1", "source": "Unit costs 2025", **every}).status_code == 302
    assert SharedTarget.objects.get().version == 1
    assert CrisisUnitCosts.objects.get().costs["shelter_night"] == 100.0
    page = analyst.get(reverse("analytics:report", args=["targets"]))
    assert "Housing safe at 6 months" in page.content.decode()
