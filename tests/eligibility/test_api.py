"""GET /api/v1/people/{id}/eligibility and POST /api/v1/screen."""

from __future__ import annotations

import json

from tests.eligibility.conftest import Setup, api_client


def test_person_eligibility(setup: Setup) -> None:
    client = api_client(setup.personas.keyworker)
    response = client.get(f"/api/v1/people/{setup.person.pk}/eligibility?on=2026-04-01")
    assert response.status_code == 200, response.content
    body = response.json()
    results = {r["name"]: r for r in body["results"]}
    assert results["Food bank"]["verdict"] == "eligible"
    assert results["Food bank"]["conditions"][0] == {
        "text": "monthly income £1,420 ≤ £1,600 threshold for a 2-person household",
        "result": "eligible",
        "missing": [],
    }
    assert results["Carers support"]["verdict"] == "unknown"
    assert results["Carers support"]["missing_facts"] == ["person.carer", "person.disabled"]
    assert results["Advice line"]["rule"] is None
    assert {"fact": "person.disabled", "reason": "withheld: no consent for health"} in body[
        "withheld_facts"
    ]


def test_person_eligibility_is_404_for_someone_not_yours(setup: Setup) -> None:
    client = api_client(setup.personas.outsider)
    response = client.get(f"/api/v1/people/{setup.person.pk}/eligibility")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}


def post(client, body):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/screen", data=json.dumps(body), content_type="application/json")


def test_screen_a_facts_document(setup: Setup) -> None:
    client = api_client(setup.personas.keyworker)
    response = post(
        client,
        {
            "on": "2026-04-01",
            "person": {"age": 30, "needs": ["food-insecurity"]},
            "household": {"size": 3, "income_monthly": 1850},
        },
    )
    assert response.status_code == 200, response.content
    results = {r["name"]: r for r in response.json()["results"]}
    assert results["Food bank"]["verdict"] == "eligible"
    assert (
        "£1,850 ≤ £1,900 threshold for a 3-person household"
        in (results["Food bank"]["conditions"][0]["text"])
    )
    assert results["Youth hub"]["verdict"] == "not_eligible"
    assert results["Carers support"]["verdict"] == "unknown"


def test_facts_of_the_wrong_type_are_a_422_naming_the_fact(setup: Setup) -> None:
    client = api_client(setup.personas.keyworker)
    response = post(
        client,
        {
            "person": {"age": "thirty", "housing_status": "castle", "shoe_size": 9},
            "household": {"income_monthly": "lots", "size": True},
        },
    )
    assert response.status_code == 422
    locs = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert {
        ("body", "person", "age"),
        ("body", "person", "housing_status"),
        ("body", "person", "shoe_size"),
        ("body", "household", "size"),
    } <= locs
    assert any(loc[:3] == ("body", "household", "income_monthly") for loc in locs)


def test_screen_needs_a_token(setup: Setup) -> None:
    from django.test import Client

    response = post(Client(), {"person": {"age": 30}})
    assert response.status_code == 401
