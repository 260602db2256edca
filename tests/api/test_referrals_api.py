"""The referrals API: send or draft, list, read, move along the lifecycle."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories as f
from tests.directory.factories import ServiceFactory
from tests.referrals.factories import consent_to, housing_service, refer
from wraparound.audit.models import AuditEvent
from wraparound.referrals.models import Referral, ReferralTransition
from wraparound.referrals.models import ReferralStatus as S

URL = "/api/v1/referrals"


@pytest.fixture
def person(personas):
    person = f.PersonFactory(
        network=personas.network,
        registered_by=personas.one_stop,
        given_name="Rhys",
        family_name="Morgan",
    )
    f.CaseFactory(
        person=person,
        lead_organisation=personas.one_stop,
        key_worker=personas.keyworker,
        opened_on=timezone.localdate() - dt.timedelta(days=90),
    )
    return person


@pytest.fixture
def service(personas):
    return housing_service(personas)


@pytest.fixture
def consented(personas, person):
    consent_to(personas, person, personas.partner_org, "assessments")
    return person


@pytest.fixture
def keyworker_api(personas, api_client_for) -> Client:
    return api_client_for(personas.keyworker)


@pytest.fixture
def partner_api(personas, api_client_for) -> Client:
    return api_client_for(personas.partner)


@pytest.fixture
def outsider_api(personas, api_client_for) -> Client:
    return api_client_for(personas.outsider)


def post(client: Client, path: str, body: object) -> Any:
    return client.post(path, body, content_type="application/json")


def body(who, what, **overrides: object) -> dict[str, object]:
    return {
        "person": who.pk,
        "service": what.pk,
        "need": "housing-instability",
        "reason": "Rent arrears and a notice to quit",
        "urgency": "urgent",
        "bundle": ["assessments"],
        **overrides,
    }


def writes() -> tuple[int, int, int]:
    return (
        Referral.objects.count(),
        ReferralTransition.objects.count(),
        AuditEvent.objects.filter(action__startswith="referral.").count(),
    )


def locs(response) -> set[tuple[str, ...]]:
    return {tuple(error["loc"]) for error in response.json()["detail"]}


# --- create --------------------------------------------------------------------------------


def test_send_a_referral(personas, consented, service, keyworker_api):
    response = post(keyworker_api, URL, body(consented, service))
    assert response.status_code == 201, response.content
    data = response.json()
    referral = Referral.objects.get()
    assert data["id"] == referral.pk and data["reference"] == referral.reference
    assert data["status"] == "requested"
    assert data["urgency"] == "urgent"
    assert data["bundle"] == ["assessments"]
    assert data["person"] == {
        "id": consented.pk,
        "reference": consented.reference,
        "name": "Rhys Morgan",
    }
    assert data["service"] == {"id": service.pk, "name": "Tenancy support"}
    assert data["referring_organisation"] == "one-stop"
    assert data["receiving_organisation"] == "housing-assoc"
    assert data["referred_by"] == "keyworker"
    assert data["respond_by"] is not None and data["first_contact_by"] is not None
    assert data["sides"] == ["referrer"]
    assert set(data["allowed_transitions"]) == {"cancelled", "entered-in-error"}
    assert [(t["from_status"], t["to_status"]) for t in data["transitions"]] == [
        ("", "draft"),
        ("draft", "requested"),
    ]
    assert AuditEvent.objects.filter(action="referral.send", person_id=consented.pk).exists()


def test_draft_is_kept_unsent(consented, service, keyworker_api):
    response = post(keyworker_api, URL, body(consented, service, send=False))
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "draft"
    assert data["respond_by"] is None
    assert "requested" in data["allowed_transitions"]


def test_no_consent_to_the_receiving_organisation_is_consent_required(
    person, service, keyworker_api
):
    before = writes()
    response = post(keyworker_api, URL, body(person, service))
    assert response.status_code == 422
    data = response.json()
    assert data["code"] == "consent_required"
    assert data["organisation"] == "housing-assoc"
    assert data["categories"] == ["identity", "assessments"]
    assert data["detail"][0]["loc"] == ["body", "bundle"]
    assert data["detail"][0]["type"] == "consent_required"
    assert "record their consent first" in data["detail"][0]["msg"]
    assert writes() == before


def test_bundle_category_without_consent_names_it(consented, service, keyworker_api):
    before = writes()
    response = post(
        keyworker_api, URL, body(consented, service, bundle=["assessments", "mental_health"])
    )
    assert response.status_code == 422
    data = response.json()
    assert data["code"] == "consent_required"
    assert data["categories"] == ["mental_health"]
    assert "mental health" in data["detail"][0]["msg"]
    assert writes() == before


def test_bad_fields_are_named_and_nothing_is_written(personas, consented, keyworker_api):
    closed = housing_service(personas, name="Closed", accepts_referrals=False)
    before = writes()
    response = post(
        keyworker_api,
        URL,
        body(consented, closed, need="not-a-need", reason="  ", urgency="whenever"),
    )
    assert response.status_code == 422
    assert locs(response) >= {("body", "service"), ("body", "reason"), ("body", "urgency")}
    messages = {e["loc"][-1]: e["msg"] for e in response.json()["detail"]}
    assert "does not take referrals" in messages["service"]
    assert writes() == before


def test_unknown_ids_are_field_errors(personas, consented, service, keyworker_api):
    stranger = f.PersonFactory(network=personas.network, registered_by=personas.outsider_org)
    for overrides, field in [
        ({"person": stranger.pk}, "person"),
        ({"person": 10**9}, "person"),
        ({"service": 10**9}, "service"),
        ({"goal": 10**9}, "goal"),
        ({"case": 10**9}, "case"),
        ({"household": 10**9}, "household"),
    ]:
        response = post(keyworker_api, URL, body(consented, service, **overrides))
        assert response.status_code == 422, (overrides, response.content)
        assert ("body", field) in locs(response)
    assert not Referral.objects.exists()


def test_schema_errors(consented, service, keyworker_api):
    response = post(keyworker_api, URL, body(consented, service, person="1", colour="red"))
    assert response.status_code == 422
    types = {tuple(e["loc"]): e["type"] for e in response.json()["detail"]}
    assert types[("body", "person")] == "int_type"
    assert types[("body", "colour")] == "extra_forbidden"
    response = keyworker_api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert not Referral.objects.exists()


def test_outsider_cannot_refer_someone_they_do_not_work_with(consented, service, outsider_api):
    response = post(outsider_api, URL, body(consented, service))
    assert response.status_code == 422
    assert ("body", "person") in locs(response)
    assert not Referral.objects.exists()


def test_no_token_is_401(consented, service):
    response = post(Client(), URL, body(consented, service))
    assert response.status_code == 401


# --- read ----------------------------------------------------------------------------------


def test_receiver_reads_the_referral_with_its_bundle(personas, consented, service, partner_api):
    referral = refer(personas, consented, service, bundle=["assessments"])
    response = partner_api.get(f"{URL}/{referral.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["sides"] == ["receiver"]
    assert data["shown"] == ["assessments"]
    assert data["person"]["name"] == "Rhys Morgan"
    assert set(data["allowed_transitions"]) == {"accepted", "rejected", "on-hold", "cancelled"}
    assert AuditEvent.objects.filter(action="api.referral.view", person_id=consented.pk).exists()


def test_outsider_gets_the_same_404_as_for_nothing(personas, consented, service, outsider_api):
    referral = refer(personas, consented, service)
    missing = outsider_api.get(f"{URL}/{10**9}")
    for path in (f"{URL}/{referral.pk}", f"{URL}/{referral.pk}/fhir"):
        response = outsider_api.get(path)
        assert response.status_code == 404
        assert response.json() == missing.json() == {"detail": "Not found"}
    response = post(outsider_api, f"{URL}/{referral.pk}/transition", {"status": "cancelled"})
    assert response.status_code == 404
    assert Referral.objects.get(pk=referral.pk).status == S.REQUESTED


# --- transitions ---------------------------------------------------------------------------


def test_receiver_accepts(personas, consented, service, partner_api):
    referral = refer(personas, consented, service)
    response = post(partner_api, f"{URL}/{referral.pk}/transition", {"status": "accepted"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "accepted"
    assert data["holds_slot"] is True
    assert data["responded_at"] is not None
    assert data["transitions"][-1]["by"] == "partner"
    assert data["transitions"][-1]["side"] == "receiver"
    assert "completed" in data["allowed_transitions"]


def test_illegal_move_is_409_with_the_allowed_moves(personas, consented, service, keyworker_api):
    referral = refer(personas, consented, service)
    response = post(keyworker_api, f"{URL}/{referral.pk}/transition", {"status": "accepted"})
    assert response.status_code == 409
    data = response.json()
    assert "Only the receiving service" in data["detail"]
    assert data["status"] == "requested" and data["requested"] == "accepted"
    assert set(data["allowed"]) == {"cancelled", "entered-in-error"}
    assert Referral.objects.get(pk=referral.pk).status == S.REQUESTED


def test_move_from_a_closed_referral_is_409_with_nothing_allowed(
    personas, consented, service, partner_api
):
    referral = refer(personas, consented, service)
    reject = {"status": "rejected", "reason_code": "out-of-area", "reason": "Lives in Cardiff"}
    assert post(partner_api, f"{URL}/{referral.pk}/transition", reject).status_code == 200
    response = post(partner_api, f"{URL}/{referral.pk}/transition", {"status": "accepted"})
    assert response.status_code == 409
    assert response.json()["allowed"] == []
    assert "A rejected referral cannot become accepted" in response.json()["detail"]


def test_missing_reason_is_422_and_nothing_moves(personas, consented, service, partner_api):
    referral = refer(personas, consented, service)
    before = writes()
    response = post(partner_api, f"{URL}/{referral.pk}/transition", {"status": "rejected"})
    assert response.status_code == 422
    assert locs(response) == {("body", "reason_code"), ("body", "reason")}
    response = post(partner_api, f"{URL}/{referral.pk}/transition", {"status": "accepted"})
    assert response.status_code == 200
    response = post(partner_api, f"{URL}/{referral.pk}/transition", {"status": "completed"})
    assert response.status_code == 422
    assert locs(response) == {("body", "outcome")}
    assert Referral.objects.get(pk=referral.pk).status == S.ACCEPTED
    assert writes()[1] == before[1] + 1  # only the accept


def test_unknown_status_and_extra_fields(personas, consented, service, partner_api):
    referral = refer(personas, consented, service)
    response = post(partner_api, f"{URL}/{referral.pk}/transition", {"status": "approved"})
    assert response.status_code == 422
    assert ("body", "status") in locs(response)
    response = post(
        partner_api, f"{URL}/{referral.pk}/transition", {"status": "accepted", "why": "x"}
    )
    assert response.status_code == 422
    assert Referral.objects.get(pk=referral.pk).status == S.REQUESTED


def test_complete_with_outcome(personas, consented, service, partner_api):
    referral = refer(personas, consented, service)
    post(partner_api, f"{URL}/{referral.pk}/transition", {"status": "accepted"})
    response = post(
        partner_api,
        f"{URL}/{referral.pk}/transition",
        {"status": "completed", "outcome": "Tenancy saved"},
    )
    assert response.status_code == 200
    assert response.json()["outcome"] == "Tenancy saved"
    assert response.json()["closed_at"] is not None


# --- lists ---------------------------------------------------------------------------------


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["results"]]


def test_directions(personas, consented, service, keyworker_api, partner_api, outsider_api):
    sent = refer(personas, consented, service)
    legal = ServiceFactory(organisation=personas.one_stop, name="Advice desk")
    other = f.PersonFactory(network=personas.network, registered_by=personas.partner_org)
    incoming = Referral.objects.create(
        network=personas.network,
        person=other,
        service=legal,
        receiving_organisation=personas.one_stop,
        referring_organisation=personas.partner_org,
        referred_by=personas.partner,
        need="housing-instability",
        reason="x",
        status=S.REQUESTED,
    )
    assert ids(partner_api.get(URL, {"direction": "incoming"})) == [sent.pk]
    assert ids(partner_api.get(URL, {"direction": "outgoing"})) == [incoming.pk]
    assert ids(keyworker_api.get(URL, {"direction": "outgoing"})) == [sent.pk]
    assert ids(keyworker_api.get(URL, {"direction": "incoming"})) == [incoming.pk]
    assert ids(keyworker_api.get(URL, {"direction": "mine"})) == [sent.pk]
    assert set(ids(keyworker_api.get(URL))) == {sent.pk, incoming.pk}
    assert ids(outsider_api.get(URL)) == []
    assert ids(outsider_api.get(URL, {"person": consented.pk})) == []


def test_filters(personas, consented, service, partner_api, keyworker_api):
    first = refer(personas, consented, service)
    second = refer(personas, consented, service)
    other_service = housing_service(personas, name="Floating support")
    third = refer(personas, consented, other_service)
    post(partner_api, f"{URL}/{second.pk}/transition", {"status": "accepted"})
    assert set(ids(partner_api.get(URL, {"direction": "incoming"}))) == {
        first.pk,
        second.pk,
        third.pk,
    }
    assert ids(partner_api.get(URL, {"direction": "incoming", "status": "accepted"})) == [second.pk]
    assert set(ids(partner_api.get(URL, {"service": other_service.pk}))) == {third.pk}
    assert set(ids(keyworker_api.get(URL, {"person": consented.pk}))) == {
        first.pk,
        second.pk,
        third.pk,
    }
    assert ids(keyworker_api.get(URL, {"person": consented.pk, "status": "accepted"})) == [
        second.pk
    ]
    page = keyworker_api.get(URL, {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2
    assert AuditEvent.objects.filter(action="api.referral.list", person_id=consented.pk).exists()


def test_bad_filters(keyworker_api):
    for params in ({"direction": "sideways"}, {"status": "approved"}, {"service": "x"}):
        response = keyworker_api.get(URL, params)
        assert response.status_code == 422, params
        assert response.json()["detail"][0]["loc"][0] == "query"


def test_list_query_count_does_not_grow(personas, consented, service, partner_api, keyworker_api):
    refer(personas, consented, service)

    def queries(client: Client, params: dict[str, object]) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(URL, params)
        assert response.status_code == 200
        assert response.json()["results"]
        return len(captured)

    for client, params in [
        (partner_api, {"direction": "incoming"}),
        (partner_api, {}),
        (keyworker_api, {"direction": "mine"}),
        (keyworker_api, {"direction": "outgoing"}),
        (keyworker_api, {"person": consented.pk}),
    ]:
        one = queries(client, params)
        for _ in range(4):
            other = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
            f.CaseFactory(
                person=other, lead_organisation=personas.one_stop, key_worker=personas.keyworker
            )
            consent_to(personas, other, personas.partner_org)
            refer(personas, other, service)
            refer(personas, consented, service)
        assert queries(client, params) == one, params


def test_openapi_lists_the_routes():
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/referrals"]) == {"get", "post"}
    assert "get" in paths["/api/v1/referrals/{referral_id}"]
    assert "post" in paths["/api/v1/referrals/{referral_id}/transition"]
    assert "409" in paths["/api/v1/referrals/{referral_id}/transition"]["post"]["responses"]
    assert "get" in paths["/api/v1/referrals/{referral_id}/fhir"]
