"""Every route needs a live bearer token; the OpenAPI document says so."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.clients import ApiClientFor, bearer_client
from wraparound.accounts.actor import Actor
from wraparound.accounts.services import api_token_create, api_token_revoke

PROTECTED = [
    ("get", "/api/v1/organisations"),
    ("get", "/api/v1/people"),
    ("post", "/api/v1/people"),
    ("get", "/api/v1/people/1"),
    ("patch", "/api/v1/people/1"),
    ("get", "/api/v1/people/1/household"),
]


def assert_unauthorised(response) -> None:
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_route_refuses_a_request_without_a_token(db, method, path):
    response = getattr(Client(), method)(path, data={}, content_type="application/json")
    assert_unauthorised(response)


@pytest.mark.parametrize(
    "header",
    ["Bearer wra_not-a-real-token", "Bearer ", "Bearer nonsense", "Basic dXNlcjpwYXNz", "wra_x"],
)
def test_a_bad_token_is_refused(db, header):
    response = Client(headers={"Authorization": header}).get("/api/v1/organisations")
    assert_unauthorised(response)


def test_a_revoked_token_is_refused(personas):
    token, raw = api_token_create(actor=Actor.system("test"), user=personas.keyworker)
    client = bearer_client(raw)
    assert client.get("/api/v1/organisations").status_code == 200

    api_token_revoke(actor=Actor.system("test"), token=token)

    assert_unauthorised(client.get("/api/v1/organisations"))


def test_a_deactivated_users_token_is_refused(personas, api_client_for: ApiClientFor):
    client = api_client_for(personas.keyworker)
    personas.keyworker.is_active = False
    personas.keyworker.save(update_fields=["is_active"])

    assert_unauthorised(client.get("/api/v1/organisations"))


def test_a_session_login_is_not_enough(personas):
    # The API is for machines: a browser session must not stand in for a token.
    response = personas.client(personas.keyworker).get("/api/v1/organisations")
    assert_unauthorised(response)


def test_using_a_token_records_when_it_was_last_used(personas):
    token, raw = api_token_create(actor=Actor.system("test"), user=personas.keyworker)
    assert token.last_used_at is None

    bearer_client(raw).get("/api/v1/organisations")

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_openapi_document_lists_the_routes_and_the_bearer_scheme(db):
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert set(document["paths"]) >= {
        "/api/v1/organisations",
        "/api/v1/people",
        "/api/v1/people/{person_id}",
        "/api/v1/people/{person_id}/household",
    }
    schemes = document["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"} in schemes.values()
    people = document["paths"]["/api/v1/people"]
    assert people["get"]["security"] == [{name: []} for name in schemes]
    assert set(people["post"]["responses"]) >= {"201", "401", "403", "422"}
    assert document["components"]["schemas"]["PersonCreateIn"]["required"] == [
        "given_name",
        "family_name",
    ]


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/people/1/cases/2", "/api/v1/people/"])
def test_an_unknown_path_is_a_json_404(db, path):
    response = Client().get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}
