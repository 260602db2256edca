"""Bulk linkage: automatic links, new people, the review queue, labels that win, export."""

from __future__ import annotations

import csv

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests import factories as f
from wraparound.accounts.actor import Actor
from wraparound.audit.models import AuditEvent
from wraparound.linkage.models import (
    LinkageModel,
    LinkMethod,
    LinkRun,
    LinkStatus,
    ReviewDecision,
    ReviewLabel,
    ReviewPair,
    ReviewStatus,
    SourceRecord,
)
from wraparound.linkage.services import import_people, link_network, review_decide
from wraparound.people.models import Person

pytestmark = pytest.mark.django_db


def _person_of(local_id: str) -> int | None:
    return SourceRecord.objects.get(local_id=local_id).person_id


def test_link_groups_the_same_people_and_creates_the_rest(personas, imported) -> None:  # type: ignore[no-untyped-def]
    actor = personas.actor(personas.keyworker)
    summary = link_network(actor=actor, network=personas.network)
    assert summary.run.status == "done"
    # Five people held by both agencies (a nickname, day/month swapped, a move, a typo),
    # five strangers: ten people, nobody waiting.
    assert Person.objects.count() == 10
    assert SourceRecord.objects.filter(link_status=LinkStatus.LINKED).count() == 15
    for n in range(1, 6):
        assert _person_of(f"H{n}") == _person_of(f"X{n}") is not None
    assert not ReviewPair.objects.exists()
    strangers = {_person_of(f"S{i}") for i in range(5)}
    assert len(strangers) == 5
    assert strangers.isdisjoint({_person_of(f"H{n}") for n in range(1, 6)})
    bill = SourceRecord.objects.get(local_id="X1")
    assert bill.link_method in (LinkMethod.AUTOMATIC, LinkMethod.NEW_PERSON)
    person = Person.objects.get(pk=bill.person_id)
    assert person.family_name == "Pritchard" and person.registered_by == personas.one_stop
    model = LinkageModel.objects.get()
    assert model.version == 1 and model.metrics["trained"] is False
    assert AuditEvent.objects.filter(action="linkage.run").count() == 1
    # Read once to train (the default model here) and once to link.
    assert AuditEvent.objects.filter(action="linkage.read_identity").count() == 2
    assert AuditEvent.objects.filter(action="person.create").count() == 10


def test_second_run_links_new_records_to_existing_people(personas, imported, tmp_path) -> None:  # type: ignore[no-untyped-def]
    actor = personas.actor(personas.keyworker)
    link_network(actor=actor, network=personas.network)
    before = Person.objects.count()
    late = tmp_path / "late.csv"
    late.write_text(
        "local_id,given_name,family_name,date_of_birth,sex,address,postcode\n"
        "L1,Agnieszka,Nowak,1988-01-20,female,3 Park Road Newport,NP20 4DD\n"
        "L2,Brand,New,1970-01-01,male,1 Nowhere Lane,LD1 1AA\n"
    )
    import_people(actor=Actor.system("t"), path=late, source=imported)
    summary = link_network(actor=actor, network=personas.network)
    assert summary.counts["automatic"] == 1 and summary.counts["new_people"] == 1
    assert _person_of("L1") == _person_of("H4")
    assert Person.objects.count() == before + 1


def test_registered_person_is_found_by_bulk_linkage(personas, tmp_path) -> None:  # type: ignore[no-untyped-def]
    person = f.PersonFactory(
        network=personas.network,
        given_name="Ffion",
        family_name="Rees",
        date_of_birth="1983-06-17",
        postcode="CF47 8PP",
        address_line_1="61 York Road",
        town="Merthyr",
    )
    path = tmp_path / "one.csv"
    path.write_text(
        "local_id,given_name,family_name,date_of_birth,postcode,address\n"
        "R1,Ffion,Rees,1983-06-17,CF47 8PP,61 York Road Merthyr\n"
    )
    import_people(actor=Actor.system("t"), path=path, source=personas.partner_org)
    link_network(actor=personas.actor(personas.keyworker), network=personas.network)
    assert _person_of("R1") == person.pk


def test_grey_zone_pair_waits_for_review(personas, grey_pair) -> None:  # type: ignore[no-untyped-def]
    record = SourceRecord.objects.get(local_id="G1")
    assert record.link_status == LinkStatus.REVIEW and record.person_id is None
    pair = ReviewPair.objects.get()
    assert pair.person == grey_pair and pair.record == record and pair.status == ReviewStatus.OPEN
    model = LinkageModel.objects.get()
    assert model.lower_threshold <= pair.score < model.upper_threshold
    fields = {c["field"]: c for c in pair.comparison}
    assert fields["family_name"]["level"] == "exact"
    assert fields["date_of_birth"]["level"] == "one digit different"
    assert fields["postcode"]["level"] == "differs"
    # A later automatic run leaves the waiting record alone.
    link_network(actor=personas.actor(personas.keyworker), network=personas.network)
    assert ReviewPair.objects.count() == 1
    assert SourceRecord.objects.get(local_id="G1").link_status == LinkStatus.REVIEW


def test_match_decision_links_and_is_kept(personas, grey_pair) -> None:  # type: ignore[no-untyped-def]
    actor = personas.actor(personas.keyworker)
    pair = ReviewPair.objects.get()
    decision = review_decide(
        actor=actor, pair=pair, label=ReviewLabel.MATCH, reason="Same NHS letter"
    )
    record = SourceRecord.objects.get(local_id="G1")
    assert record.person == grey_pair and record.link_method == LinkMethod.CLERICAL
    pair.refresh_from_db()
    assert pair.status == ReviewStatus.MATCHED
    assert decision.reviewer == personas.keyworker and decision.label == "match"
    assert AuditEvent.objects.filter(
        action="linkage.review_decide", person_id=grey_pair.pk
    ).exists()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="already decided"):
        review_decide(actor=actor, pair=pair, label=ReviewLabel.NOT_MATCH, reason="changed mind")


def test_not_a_match_creates_a_person_and_is_never_overridden(personas, grey_pair) -> None:  # type: ignore[no-untyped-def]
    actor = personas.actor(personas.keyworker)
    pair = ReviewPair.objects.get()
    review_decide(
        actor=actor, pair=pair, label=ReviewLabel.NOT_MATCH, reason="Different mother's name"
    )
    record = SourceRecord.objects.get(local_id="G1")
    assert record.link_status == LinkStatus.LINKED and record.person != grey_pair
    assert record.link_method == LinkMethod.NEW_PERSON
    # Even with a model that would now auto-link, the label wins: retrain with a low threshold.
    model = LinkageModel.objects.get()
    LinkageModel.objects.create(
        network=personas.network,
        version=2,
        settings=model.settings,
        upper_threshold=model.lower_threshold,
        lower_threshold=model.lower_threshold / 2,
        trained_at=model.trained_at,
    )
    link_network(actor=actor, network=personas.network)
    assert SourceRecord.objects.get(local_id="G1").person_id == record.person_id
    assert ReviewDecision.objects.get().label == ReviewLabel.NOT_MATCH


def test_unsure_keeps_the_pair_open(personas, grey_pair) -> None:  # type: ignore[no-untyped-def]
    actor = personas.actor(personas.keyworker)
    pair = ReviewPair.objects.get()
    review_decide(actor=actor, pair=pair, label=ReviewLabel.UNSURE, reason="Need the DOB checked")
    pair.refresh_from_db()
    assert pair.status == ReviewStatus.UNSURE
    assert SourceRecord.objects.get(local_id="G1").link_status == LinkStatus.REVIEW


def test_review_needs_reason_and_reviewer(personas, grey_pair) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import PermissionDenied, ValidationError

    pair = ReviewPair.objects.get()
    with pytest.raises(ValidationError) as exc:
        review_decide(
            actor=personas.actor(personas.keyworker), pair=pair, label="maybe", reason=" "
        )
    assert set(exc.value.message_dict) == {"label", "reason"}
    with pytest.raises(PermissionDenied):
        review_decide(actor=personas.actor(personas.partner), pair=pair, label="match", reason="x")
    assert ReviewDecision.objects.count() == 0


def test_link_and_export_commands(personas, imported, tmp_path) -> None:  # type: ignore[no-untyped-def]
    call_command("link", "--network", "valleys")
    assert LinkRun.objects.get().status == "done"
    out = tmp_path / "links.csv"
    call_command("export_links", str(out))
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 15
    assert set(rows[0]) == {"source", "local_id", "person_id"}
    by_key = {(r["source"], r["local_id"]): r["person_id"] for r in rows}
    assert by_key[("housing-assoc", "H2")] == by_key[("health-board", "X2")]
    assert AuditEvent.objects.filter(action="linkage.export").exists()
    with pytest.raises(CommandError):
        call_command("link", "--network", "nowhere")
    with pytest.raises(CommandError, match="no active caseworking membership"):
        call_command("link", "--network", "valleys", "--as", "netadmin")


def test_spark_backend_gives_the_same_links(personas, imported, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The same model on Spark (local mode): the same people as on DuckDB."""
    from wraparound.linkage import engine
    from wraparound.linkage.services import _identity_frame, model_train

    actor = personas.actor(personas.keyworker)
    model = model_train(actor=actor, network=personas.network)
    frame, _ = _identity_frame(personas.network)
    prepared = engine.prepare(frame)
    on_duckdb = engine.predict(prepared, model.settings, threshold=0.01)
    on_spark = engine.predict(prepared, model.settings, threshold=0.01, backend="spark")
    key = ["unique_id_l", "unique_id_r"]
    merged = on_duckdb.merge(on_spark, on=key, suffixes=("_duckdb", "_spark"), how="outer")
    assert len(merged) == len(on_duckdb) == len(on_spark) >= 5
    difference = (merged["match_probability_duckdb"] - merged["match_probability_spark"]).abs()
    assert difference.max() < 1e-6
    call_command("link", "--backend", "spark")
    run = LinkRun.objects.get()
    assert run.backend == "spark" and run.counts["new_people"] == 10
    for n in range(1, 6):
        assert _person_of(f"H{n}") == _person_of(f"X{n}") is not None


def test_record_matching_two_registered_people_waits_for_review(personas, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Two registrations of the same person (a duplicate for the merge page) and an agency
    record of them: linkage never merges people by itself, the record waits for a reviewer
    with both as candidates, and a "match" with one closes the other."""
    twins = [
        f.PersonFactory(
            network=personas.network,
            given_name="Rhys",
            family_name="Vaughan",
            date_of_birth="1999-04-04",
            postcode="CF83 1QQ",
        )
        for _ in range(2)
    ]
    path = tmp_path / "dup.csv"
    path.write_text(
        "local_id,given_name,family_name,date_of_birth,postcode\n"
        "D1,Rhys,Vaughan,1999-04-04,CF83 1QQ\n"
    )
    import_people(actor=Actor.system("t"), path=path, source=personas.partner_org)
    summary = link_network(actor=personas.actor(personas.keyworker), network=personas.network)
    assert summary.counts["review"] == 1 and summary.counts["new_people"] == 0
    record = SourceRecord.objects.get(local_id="D1")
    assert record.link_status == LinkStatus.REVIEW
    pairs = ReviewPair.objects.filter(record=record)
    assert {p.person_id for p in pairs} == {t.pk for t in twins}
    assert Person.objects.count() == 2
    first = pairs.get(person=twins[0])
    review_decide(
        actor=personas.actor(personas.keyworker),
        pair=first,
        label=ReviewLabel.MATCH,
        reason="Same address history",
    )
    record.refresh_from_db()
    assert record.person == twins[0]
    assert pairs.get(person=twins[1]).status == ReviewStatus.CLOSED
