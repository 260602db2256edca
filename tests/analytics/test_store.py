"""The analytics store: every table of the contract written to Parquet with its columns,
people only as keyed hashes, no free text, switched to atomically (an interrupted refresh
keeps the previous store), old snapshots pruned, refreshed nightly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.eligibility.factories import ServiceFactory
from wraparound.analytics import store, tasks
from wraparound.analytics.schema import TABLES
from wraparound.crisis.models import CrisisEvent
from wraparound.enrolments.models import Enrolment, ServiceEvent


@pytest.fixture(autouse=True)
def analytics_dir(settings, tmp_path):
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    return settings.ANALYTICS_DIR


@pytest.fixture
def history(personas, person, case):
    service = ServiceFactory(organisation=personas.partner_org, name="Tenancy support")
    enrolment = Enrolment.objects.create(
        network=personas.network,
        person=person,
        service=service,
        organisation=personas.partner_org,
        started_on=dt.date(2026, 1, 5),
        end_note="Private words about the person",
        enrolled_by=personas.partner,
    )
    for day in (6, 13, 20):
        ServiceEvent.objects.create(
            enrolment=enrolment,
            person=person,
            service=service,
            organisation=personas.partner_org,
            on=dt.date(2026, 1, day),
            event_type="session",
            mode="centre",
            units=Decimal("1.5"),
            unit_cost=Decimal("40"),
            cost=Decimal("60"),
            note="Talked about debts with the landlord",
            delivered_by=personas.partner,
            recorded_by=personas.partner,
        )
    CrisisEvent.objects.create(
        network=personas.network,
        person=person,
        kind="ed_attendance",
        category="health",
        occurred_at=timezone.now() - dt.timedelta(days=30),
        detail="Fell on the stairs",
        source="staff",
        source_organisation=personas.one_stop,
        recorded_by=personas.keyworker,
    )
    return person


def test_every_table_is_written_with_its_columns(history):
    result = store.refresh_store()
    snapshot = store.current_snapshot()
    assert snapshot == result.snapshot
    for table in TABLES:
        parquet = pq.read_table(snapshot / f"{table.name}.parquet")
        assert parquet.column_names == table.column_names, table.name
    assert result.rows["service_events"] == 3
    assert result.rows["people"] >= 1 and result.rows["crisis_events"] == 1


def test_people_are_keyed_hashes_and_no_free_text_leaves(history):
    store.refresh_store()
    db = store.open_store()
    keys = {row[0] for row in db.execute("SELECT person_key FROM people").fetchall()}
    assert store.person_key(history.pk) in keys
    assert str(history.pk) not in keys
    events = db.execute("SELECT person_key, cost, units FROM service_events").fetchall()
    assert {e[0] for e in events} == {store.person_key(history.pk)}
    assert sum(e[1] for e in events) == 180.0
    text = b"".join(p.read_bytes() for p in store.current_snapshot().iterdir())
    for secret in (
        b"Private words",
        b"Talked about debts",
        b"Fell on the stairs",
        history.family_name.encode(),
    ):
        assert secret not in text


def test_keys_are_stable_between_refreshes_and_depend_on_the_secret(history, settings):
    first = store.person_key(history.pk)
    store.refresh_store()
    assert store.person_key(history.pk) == first
    settings.ANALYTICS_KEY_SECRET = "another secret"
    assert store.person_key(history.pk) != first


def test_an_interrupted_refresh_keeps_the_previous_store(history, monkeypatch):
    store.refresh_store()
    before = store.current_snapshot()

    def broken(network_id, key):  # type: ignore[no-untyped-def]
        raise RuntimeError("the database went away")
        yield  # pragma: no cover

    monkeypatch.setitem(store.EXPORTS, "service_events", broken)
    with pytest.raises(RuntimeError):
        store.refresh_store()
    assert store.current_snapshot() == before
    assert store.open_store().execute("SELECT count(*) FROM service_events").fetchone() == (3,)
    assert not [p for p in before.parent.iterdir() if p.name.endswith(".partial")]


def test_old_snapshots_are_pruned(history):
    for _ in range(4):
        store.refresh_store()
    assert (
        len([p for p in (store.store_dir() / "snapshots").iterdir() if p.is_dir()])
        == store.KEEP_SNAPSHOTS
    )


def test_no_snapshot_is_a_clear_error():
    with pytest.raises(store.StoreNotReady, match="refresh_analytics"):
        store.open_store()


def test_the_command_and_the_nightly_job(history, capsys, settings):
    call_command("refresh_analytics")
    assert "Analytics store refreshed" in capsys.readouterr().out
    assert tasks.refresh_if_due() is None  # fresh enough
    settings.ANALYTICS_REFRESH_HOURS = 0
    assert tasks.refresh_if_due() is not None


def test_evaluation_refusals_are_marked(personas, person, case):
    from wraparound.consent.services import consent_record, consent_withdraw

    actor = personas.actor(personas.keyworker)
    consent = consent_record(
        actor=actor,
        person=person,
        recipient_kind="network",
        purpose="evaluation",
        categories=["assessments"],
        evidence="verbal",
    )
    consent_withdraw(actor=actor, consent=consent)
    store.refresh_store()
    row = (
        store.open_store()
        .execute(
            "SELECT evaluation_opt_out, case_managed FROM people WHERE person_key = ?",
            [store.person_key(person.pk)],
        )
        .fetchone()
    )
    assert row == (True, True)


def test_age_bands():
    today = dt.date(2026, 11, 22)
    assert store.age_band(dt.date(2009, 11, 23), today) == "0-17"
    assert store.age_band(dt.date(2008, 11, 22), today) == "18-24"
    assert store.age_band(dt.date(1940, 1, 1), today) == "75+"
    assert store.age_band(None, today) is None


def test_every_outcome_runs_on_a_refreshed_store(history):
    from wraparound.analytics.filters import Filters, open_filtered
    from wraparound.analytics.outcomes import OUTCOMES, crisis_rates

    store.refresh_store()
    db = open_filtered(Filters())
    for outcome in OUTCOMES:
        numerator, denominator = outcome.count(db)
        assert 0 <= numerator <= denominator, outcome.code
    assert [r["kind"] for r in crisis_rates(db)] in ([], ["ed_attendance"])


def test_every_file_has_the_schema_types(history):
    store.refresh_store()
    snapshot = store.current_snapshot()
    for table in TABLES:
        written = pq.read_schema(snapshot / f"{table.name}.parquet")
        expected = store.arrow_schema(table)
        assert [(f.name, f.type) for f in written] == [(f.name, f.type) for f in expected], (
            table.name
        )


def test_the_sql_path_agrees_with_the_orm(history, personas, settings):
    """The big tables are extracted in SQL and converted by DuckDB: their values are the ORM's,
    and a timestamp's day is the local one (London is an hour ahead of UTC in summer)."""
    from tests.assessments.factories import AssessmentFactory
    from wraparound.assessments.loader import load_all
    from wraparound.assessments.models import DomainScore

    assert settings.TIME_ZONE == "Europe/London"
    load_all(loaded_by="tests")
    summer_night = dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC)
    winter_night = dt.datetime(2026, 1, 10, 23, 30, tzinfo=dt.UTC)
    enrolment = Enrolment.objects.get(person=history)
    ServiceEvent.objects.create(
        enrolment=enrolment,
        person=history,
        service=enrolment.service,
        organisation=enrolment.organisation,
        on=dt.date(2026, 1, 27),
        event_type="advice",
        mode="phone",
        units=Decimal("0.25"),
        duration_minutes=15,
        cost=None,
        delivered_by=personas.partner,
        recorded_by=personas.partner,
    )
    for at in (summer_night, winter_night):
        CrisisEvent.objects.create(
            network=personas.network,
            person=history,
            kind="shelter_night",
            category="plans_referrals",
            occurred_at=at,
            source="staff",
            source_organisation=personas.one_stop,
        )
    assessment = AssessmentFactory(
        person=history, organisation=personas.one_stop, completed_at=summer_night
    )
    DomainScore.objects.create(assessment=assessment, domain="housing", score=2)

    store.refresh_store()
    db = store.open_store()
    key = store.person_key(history.pk)
    for event in ServiceEvent.objects.filter(person=history):
        row = db.execute(
            'SELECT person_key, enrolment_id, service_id, organisation_id, "on", event_type, '
            "mode, units, minutes, cost FROM service_events WHERE event_id = ?",
            [event.pk],
        ).fetchone()
        assert row == (
            key,
            event.enrolment_id,
            event.service_id,
            event.organisation_id,
            event.on,
            event.event_type,
            event.mode,
            float(event.units),
            event.duration_minutes,
            None if event.cost is None else float(event.cost),
        )
    crisis_days = db.execute(
        "SELECT occurred_on FROM crisis_events WHERE kind = 'shelter_night' ORDER BY 1"
    ).fetchall()
    assert [d for (d,) in crisis_days] == [dt.date(2026, 1, 10), dt.date(2026, 7, 2)]
    occurred = CrisisEvent.objects.get(occurred_at=summer_night).occurred_at
    assert timezone.localtime(occurred).date() == dt.date(2026, 7, 2)
    assert db.execute(
        "SELECT a.person_key, a.completed_on, a.instrument, a.tier, a.organisation_id, "
        "s.domain, s.score, s.completed_on FROM assessments a JOIN domain_scores s USING "
        "(assessment_id) WHERE assessment_id = ?",
        [assessment.pk],
    ).fetchone() == (
        key,
        dt.date(2026, 7, 2),
        assessment.instrument_version.instrument.code,
        assessment.tier,
        personas.one_stop.pk,
        "housing",
        2,
        dt.date(2026, 7, 2),
    )
    assert db.execute(
        "SELECT started_on, ended_on, end_reason, referral_id FROM enrolments"
    ).fetchall() == [(dt.date(2026, 1, 5), None, None, None)]


def test_referrals_carry_their_times_and_latest_acceptance(personas, person, case):
    from tests.referrals.factories import consent_to, housing_service, refer
    from wraparound.referrals.models import ReferralStatus, ReferralTransition
    from wraparound.referrals.services import referral_transition

    service = housing_service(personas)
    consent_to(personas, person, personas.partner_org)
    referral = refer(personas, person, service)
    receiver = personas.actor(personas.partner)
    referral_transition(actor=receiver, referral=referral, to=ReferralStatus.ACCEPTED)
    referral_transition(
        actor=receiver,
        referral=referral,
        to=ReferralStatus.ON_HOLD,
        reason_code="awaiting-person",
        reason="Away",
    )
    referral_transition(actor=receiver, referral=referral, to=ReferralStatus.ACCEPTED)
    referral.refresh_from_db()
    latest = (
        ReferralTransition.objects.filter(referral=referral, to_status=ReferralStatus.ACCEPTED)
        .order_by("at", "id")
        .last()
    )
    assert latest is not None

    store.refresh_store()
    db = store.open_store()
    row = db.execute(
        "SELECT person_key, service_id, status, status_reason_code, requested_at, respond_by, "
        "accepted_at FROM referrals WHERE referral_id = ?",
        [referral.pk],
    ).fetchone()
    assert row == (
        store.person_key(person.pk),
        service.pk,
        ReferralStatus.ACCEPTED,
        None,
        referral.requested_at,
        referral.respond_by,
        latest.at,
    )
    # The days, in the network's time zone (not DuckDB's or the machine's).
    days = db.execute(
        "SELECT requested_on, accepted_on, closed_on FROM referrals WHERE referral_id = ?",
        [referral.pk],
    ).fetchone()
    assert days == (timezone.localdate(referral.requested_at), timezone.localdate(latest.at), None)
    assert db.execute(
        'SELECT count(*) FROM referral_transitions WHERE referral_id = ? AND "on" IS NULL',
        [referral.pk],
    ).fetchone() == (0,)
    moves = db.execute(
        "SELECT from_status, to_status, reason_code FROM referral_transitions "
        'WHERE referral_id = ? ORDER BY "at"',
        [referral.pk],
    ).fetchall()
    assert ("", "draft", None) in moves  # created: '' before, not null
    assert ("draft", "requested", None) in moves
    assert ("accepted", "on-hold", "awaiting-person") in moves
