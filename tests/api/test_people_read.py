"""GET /people, /people/{id} and /people/{id}/household: contracts, permissions, queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.api.clients import SENSITIVE_LABELS
from tests.conftest import audit_lock_queries
from wraparound.cases.models import CaseStatus


@pytest.fixture
def evans(personas):
    """A person the one-stop works with: a case there, with the key worker."""
    person = f.PersonFactory(
        network=personas.network,
        given_name="Siân",
        family_name="Evans-Hughes",
        date_of_birth=dt.date(1980, 4, 3),
        postcode="CF37 1AA",
    )
    f.CaseFactory(person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker)
    return person


def visible_to_one_stop(personas, **kwargs):
    person = f.PersonFactory(network=personas.network, **kwargs)
    f.CaseFactory(person=person, lead_organisation=personas.one_stop)
    return person


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


# --- search -------------------------------------------------------------------------------


def test_search_lists_the_people_the_caller_may_see(personas, evans, api_client_for):
    f.PersonFactory(network=personas.network, given_name="Hidden", family_name="Person")

    response = api_client_for(personas.keyworker).get("/api/v1/people")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["page"] == 1
    assert body["page_size"] == 25
    [row] = body["results"]
    case = evans.cases.get()
    assert row == {
        "id": evans.pk,
        "reference": evans.reference,
        "given_name": "Siân",
        "family_name": "Evans-Hughes",
        "preferred_name": "",
        "date_of_birth": "1980-04-03",
        "date_of_birth_is_approximate": False,
        "postcode": "CF37 1AA",
        "active_cases": [
            {
                "id": case.pk,
                "reference": case.reference,
                "status": "open",
                "lead_organisation": "one-stop",
                "key_worker": "keyworker",
                "opened_on": case.opened_on.isoformat(),
            }
        ],
    }


@pytest.mark.parametrize(
    "query",
    [
        {"q": "sian ev"},
        {"q": "HUGHES"},
        {"q": "evans 1980-04-03"},
        {"q": "03/04/1980"},
        {"dob": "1980-04-03"},
        {"q": "evans", "dob": "1980-04-03"},
    ],
)
def test_search_by_name_and_date_of_birth(personas, evans, api_client_for, query):
    visible_to_one_stop(
        personas, given_name="Sian", family_name="Jones", date_of_birth=dt.date(1990, 1, 1)
    )
    visible_to_one_stop(
        personas, given_name="Dai", family_name="Evans", date_of_birth=dt.date(1975, 6, 1)
    )

    response = api_client_for(personas.keyworker).get("/api/v1/people", query)

    assert response.status_code == 200
    assert ids(response) == [evans.pk]


def test_search_with_a_date_no_one_has_finds_no_one(personas, evans, api_client_for):
    response = api_client_for(personas.keyworker).get("/api/v1/people", {"q": "evans 01/01/2001"})

    assert response.json()["count"] == 0


def test_search_by_identifier(personas, evans, api_client_for):
    f.IdentifierFactory(person=evans, type="nhs_number", value="9434765919")
    visible_to_one_stop(personas)

    response = api_client_for(personas.keyworker).get(
        "/api/v1/people", {"identifier": "943 476 5919"}
    )

    assert ids(response) == [evans.pk]


def test_caseload_mine_keeps_only_the_callers_active_cases(personas, evans, api_client_for):
    visible_to_one_stop(personas)  # the one-stop's, but not this key worker's
    closed = visible_to_one_stop(personas)
    f.CaseFactory(
        person=closed,
        lead_organisation=personas.partner_org,
        key_worker=personas.keyworker,
        status=CaseStatus.CLOSED,
        closed_on=dt.date(2024, 1, 1),
        closure_reason="goals_met",
    )
    client = api_client_for(personas.keyworker)

    assert client.get("/api/v1/people").json()["count"] == 3
    assert ids(client.get("/api/v1/people", {"caseload": "mine"})) == [evans.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"caseload": "theirs"}, "caseload"),
        ({"caseload": ""}, "caseload"),
        ({"dob": "03/04/1980"}, "dob"),
        ({"dob": "yesterday"}, "dob"),
        ({"dob": "1980-02-30"}, "dob"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"q": "x" * 201}, "q"),
        ({"identifier": "LA\x001"}, "identifier"),
    ],
)
def test_bad_search_parameters_are_422(personas, api_client_for, query, field):
    response = api_client_for(personas.keyworker).get("/api/v1/people", query)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", field]
    assert set(error) == {"loc", "msg", "type"}


def test_outsider_search_finds_nothing(personas, evans, api_client_for):
    client = api_client_for(personas.outsider)

    assert client.get("/api/v1/people").json()["count"] == 0
    assert client.get("/api/v1/people", {"q": "evans"}).json()["results"] == []


# --- pagination ----------------------------------------------------------------------------


def test_pagination(personas, api_client_for):
    people = [visible_to_one_stop(personas, family_name=f"Family{n:02d}") for n in range(7)]
    client = api_client_for(personas.keyworker)

    pages = [client.get("/api/v1/people", {"page": n, "page_size": 3}).json() for n in (1, 2, 3)]

    assert [page["count"] for page in pages] == [7, 7, 7]
    assert [len(page["results"]) for page in pages] == [3, 3, 1]
    assert [row["id"] for page in pages for row in page["results"]] == [p.pk for p in people]
    past_the_end = client.get("/api/v1/people", {"page": 4, "page_size": 3}).json()
    assert past_the_end == {
        "count": 7,
        "count_capped": False,
        "page": 4,
        "page_size": 3,
        "results": [],
    }


def test_page_size_defaults_to_25(personas, api_client_for):
    for _ in range(27):
        visible_to_one_stop(personas)

    body = api_client_for(personas.keyworker).get("/api/v1/people").json()

    assert (body["count"], body["page_size"], len(body["results"])) == (27, 25, 25)


def test_search_query_count_does_not_grow_with_the_page(personas, api_client_for):
    client = api_client_for(personas.keyworker)

    def queries_for_a_page_of(number_of_people: int) -> int:
        for _ in range(number_of_people - len(client.get("/api/v1/people").json()["results"])):
            person = visible_to_one_stop(personas)
            # Two cases each, with a key worker: nothing lazily loaded per row.
            f.CaseFactory(
                person=person, lead_organisation=personas.partner_org, key_worker=personas.partner
            )
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/people", {"page_size": 100})
        assert len(response.json()["results"]) == number_of_people
        return len(captured)

    ten, thirty = queries_for_a_page_of(10), queries_for_a_page_of(30)

    assert ten == thirty
    # token lookup + last-used stamp, membership, count, page, prefetched cases
    # incl. rare grounds (1) and one bulk audit insert of the rows shown
    assert thirty <= 11 + audit_lock_queries()


# --- one person ----------------------------------------------------------------------------


def test_get_a_person_returns_the_whole_record(personas, evans, api_client_for):
    evans.phone = "+447400123456"
    evans.preferred_languages = ["cy", "en"]
    evans.save()
    evans.population_groups.create(group="homeless")
    f.IdentifierFactory(person=evans, type="nhs_number", value="9434765919", issuer="NHS Wales")
    household = f.HouseholdFactory(network=personas.network, name="Evans")
    f.HouseholdMemberFactory(household=household, person=evans)
    case = evans.cases.get()

    response = api_client_for(personas.keyworker).get(f"/api/v1/people/{evans.pk}")

    assert response.status_code == 200
    assert response.json() == {
        "id": evans.pk,
        "reference": evans.reference,
        "given_name": "Siân",
        "family_name": "Evans-Hughes",
        "preferred_name": "",
        "previous_names": [],
        "date_of_birth": "1980-04-03",
        "date_of_birth_is_approximate": False,
        "sex": "female",
        "gender": "",
        "gender_description": "",
        "phone": "+447400123456",
        "email": "",
        "address_line_1": "",
        "address_line_2": "",
        "town": "",
        "postcode": "CF37 1AA",
        "area_id": None,
        "preferred_languages": ["cy", "en"],
        "interpreter_needed": False,
        "population_groups": ["homeless"],
        "identifiers": [{"type": "nhs_number", "value": "9434765919", "issuer": "NHS Wales"}],
        "household": {"id": household.pk, "name": "Evans"},
        "cases": [
            {
                "id": case.pk,
                "reference": case.reference,
                "status": "open",
                "lead_organisation": "one-stop",
                "key_worker": "keyworker",
                "opened_on": case.opened_on.isoformat(),
            }
        ],
        "withheld": [
            {"category": c, "reason": f"withheld: no consent for {label}", "fields": []}
            for c, label in SENSITIVE_LABELS
        ],
        "break_glass": False,
    }


def test_a_person_without_household_or_cases(personas, api_client_for):
    # Visible because the partner organisation registered them.
    person = f.PersonFactory(network=personas.network, registered_by=personas.partner_org)

    body = api_client_for(personas.partner).get(f"/api/v1/people/{person.pk}").json()

    assert body["household"] is None
    assert body["cases"] == []
    assert body["identifiers"] == []


def test_not_allowed_and_not_found_are_the_same_404(personas, evans, api_client_for):
    client = api_client_for(personas.outsider)

    not_allowed = client.get(f"/api/v1/people/{evans.pk}")
    not_found = client.get("/api/v1/people/987654")

    assert not_allowed.status_code == not_found.status_code == 404
    assert not_allowed.json() == not_found.json() == {"detail": "Not found"}
    assert client.get(f"/api/v1/people/{evans.pk}/household").json() == {"detail": "Not found"}


def test_a_person_in_another_network_is_not_found(personas, api_client_for):
    elsewhere = f.CaseFactory().person  # led by an organisation of another network

    response = api_client_for(personas.keyworker).get(f"/api/v1/people/{elsewhere.pk}")

    assert response.status_code == 404


@pytest.mark.parametrize("person_id", ["abc", "0", "-1", "99999999999999999999999"])
def test_a_malformed_person_id_is_422_not_500(personas, api_client_for, person_id):
    response = api_client_for(personas.keyworker).get(f"/api/v1/people/{person_id}")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "person_id"]


# --- household ----------------------------------------------------------------------------


def test_household_shows_visible_members_and_counts_the_rest(personas, evans, api_client_for):
    household = f.HouseholdFactory(network=personas.network, name="Evans")
    f.HouseholdMemberFactory(household=household, person=evans, relationship="head")
    child = visible_to_one_stop(personas, given_name="Cerys", family_name="Evans")
    f.HouseholdMemberFactory(household=household, person=child, relationship="child")
    lodger = f.PersonFactory(network=personas.network)  # nobody at the one-stop knows them
    f.HouseholdMemberFactory(household=household, person=lodger, relationship="unrelated")

    response = api_client_for(personas.keyworker).get(f"/api/v1/people/{evans.pk}/household")

    assert response.status_code == 200
    assert response.json() == {
        "id": household.pk,
        "name": "Evans",
        "members": [
            {"person_id": evans.pk, "name": "Siân Evans-Hughes", "relationship": "head"},
            {"person_id": child.pk, "name": "Cerys Evans", "relationship": "child"},
        ],
        "hidden_members": 1,
    }


def test_household_is_404_for_a_person_without_one(personas, evans, api_client_for):
    response = api_client_for(personas.keyworker).get(f"/api/v1/people/{evans.pk}/household")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}
