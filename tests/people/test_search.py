import datetime as dt

import pytest

from tests import factories as f
from wraparound.people.selectors import person_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(personas):
    def person(given, family, **kw):
        p = f.PersonFactory(network=personas.network, given_name=given, family_name=family, **kw)
        f.CaseFactory(person=p, lead_organisation=personas.one_stop)
        return p

    return {
        "sian": person("Siân", "Évans-Hughes", date_of_birth=dt.date(1980, 5, 1)),
        "sean": person("Sean", "O'Brien", date_of_birth=dt.date(1975, 1, 2)),
        "dafydd": person("Dafydd", "Evans", previous_names=["Dafydd Rees"]),
        "hidden": f.PersonFactory(
            network=personas.network,
            given_name="Siân",
            family_name="Evans",
            registered_by=personas.partner_org,
        ),
    }


def names(qs):
    return [p.given_name + " " + p.family_name for p in qs]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sian", ["Siân Évans-Hughes"]),
        ("SIAN EVANS", ["Siân Évans-Hughes"]),
        ("hughes", ["Siân Évans-Hughes"]),
        ("evanshughes", ["Siân Évans-Hughes"]),
        ("ev", ["Dafydd Evans", "Siân Évans-Hughes"]),
        ("o'brien", ["Sean O'Brien"]),
        ("obrien", ["Sean O'Brien"]),
        ("brien", ["Sean O'Brien"]),
        ("rees", ["Dafydd Evans"]),
        ("nobody", []),
    ],
)
def test_name_search_is_forgiving_of_case_accents_and_punctuation(
    keyworker_actor, people, query, expected
):
    assert names(person_search(actor=keyworker_actor, name=query)) == expected


def test_date_of_birth_and_identifier(keyworker_actor, people):
    f.IdentifierFactory(person=people["sean"], type="nhs_number", value="9434765919")
    assert names(person_search(actor=keyworker_actor, date_of_birth=dt.date(1980, 5, 1))) == [
        "Siân Évans-Hughes"
    ]
    assert names(person_search(actor=keyworker_actor, identifier="943 476 5919")) == [
        "Sean O'Brien"
    ]
    assert names(person_search(actor=keyworker_actor, name="sean", identifier="9434765919")) == [
        "Sean O'Brien"
    ]
    assert names(person_search(actor=keyworker_actor, name="sian", identifier="9434765919")) == []


def test_search_never_shows_people_outside_the_policy(personas, people):
    outsider = personas.actor(personas.outsider)
    assert names(person_search(actor=outsider, name="sian")) == []
    partner = personas.actor(personas.partner)
    assert names(person_search(actor=partner, name="sian")) == ["Siân Evans"]


def test_caseload_only(personas, keyworker_actor, people):
    people["dafydd"].cases.update(key_worker=personas.keyworker)
    assert names(person_search(actor=keyworker_actor, name="", caseload_only=True)) == [
        "Dafydd Evans"
    ]
