"""Dashboard reports over a small store built by hand: outputs, suppression, filters,
satisfaction, shared targets with contributions, costs and cost-benefit, and the matched
evaluation, each checked against figures worked out by hand."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.analytics.synthetic import person, write_store
from wraparound.analytics.evaluation import att
from wraparound.analytics.filters import FilterError, Filters, open_filtered, parse_filters
from wraparound.analytics.reports import REPORTS, REPORTS_BY_CODE, quarter_ends
from wraparound.analytics.services import target_define, unit_costs_set
from wraparound.core.models import Area

D = dt.date


@pytest.fixture(autouse=True)
def analytics_dir(settings, tmp_path):
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    return settings.ANALYTICS_DIR


def referral(rid: int, key: str, *, receiving: int, referring: int, status: str, accepted: bool):
    requested = dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)
    return {
        "referral_id": rid,
        "person_key": key,
        "service_id": 1,
        "receiving_organisation_id": receiving,
        "referring_organisation_id": referring,
        "need": "housing-instability",
        "urgency": "routine",
        "status": status,
        "requested_at": requested,
        "accepted_at": requested + dt.timedelta(days=2) if accepted else None,
        "closed_at": requested + dt.timedelta(days=20) if status == "completed" else None,
        "requested_on": requested.date(),
        "accepted_on": (requested + dt.timedelta(days=2)).date() if accepted else None,
        "closed_on": (requested + dt.timedelta(days=20)).date() if status == "completed" else None,
    }


@pytest.fixture
def outputs_store(analytics_dir, personas):
    org_a, org_b = personas.one_stop.pk, personas.partner_org.pk
    people = [person(f"p{i}", network_id=personas.network.pk) for i in range(8)]
    people += [person("far", network_id=personas.network.pk, district_code="D2", area_code="N9")]
    referrals = [
        referral(i, f"p{i}", receiving=org_b, referring=org_a, status=s, accepted=a)
        for i, (s, a) in enumerate(
            [
                ("completed", True),
                ("completed", True),
                ("accepted", True),
                ("accepted", True),
                ("accepted", True),
                ("rejected", False),
            ]
        )
    ]
    events = [
        {
            "event_id": i,
            "person_key": f"p{i % 6}",
            "enrolment_id": 1,
            "service_id": 1,
            "organisation_id": org_b,
            "on": D(2026, 2, 1 + i),
            "event_type": "session",
            "mode": "centre",
            "units": 1.0,
            "cost": 50.0,
        }
        for i in range(12)
    ]
    write_store(analytics_dir, {"people": people, "referrals": referrals, "service_events": events})
    return personas


def run(code: str, filters: Filters):
    db = open_filtered(filters)
    return REPORTS_BY_CODE[code].run(db, filters)


def test_outputs_by_month_with_small_counts_suppressed(outputs_store):
    result = run("outputs", Filters(network_id=outputs_store.network.pk))
    months = {str(r["month"]): r for r in result.table("by_month").rows}
    january, february = months["2026-01-01"], months["2026-02-01"]
    assert january["referrals_made"] == 6 and january["referrals_accepted"] == 5
    assert january["referrals_completed"] is None  # 2 completed: too few to show
    assert january["median_days_to_accept"] == 2.0
    assert february["service_events"] == 12 and february["cost"] == 600.0
    assert "suppressed" in result.table("by_month").to_csv()
    organisation = {r["organisation"]: r for r in result.table("by_organisation").rows}
    assert organisation[outputs_store.partner_org.name]["referrals_received"] == 6
    assert organisation[outputs_store.one_stop.name]["referrals_made"] == 6
    assert result.charts and "6 made and 5 accepted" in result.charts[0].summary


def test_referrals_count_as_accepted_only_once_accepted_by_the_reports_day(outputs_store):
    # Requested on 10 January and accepted on the 12th: on the 11th none was accepted yet,
    # by month and by organisation alike, and no time to accept is known.
    result = run("outputs", Filters(network_id=outputs_store.network.pk, end=D(2026, 1, 11)))
    (january,) = result.table("by_month").rows
    partner = {r["organisation"]: r for r in result.table("by_organisation").rows}[
        outputs_store.partner_org.name
    ]
    for row in (january, partner):
        assert row["referrals_accepted"] == 0 and row["referrals_completed"] == 0
        assert row["median_days_to_accept"] is None
    assert partner["referrals_received"] == 6 and january["referrals_made"] == 6
    later = run("outputs", Filters(network_id=outputs_store.network.pk, end=D(2026, 1, 12)))
    partner = {r["organisation"]: r for r in later.table("by_organisation").rows}[
        outputs_store.partner_org.name
    ]
    assert partner["referrals_accepted"] == 5 and partner["median_days_to_accept"] == 2.0
    assert partner["referrals_completed"] == 0  # completed on the 30th


def test_filters_cut_the_cohort_and_the_period(outputs_store):
    network = outputs_store.network.pk
    Area.objects.create(network_id=network, level="region", code="R1", name="Region")
    nowhere = run("outputs", Filters(network_id=network, area="D2", area_name="D2"))
    assert all(r["referrals_made"] in (0, None) for r in nowhere.table("by_month").rows)
    before = run("outputs", Filters(network_id=network, end=D(2026, 1, 31)))
    assert [str(r["month"]) for r in before.table("by_month").rows] == ["2026-01-01"]
    later = run("outputs", Filters(network_id=network, start=D(2026, 2, 1)))
    assert {str(r["month"]) for r in later.table("by_month").rows} == {"2026-02-01"}


def test_unknown_filters_are_refused_by_name(personas):
    network = personas.network.pk
    with pytest.raises(FilterError, match="no area with the code 'XX9'"):
        parse_filters({"area": "XX9"}, network_id=network)
    with pytest.raises(FilterError, match="no population group 'giants'"):
        parse_filters({"group": "giants"}, network_id=network)
    with pytest.raises(FilterError, match="no organisation '99999'"):
        parse_filters({"organisation": "99999"}, network_id=network)
    with pytest.raises(FilterError, match="not a date"):
        parse_filters({"from": "last tuesday"}, network_id=network)
    with pytest.raises(FilterError, match="ends before it starts"):
        parse_filters({"from": "2026-02-01", "to": "2026-01-01"}, network_id=network)
    other = Area.objects.create(network_id=network, level="region", code="W1", name="Wales")
    assert parse_filters({"area": "W1"}, network_id=network).area_name == other.name


def test_satisfaction_by_organisation_suppresses_few_answers(analytics_dir, personas):
    org_a, org_b = personas.one_stop.pk, personas.partner_org.pk
    people = [person(f"p{i}", network_id=personas.network.pk) for i in range(7)]
    answers = [
        {
            "person_key": f"p{i}",
            "organisation_id": org_a,
            "trigger": "closure",
            "sent_on": D(2026, 3, 1),
            "answered_on": D(2026, 3, 2),
            "told_story_once": score,
            "knew_who_to_contact": 5,
            "agencies_talked": 4,
            "overall": score,
        }
        for i, score in enumerate([5, 4, 4, 2, 5])
    ] + [
        {
            "person_key": f"p{i}",
            "organisation_id": org_b,
            "trigger": "step_down",
            "sent_on": D(2026, 3, 1),
            "answered_on": D(2026, 3, 2),
            "overall": 1,
        }
        for i in (5, 6)
    ]
    write_store(analytics_dir, {"people": people, "satisfaction": answers})
    result = run("satisfaction", Filters(network_id=personas.network.pk))
    rows = {r["organisation"]: r for r in result.table("by_organisation").rows}
    mine = rows[personas.one_stop.name]
    assert mine["answered"] == 5 and mine["overall"] == 4.0 and mine["overall_agree"] == 80.0
    assert rows[personas.partner_org.name]["overall"] is None  # two answers: suppressed
    assert "7 surveys" in result.summary[0]


FIRST, LATER = D(2025, 1, 10), D(2025, 7, 10)


def scores(key: str, first: int, latest: int, *, on=FIRST, later=LATER):
    return [
        {
            "assessment_id": hash((key, 1)) % 10**9,
            "person_key": key,
            "completed_on": on,
            "domain": "housing",
            "score": first,
        },
        {
            "assessment_id": hash((key, 2)) % 10**9,
            "person_key": key,
            "completed_on": later,
            "domain": "housing",
            "score": latest,
        },
    ]


def test_shared_target_over_time_with_each_organisation_contribution(analytics_dir, personas):
    manager = personas.actor(personas.manager)
    network = personas.network.pk
    org_a, org_b = personas.one_stop.pk, personas.partner_org.pk
    people, domain_scores, assessments, enrolments = [], [], [], []
    for i in range(20):
        key = f"p{i}"
        people.append(
            person(
                key,
                network_id=network,
                case_managed=True,
                case_opened_on=D(2025, 1, 1),
                lead_organisation_id=org_a,
            )
        )
        # Housing safe at ~6 months for 14 of 20 people.
        domain_scores += scores(key, 1, 4 if i < 14 else 2, later=D(2025, 7, 1))
        assessments.append(
            {
                "assessment_id": i,
                "person_key": key,
                "completed_on": D(2025, 1, 2),
                "tier": "intensive",
                "organisation_id": org_a,
            }
        )
        if i < 10:  # the housing association served the first ten
            enrolments.append(
                {
                    "enrolment_id": i,
                    "person_key": key,
                    "service_id": 1,
                    "organisation_id": org_b,
                    "started_on": D(2025, 2, 1),
                }
            )
    write_store(
        analytics_dir,
        {
            "people": people,
            "domain_scores": domain_scores,
            "assessments": assessments,
            "enrolments": enrolments,
        },
    )
    target_define(
        actor=manager,
        code="housing-6m",
        title="Housing safe at 6 months",
        outcome="stable_housing_6m",
        target_percent="70",
        tier="intensive",
    )
    result = run("targets", Filters(network_id=network, end=D(2026, 1, 31)))
    series = result.table("housing-6m_over_time").rows
    assert series[-1]["percent"] == 70.0 and series[-1]["target"] == 70.0
    assert series[0]["denominator"] in (0, None)  # before anyone reached six months
    contributions = {r["organisation"]: r for r in result.table("housing-6m_contributions").rows}
    assert contributions[personas.partner_org.name]["numerator"] == 10
    assert contributions[personas.partner_org.name]["share_of_achieved"] == round(1000 / 14, 1)
    assert result.summary[0].endswith("against a target of at least 70.0% — met.")
    ceiling = target_define(
        actor=manager,
        code="housing-6m",
        title="Housing safe at 6 months",
        outcome="stable_housing_6m",
        target_percent="60",
        direction="at_most",
    )
    assert ceiling.version == 2 and ceiling.met_by(70.0) is False and ceiling.met_by(None) is None
    again = run("targets", Filters(network_id=network, end=D(2026, 1, 31)))
    assert again.summary[0].endswith("at most 60.0% — not met.")


def test_a_target_with_an_undefined_outcome_is_refused(personas):
    manager = personas.actor(personas.manager)
    with pytest.raises(ValidationError, match="no outcome 'happiness'"):
        target_define(actor=manager, code="x", title="X", outcome="happiness", target_percent=50)
    with pytest.raises(ValidationError, match="0 to 100"):
        target_define(
            actor=manager, code="x", title="X", outcome="need_improved", target_percent=150
        )
    with pytest.raises(PermissionDenied):
        target_define(
            actor=personas.actor(personas.partner),
            code="x",
            title="X",
            outcome="need_improved",
            target_percent=50,
        )
    first = target_define(
        actor=manager, code="x", title="X", outcome="need_improved", target_percent=50
    )
    second = target_define(
        actor=manager,
        code="x",
        title="X v2",
        outcome="need_improved",
        target_percent=Decimal("55.5"),
    )
    assert (first.version, second.version) == (1, 2)


def test_cost_benefit_against_hand_worked_figures(analytics_dir, personas):
    network = personas.network.pk
    manager = personas.actor(personas.manager)
    unit_costs_set(actor=manager, costs={"ed_attendance": 200}, source="Test figures")
    entry = D(2025, 1, 1)
    people, crises, events = [], [], []
    for i in range(5):
        key = f"p{i}"
        people.append(person(key, network_id=network, case_managed=True, case_opened_on=entry))
        crises += [
            {"person_key": key, "kind": "ed_attendance", "occurred_on": D(2024, m, 1)}
            for m in (3, 9)
        ]
        crises.append({"person_key": key, "kind": "ed_attendance", "occurred_on": D(2025, 6, 1)})
        events.append(
            {
                "event_id": i,
                "person_key": key,
                "enrolment_id": i,
                "service_id": 1,
                "organisation_id": personas.one_stop.pk,
                "on": D(2025, 3, 1),
                "event_type": "session",
                "mode": "centre",
                "units": 2.0,
                "cost": 100.0,
            }
        )
    write_store(
        analytics_dir, {"people": people, "crisis_events": crises, "service_events": events}
    )
    result = run("costs", Filters(network_id=network, end=D(2026, 1, 1)))
    everyone = result.table("cost_benefit").rows[0]
    assert everyone["people"] == 5
    assert everyone["crisis_cost_before"] == 400.0  # 2 a year x £200
    assert everyone["crisis_cost_after"] == 200.0
    assert everyone["support_cost"] == 100.0
    assert everyone["net"] == 100.0 and everyone["per_pound"] == 2.0
    assert any("Test figures" in note for note in result.notes)
    with pytest.raises(ValidationError, match="Unknown crisis kinds: teleport"):
        unit_costs_set(actor=manager, costs={"teleport": 5}, source="x")


def test_matched_evaluation_with_a_confidence_interval(analytics_dir, personas):
    network = personas.network.pk
    people, domain_scores = [], []
    for i, change in enumerate([1, 1, 1, 1, 2, 0]):
        key = f"t{i}"
        people.append(
            person(key, network_id=network, case_managed=True, case_opened_on=D(2025, 1, 5))
        )
        domain_scores += scores(key, 2, 2 + change)
    for i, change in enumerate([0, 0, 0, 0, 1, -1]):
        key = f"c{i}"
        people.append(person(key, network_id=network))
        domain_scores += scores(key, 2, 2 + change)
    # Someone in another district has no match and is left out.
    people.append(
        person(
            "lonely",
            network_id=network,
            district_code="D7",
            case_managed=True,
            case_opened_on=D(2025, 1, 5),
        )
    )
    domain_scores += scores("lonely", 2, 5)
    write_store(analytics_dir, {"people": people, "domain_scores": domain_scores})
    result = run("evaluation", Filters(network_id=network, end=D(2026, 1, 1)))
    change = result.table("effects").rows[0]
    assert (change["treated"], change["comparison"]) == (6, 6)
    se = math.sqrt(0.4 / 6 + 0.4 / 6)
    assert change["effect"] == 1.0
    assert change["low"] == round(1 - 1.96 * se, 3) and change["high"] == round(1 + 1.96 * se, 3)
    assert any("Observational" in note for note in result.notes)


def test_effect_on_the_treated_weights_strata_by_treated_people():
    strata = [
        {
            "age_band": "a",
            "district": "d",
            "population_group": "g",
            "baseline_band": 2.0,
            "treated": True,
            "n": 3,
            "change_mean": 1.0,
            "change_var": 0.0,
        },
        {
            "age_band": "a",
            "district": "d",
            "population_group": "g",
            "baseline_band": 2.0,
            "treated": False,
            "n": 1,
            "change_mean": 0.0,
            "change_var": 0.0,
        },
        {
            "age_band": "b",
            "district": "d",
            "population_group": "g",
            "baseline_band": 2.0,
            "treated": True,
            "n": 1,
            "change_mean": 3.0,
            "change_var": 0.0,
        },
        {
            "age_band": "b",
            "district": "d",
            "population_group": "g",
            "baseline_band": 2.0,
            "treated": False,
            "n": 2,
            "change_mean": 1.0,
            "change_var": 0.5,
        },
    ]
    found = att(strata, "change")
    assert found["treated"] == 4 and found["effect"] == round(0.75 * 1 + 0.25 * 2, 3)


def test_every_report_runs_on_an_empty_store(analytics_dir, personas):
    write_store(analytics_dir, {})
    for report in REPORTS:
        result = run(report.code, Filters(network_id=personas.network.pk))
        assert result.summary, report.code


def test_quarter_ends():
    assert quarter_ends(D(2026, 5, 10), 3) == [D(2025, 12, 31), D(2026, 3, 31), D(2026, 5, 10)]


def test_a_chart_spec_is_checked_against_the_vega_lite_schema():
    import jsonschema

    from wraparound.analytics.results import Chart

    good = Chart(
        "t",
        "s",
        "x",
        {
            "data": {"values": [{"a": 1}]},
            "mark": "bar",
            "encoding": {"x": {"field": "a", "type": "quantitative"}},
        },
    )
    assert good.svg().startswith("<svg")
    bad = Chart(
        "t",
        "s",
        "x",
        {
            "data": {"values": []},
            "mark": "bar",
            "encoding": {"x": {"field": "a", "type": "quantitativ"}},
        },
    )
    with pytest.raises(jsonschema.ValidationError, match="quantitativ"):
        bad.svg()
