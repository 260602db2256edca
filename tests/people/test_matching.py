"""Online matching: blocking keys, the candidate lookup, scoring with the linkage model's
parameters, explanations, access and audit."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.people.matching_factories import indexed_person
from wraparound.audit.models import AuditEvent, AuditKind
from wraparound.linkage.model import default_parameters
from wraparound.people.matching import (
    MatchInput,
    candidate_ids,
    match_candidates,
    match_keys,
    rebuild_all_match_keys,
    score_candidates,
    soundex,
)
from wraparound.people.models import PersonMatchKey
from wraparound.people.services import PersonDetails, person_create, person_update

pytestmark = pytest.mark.django_db

DOB = dt.date(1980, 3, 4)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("robert", "r163"),
        ("rupert", "r163"),
        ("ashcraft", "a261"),
        ("tymczak", "t522"),
        ("pfister", "p236"),
        ("evans", "e152"),
        ("", ""),
    ],
)
def test_soundex(name, code):
    assert soundex(name) == code


def test_keys_of_a_record():
    keys = match_keys(
        MatchInput(
            given_name="Siân",
            family_name="Evans-Hughes",
            date_of_birth=DOB,
            postcode="cf37 1aa",
            email="Sian@Example.org",
            phone="+447400123456",
            previous_names=["Siân Jones"],
        )
    )
    assert keys == {
        "fy:e1521980",
        "fg:e152sia",
        "fy:j5201980",
        "fg:j520sia",
        "gd:sia19800304",
        "pc:CF371AAs",
        "em:sian@example.org",
        "ph:7400123456",
    }


def test_swapped_day_and_month_give_the_same_date_key():
    one = match_keys(MatchInput(given_name="Ann", family_name="Lee", date_of_birth=DOB))
    other = match_keys(
        MatchInput(given_name="Ann", family_name="Lee", date_of_birth=dt.date(1980, 4, 3))
    )
    assert "gd:ann19800304" in one & other


def test_widened_lookup_keys_reach_nicknames():
    stored = match_keys(MatchInput(given_name="William", family_name="Jones", date_of_birth=DOB))
    typed = match_keys(
        MatchInput(given_name="Bill", family_name="Jonse", date_of_birth=DOB), widen=True
    )
    assert "gd:wil19800304" in stored & typed


def test_services_keep_keys_as_people_change(personas, keyworker_actor):
    person = person_create(
        actor=keyworker_actor,
        details=PersonDetails(given_name="Ann", family_name="Lee", date_of_birth=DOB),
    )
    assert set(person.match_keys.values_list("key", flat=True)) == {
        "fy:l0001980",
        "fg:l000ann",
        "gd:ann19800304",
    }
    person_update(
        actor=keyworker_actor,
        person=person,
        details=PersonDetails(
            given_name="Ann", family_name="Lee", date_of_birth=DOB, postcode="CF37 1AA"
        ),
    )
    assert "pc:CF371AAa" in set(person.match_keys.values_list("key", flat=True))
    assert PersonMatchKey.objects.filter(person=person).count() == 4


def test_rebuild_all_match_keys(personas):
    people = [f.PersonFactory(network=personas.network) for _ in range(5)]
    assert not PersonMatchKey.objects.exists()
    assert rebuild_all_match_keys(network_id=personas.network.pk, batch_size=2) == 5
    for person in people:
        assert person.match_keys.count() >= 2
    before = PersonMatchKey.objects.count()
    rebuild_all_match_keys()
    assert PersonMatchKey.objects.count() == before


def test_candidates_share_most_keys_first(personas):
    best = indexed_person(
        personas.network, given_name="Ann", family_name="Lee", date_of_birth=DOB, postcode="X1 1AA"
    )
    some = indexed_person(
        personas.network, given_name="Ann", family_name="Lee", date_of_birth=dt.date(1990, 1, 1)
    )
    indexed_person(personas.network, given_name="Zed", family_name="Quill", date_of_birth=DOB)
    other_network = f.NetworkFactory()
    indexed_person(other_network, given_name="Ann", family_name="Lee", date_of_birth=DOB)
    keys = match_keys(
        MatchInput(given_name="Ann", family_name="Lee", date_of_birth=DOB, postcode="X1 1AA"),
        widen=True,
    )
    assert candidate_ids(personas.network.pk, keys) == [best.pk, some.pk]
    assert candidate_ids(personas.network.pk, keys, exclude=[best.pk]) == [some.pk]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (
            {"given_name": "Sian", "family_name": "Evans", "date_of_birth": dt.date(1985, 3, 27)},
            "family name exact",
        ),
        (
            {"given_name": "Sian", "family_name": "Evans", "date_of_birth": dt.date(1985, 3, 27)},
            "date of birth exact",
        ),
        (
            {"given_name": "Siân", "family_name": "Evans", "date_of_birth": dt.date(1985, 4, 3)},
            "date of birth day/month swapped",
        ),
        (
            {
                "given_name": "Siân",
                "family_name": "Evans",
                "date_of_birth": dt.date(1985, 3, 4),
                "postcode": "CF10 1AA",
            },
            "postcode differs",
        ),
        (
            {"given_name": "Sian", "family_name": "Evnas", "date_of_birth": dt.date(1985, 3, 4)},
            "family name very similar",
        ),
    ],
)
def test_scoring_explains_each_field(personas, typed, expected):
    stored = dt.date(1985, 3, 4) if typed["date_of_birth"].day in (3, 4) else typed["date_of_birth"]
    person = indexed_person(
        personas.network,
        given_name="Siân",
        family_name="Evans",
        date_of_birth=stored,
        postcode="CF37 1AA",
    )
    results = score_candidates(
        MatchInput(**typed), network_id=personas.network.pk, params=default_parameters()
    )
    assert [r.person.pk for r in results] == [person.pk]
    assert expected in results[0].explanation
    assert 0.5 <= results[0].probability <= 1


def test_unlikely_candidates_are_not_shown(personas):
    indexed_person(personas.network, given_name="Ann", family_name="Lee", date_of_birth=DOB)
    # Same family name and year only: shares a key, but the model says "not the same".
    typed = MatchInput(
        given_name="Bartholomew", family_name="Lee", date_of_birth=dt.date(1980, 9, 28)
    )
    params = default_parameters()
    assert candidate_ids(personas.network.pk, match_keys(typed, widen=True))
    assert score_candidates(typed, network_id=personas.network.pk, params=params) == []


def test_merged_people_are_never_candidates(personas):
    from wraparound.people.merge import person_merge

    survivor = indexed_person(
        personas.network,
        given_name="Ann",
        family_name="Lee",
        date_of_birth=DOB,
        registered_by=personas.one_stop,
    )
    merged = indexed_person(
        personas.network,
        given_name="Anne",
        family_name="Lee",
        date_of_birth=DOB,
        registered_by=personas.one_stop,
    )
    person_merge(
        actor=personas.actor(personas.manager), survivor=survivor, merged=merged, reason="Same"
    )
    assert not merged.match_keys.exists()
    results = score_candidates(
        MatchInput(given_name="Anne", family_name="Lee", date_of_birth=DOB),
        network_id=personas.network.pk,
        params=default_parameters(),
    )
    assert [r.person.pk for r in results] == [survivor.pk]
    # Scored against the best of the survivor and the record it absorbed: "Anne" exact.
    assert "given name exact" in results[0].explanation


def test_candidates_from_other_agencies_show_the_identity_minimum(personas, keyworker_actor):
    ours = indexed_person(
        personas.network,
        given_name="Ann",
        family_name="Lee",
        date_of_birth=DOB,
        postcode="CF37 1AA",
        registered_by=personas.one_stop,
    )
    theirs = indexed_person(
        personas.network,
        given_name="Ann",
        family_name="Lee",
        date_of_birth=DOB,
        postcode="CF10 3NQ",
        registered_by=personas.outsider_org,
    )
    candidates = match_candidates(
        actor=keyworker_actor,
        record=MatchInput(given_name="Ann", family_name="Lee", date_of_birth=DOB),
    )
    by_id = {c.person_id: c for c in candidates}
    assert set(by_id) == {ours.pk, theirs.pk}
    assert by_id[ours.pk].full_access
    assert by_id[ours.pk].date_of_birth == DOB
    assert by_id[ours.pk].postcode == "CF37 1AA"
    assert not by_id[theirs.pk].full_access
    assert by_id[theirs.pk].date_of_birth is None
    assert by_id[theirs.pk].year_of_birth == 1980
    assert by_id[theirs.pk].postcode == "CF10"
    assert by_id[theirs.pk].held_by == personas.outsider_org.name


def test_a_withheld_address_is_never_shown_in_candidates(personas, keyworker_actor):
    person = indexed_person(
        personas.network,
        given_name="Ann",
        family_name="Lee",
        date_of_birth=DOB,
        postcode="CF37 1AA",
        registered_by=personas.one_stop,
        address_withheld=True,
    )
    [candidate] = match_candidates(
        actor=keyworker_actor,
        record=MatchInput(given_name="Ann", family_name="Lee", date_of_birth=DOB),
    )
    assert candidate.person_id == person.pk
    assert candidate.postcode == ""


def test_the_lookup_and_each_candidate_are_audited(personas, keyworker_actor):
    person = indexed_person(
        personas.network,
        given_name="Ann",
        family_name="Lee",
        date_of_birth=DOB,
        registered_by=personas.outsider_org,
    )
    match_candidates(
        actor=keyworker_actor,
        record=MatchInput(given_name="Ann", family_name="Lee", date_of_birth=DOB),
    )
    lookup = AuditEvent.objects.get(action="person.match.lookup")
    assert lookup.kind == AuditKind.READ
    assert lookup.person_id is None
    assert "1 likely" in lookup.summary
    shown = AuditEvent.objects.get(action="person.match")
    assert shown.person_id == person.pk
    assert shown.decision_reason == "match candidate: identity minimum"


def test_a_lookup_with_no_candidates_is_still_audited(personas, keyworker_actor):
    assert (
        match_candidates(
            actor=keyworker_actor, record=MatchInput(given_name="Nobody", family_name="Here")
        )
        == []
    )
    assert AuditEvent.objects.filter(action="person.match.lookup").count() == 1
    assert not AuditEvent.objects.filter(action="person.match").exists()


def test_a_record_without_names_finds_nothing(personas):
    indexed_person(personas.network, given_name="Ann", family_name="Lee", date_of_birth=DOB)
    assert (
        score_candidates(
            MatchInput(date_of_birth=DOB),
            network_id=personas.network.pk,
            params=default_parameters(),
        )
        == []
    )


def test_rebuild_match_keys_command(personas):
    from django.core.management import CommandError, call_command

    f.PersonFactory(network=personas.network, given_name="Ann", family_name="Lee")
    call_command("rebuild_match_keys", "--network", personas.network.slug)
    assert PersonMatchKey.objects.filter(key="fg:l000ann").exists()
    with pytest.raises(CommandError, match="No network"):
        call_command("rebuild_match_keys", "--network", "nowhere")
    with pytest.raises(CommandError, match="batch-size"):
        call_command("rebuild_match_keys", "--batch-size", "0")
