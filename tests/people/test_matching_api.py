"""The API's online matching: 409 with candidates at registration, and GET /people/match."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.api.clients import bearer_client
from tests.people.matching_factories import indexed_person
from wraparound.accounts.actor import Actor
from wraparound.accounts.services import api_token_create
from wraparound.audit.models import AuditEvent
from wraparound.people.models import Person

DOB = dt.date(1980, 3, 4)


def post(client, body, query=""):
    return client.post(
        f"/api/v1/people{query}", data=json.dumps(body), content_type="application/json"
    )


@pytest.fixture
def api_client_for(db):
    def make(user):
        _, raw = api_token_create(actor=Actor.system("test"), user=user)
        return bearer_client(raw)

    return make


@pytest.fixture
def keyworker_api(personas, api_client_for):
    return api_client_for(personas.keyworker)


@pytest.fixture
def existing(personas):
    return indexed_person(
        personas.network,
        given_name="Siân",
        family_name="Evans",
        date_of_birth=DOB,
        postcode="CF37 1AA",
        registered_by=personas.outsider_org,
    )


def test_registering_a_likely_duplicate_is_409_with_candidates(keyworker_api, existing):
    body = {"given_name": "Sian", "family_name": "Evans", "date_of_birth": "1980-04-03"}
    response = post(keyworker_api, body)

    assert response.status_code == 409
    answer = response.json()
    assert "confirm_new=true" in answer["detail"]
    [candidate] = answer["candidates"]
    assert candidate["person_id"] == existing.pk
    assert candidate["reference"] == existing.reference
    assert "date of birth day/month swapped" in candidate["explanation"]
    assert "family name exact" in candidate["explanation"]
    # Held by another agency: the identity minimum only.
    assert candidate["full_access"] is False
    assert candidate["date_of_birth"] is None
    assert candidate["year_of_birth"] == 1980
    assert candidate["postcode"] == "CF37"
    assert {f["field"] for f in candidate["fields"]} >= {"given_name", "date_of_birth"}
    assert Person.objects.count() == 1

    confirmed = post(keyworker_api, body, "?confirm_new=true")
    assert confirmed.status_code == 201
    assert Person.objects.count() == 2


def test_no_candidates_registers_at_once(keyworker_api, existing):
    response = post(keyworker_api, {"given_name": "Bryn", "family_name": "Terfel"})
    assert response.status_code == 201


def test_bad_input_is_422_before_any_matching(keyworker_api, existing):
    response = post(
        keyworker_api,
        {"given_name": "Sian", "family_name": "Evans", "phone": "not a phone"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "phone"]
    assert not AuditEvent.objects.filter(action="person.match.lookup").exists()


def test_match_endpoint_for_an_agency_record(keyworker_api, existing, personas):
    response = keyworker_api.get(
        "/api/v1/people/match",
        {"given_name": "Sian", "family_name": "Evans", "date_of_birth": "1980-03-04"},
    )
    assert response.status_code == 200
    [candidate] = response.json()["candidates"]
    assert candidate["person_id"] == existing.pk
    assert candidate["probability"] > 0.9
    assert candidate["held_by"] == personas.outsider_org.name
    assert AuditEvent.objects.filter(action="api.person.match.lookup").count() == 1
    assert AuditEvent.objects.get(action="api.person.match").person_id == existing.pk


def test_match_endpoint_needs_a_name(keyworker_api):
    response = keyworker_api.get("/api/v1/people/match", {"date_of_birth": "1980-03-04"})
    assert response.status_code == 422
    assert "given name or a family name" in response.json()["detail"][0]["msg"]


def test_match_endpoint_rejects_a_bad_date(keyworker_api):
    response = keyworker_api.get(
        "/api/v1/people/match", {"family_name": "Evans", "date_of_birth": "04/03/1980"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "date_of_birth"]


def test_registering_needs_a_casework_role_even_to_match(personas, api_client_for, existing):
    client = api_client_for(personas.netadmin)
    response = post(client, {"given_name": "Sian", "family_name": "Evans"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="person.match.lookup").exists()


def test_match_endpoint_is_for_casework_roles(personas, api_client_for, existing):
    client = api_client_for(personas.privacy)
    response = client.get("/api/v1/people/match", {"family_name": "Evans"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="api.person.match.lookup").exists()
