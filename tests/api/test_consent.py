"""The trust layer's API: consents, withdrawal, the access log and break-glass."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from tests import factories as f
from tests.consent import DAY, make_consent
from wraparound.audit.models import AuditEvent, AuditKind
from wraparound.consent.models import (
    BreakGlass,
    Consent,
    ConsentCategory,
    ConsentWithdrawal,
)
from wraparound.directory.models import Sector


@pytest.fixture
def evans(personas):
    """A person the one-stop works with: a case there, with the key worker."""
    person = f.PersonFactory(network=personas.network, given_name="Siân", family_name="Evans")
    f.CaseFactory(person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker)
    return person


@pytest.fixture
def keyworker_api(personas, api_client_for) -> Client:
    return api_client_for(personas.keyworker)


def writes() -> tuple[int, ...]:
    trust_events = AuditEvent.objects.filter(kind=AuditKind.WRITE).filter(
        Q(action__startswith="consent.")
        | Q(action__startswith="break_glass.")
        | Q(action__startswith="legal_basis.")
    )
    return (
        Consent.objects.count(),
        ConsentCategory.objects.count(),
        ConsentWithdrawal.objects.count(),
        BreakGlass.objects.count(),
        trust_events.count(),
    )


@pytest.fixture
def nothing_written(db):
    """Asserts, after the test, that no consent, withdrawal, break-glass or write event was
    made."""
    before = writes()
    yield
    assert writes() == before


def post(client: Client, path: str, body: object) -> Any:
    return client.post(path, body, content_type="application/json")


def consent_body(**overrides: object) -> dict[str, object]:
    return {
        "recipient_kind": "organisation",
        "recipient_organisation": "housing-assoc",
        "purpose": "care_coordination",
        "categories": ["identity", "health"],
        "evidence": "verbal",
        **overrides,
    }


def iso(value: dt.datetime) -> str:
    """A datetime as the API writes it (milliseconds, Z)."""
    return str(DjangoJSONEncoder().default(value))


def errors(response) -> list[tuple[list[object], str]]:
    return [(e["loc"], e["msg"]) for e in response.json()["detail"]]


# --- GET /people/{id}/consents ---------------------------------------------------------------


def test_list_consents_newest_first_with_every_field(personas, evans, keyworker_api):
    older = make_consent(evans, organisation=personas.partner_org, categories=["identity"])
    Consent.objects.filter(pk=older.pk).update(recorded_at=timezone.now() - DAY)
    until = timezone.now() + 30 * DAY
    newer = make_consent(
        evans,
        sector=Sector.HOUSING,
        categories=["health", "mental_health"],
        valid_until=until,
        withdrawn=True,
    )
    Consent.objects.filter(pk=newer.pk).update(recorded_by=personas.keyworker)
    newer.refresh_from_db()

    response = keyworker_api.get(f"/api/v1/people/{evans.pk}/consents")

    assert response.status_code == 200
    body = response.json()
    assert [c["id"] for c in body] == [newer.pk, older.pk]
    assert body[0] == {
        "id": newer.pk,
        "person": evans.pk,
        "recipient": {"kind": "sector", "organisation": None, "sector": "housing"},
        "purpose": "care_coordination",
        "purpose_detail": "",
        "categories": ["health", "mental_health"],
        "valid_from": iso(newer.valid_from),
        "valid_until": iso(until),
        "evidence": "verbal",
        "evidence_note": "",
        "status": "withdrawn",
        "recorded_by": "keyworker",
        "recorded_by_organisation": None,
        "recorded_at": iso(newer.recorded_at),
        "withdrawn_at": iso(newer.withdrawal.withdrawn_at),
    }
    assert body[1]["recipient"] == {
        "kind": "organisation",
        "organisation": "housing-assoc",
        "sector": None,
    }
    assert (body[1]["status"], body[1]["valid_until"], body[1]["withdrawn_at"]) == (
        "active",
        None,
        None,
    )


def test_list_consents_shows_expired_and_future_ones_by_status(personas, evans, keyworker_api):
    now = timezone.now()
    expired = make_consent(
        evans,
        organisation=personas.partner_org,
        categories=["identity"],
        valid_from=now - 10 * DAY,
        valid_until=now - DAY,
    )
    future = make_consent(
        evans, organisation=personas.partner_org, categories=["identity"], valid_from=now + DAY
    )

    body = keyworker_api.get(f"/api/v1/people/{evans.pk}/consents").json()

    assert {c["id"]: c["status"] for c in body} == {
        expired.pk: "expired",
        future.pk: "not_yet_in_force",
    }


def test_reading_consents_is_audited(personas, evans, keyworker_api):
    keyworker_api.get(f"/api/v1/people/{evans.pk}/consents")

    event = AuditEvent.objects.get(action="api.consent.list")
    assert (event.kind, event.person_id, event.decision, event.via) == (
        "read",
        evans.pk,
        "allowed",
        "api",
    )


@pytest.mark.parametrize("username", ["partner", "outsider", "netadmin"])
def test_consents_are_only_for_organisations_working_with_the_person(
    personas, evans, api_client_for, username
):
    # The partner may see the person (a consent) but does not work with them; the network
    # administrator works at the one-stop but not with people's records.
    make_consent(evans, organisation=personas.partner_org, categories=["identity"])
    client = api_client_for(getattr(personas, username))

    response = client.get(f"/api/v1/people/{evans.pk}/consents")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}


def test_a_privacy_officer_sees_anyones_consents_in_the_network(personas, api_client_for):
    stranger = f.PersonFactory(network=personas.network)  # no one works with them
    make_consent(stranger, organisation=personas.outsider_org, categories=["legal"])
    elsewhere = f.PersonFactory()  # another network

    client = api_client_for(personas.privacy)

    response = client.get(f"/api/v1/people/{stranger.pk}/consents")
    assert response.status_code == 200
    assert [c["categories"] for c in response.json()] == [["legal"]]
    event = AuditEvent.objects.get(action="api.consent.list")
    assert (event.person_id, event.decision_reason) == (stranger.pk, "privacy officer oversight")
    assert client.get(f"/api/v1/people/{elsewhere.pk}/consents").status_code == 404


@pytest.mark.parametrize(
    ("person_id", "status"),
    [("999999", 404), ("0", 422), ("-1", 422), ("abc", 422), (str(2**63), 422)],
)
def test_consents_of_a_missing_or_invalid_person(personas, keyworker_api, person_id, status):
    response = keyworker_api.get(f"/api/v1/people/{person_id}/consents")
    assert response.status_code == status


# --- POST /people/{id}/consents --------------------------------------------------------------


def test_record_a_consent(personas, evans, keyworker_api, api_client_for):
    partner_api = api_client_for(personas.partner)
    assert partner_api.get(f"/api/v1/people/{evans.pk}").status_code == 404
    until = (timezone.localdate() + dt.timedelta(days=365)).isoformat()

    response = post(
        keyworker_api,
        f"/api/v1/people/{evans.pk}/consents",
        consent_body(
            categories=["health", "identity", "health"],
            valid_until=until,
            evidence_note=" Witnessed by A. Jones ",
        ),
    )

    assert response.status_code == 201
    body = response.json()
    consent = Consent.objects.get(pk=body["id"])
    assert consent.person == evans
    assert consent.recipient_organisation == personas.partner_org
    assert consent.recorded_by == personas.keyworker
    assert consent.recorded_by_organisation == personas.one_stop
    assert timezone.localtime(consent.valid_until).isoformat().startswith(f"{until}T00:00:00")
    assert body["categories"] == ["health", "identity"]
    assert body["recipient"] == {"kind": "organisation", "organisation": "housing-assoc"} | {
        "sector": None
    }
    assert (body["status"], body["recorded_by"], body["recorded_by_organisation"]) == (
        "active",
        "keyworker",
        "one-stop",
    )
    assert body["evidence_note"] == "Witnessed by A. Jones"
    assert AuditEvent.objects.filter(action="consent.record", person_id=evans.pk).count() == 1
    # It counts straight away: the partner now sees the person and their health.
    record = partner_api.get(f"/api/v1/people/{evans.pk}")
    assert record.status_code == 200
    assert "health" not in {w["category"] for w in record.json()["withheld"]}


def test_record_a_sector_consent_for_a_referral_starting_later(personas, evans, keyworker_api):
    response = post(
        keyworker_api,
        f"/api/v1/people/{evans.pk}/consents",
        consent_body(
            recipient_kind="sector",
            recipient_organisation=None,
            recipient_sector="housing",
            purpose="referral",
            purpose_detail="Referral to supported housing",
            valid_from="2099-01-01T09:00:00+00:00",
            valid_until="2099-06-01T09:00:00Z",
        ),
    )

    assert response.status_code == 201
    body = response.json()
    assert body["recipient"] == {"kind": "sector", "organisation": None, "sector": "housing"}
    assert (body["purpose"], body["purpose_detail"]) == (
        "referral",
        "Referral to supported housing",
    )
    assert (body["valid_from"], body["status"]) == ("2099-01-01T09:00:00Z", "not_yet_in_force")


def test_unknown_category_is_named(personas, evans, keyworker_api, nothing_written):
    response = post(
        keyworker_api,
        f"/api/v1/people/{evans.pk}/consents",
        consent_body(categories=["health", "horoscope"]),
    )

    assert response.status_code == 422
    assert errors(response) == [(["body", "categories"], "Unknown category: horoscope")]


def test_end_before_start_is_refused_on_valid_until(
    personas, evans, keyworker_api, nothing_written
):
    response = post(
        keyworker_api,
        f"/api/v1/people/{evans.pk}/consents",
        consent_body(valid_from="2030-01-02", valid_until="2030-01-01"),
    )

    assert response.status_code == 422
    assert errors(response) == [(["body", "valid_until"], "The end must be after the start")]


@pytest.mark.parametrize("slug", ["no-such-org", "elsewhere"])
def test_recipient_outside_the_network_is_refused(
    personas, evans, keyworker_api, nothing_written, slug
):
    f.OrganisationFactory(slug="elsewhere")  # an organisation of another network

    response = post(
        keyworker_api,
        f"/api/v1/people/{evans.pk}/consents",
        consent_body(recipient_organisation=slug),
    )

    assert response.status_code == 422
    [(loc, msg)] = errors(response)
    assert loc == ["body", "recipient_organisation"]
    assert "not in this network" in msg
    assert slug in msg


def test_substance_use_to_a_sector_is_refused(personas, evans, keyworker_api, nothing_written):
    response = post(
        keyworker_api,
        f"/api/v1/people/{evans.pk}/consents",
        consent_body(
            recipient_kind="sector",
            recipient_organisation=None,
            recipient_sector="housing",
            categories=["substance_use"],
        ),
    )

    assert response.status_code == 422
    [(loc, msg)] = errors(response)
    assert loc == ["body", "categories"]
    assert "only be shared with one named organisation" in msg


@pytest.mark.parametrize(
    ("overrides", "loc", "error_type"),
    [
        ({"categories": "health"}, ["body", "categories"], "list_type"),
        ({"categories": [1]}, ["body", "categories", 0], "string_type"),
        ({"recipient_kind": 1}, ["body", "recipient_kind"], "string_type"),
        ({"purpose": None}, ["body", "purpose"], "string_type"),
        ({"valid_until": 4102444800}, ["body", "valid_until"], "datetime_format"),
        ({"valid_until": "next week"}, ["body", "valid_until"], "datetime_format"),
        ({"valid_from": "2030-02-30"}, ["body", "valid_from"], "datetime_from_date_parsing"),
        ({"evidence_note": "x" * 301}, ["body", "evidence_note"], "string_too_long"),
        ({"purpose_detail": "a\x00b"}, ["body", "purpose_detail"], "string_nul"),
        ({"categorys": ["health"]}, ["body", "categorys"], "extra_forbidden"),
    ],
)
def test_strict_types_and_unknown_fields(
    personas, evans, keyworker_api, nothing_written, overrides, loc, error_type
):
    response = post(keyworker_api, f"/api/v1/people/{evans.pk}/consents", consent_body(**overrides))

    assert response.status_code == 422
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [(loc, error_type)]


def test_missing_fields_are_all_listed(personas, evans, keyworker_api, nothing_written):
    response = post(keyworker_api, f"/api/v1/people/{evans.pk}/consents", {})

    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} == {
        ("body", "recipient_kind"),
        ("body", "purpose"),
        ("body", "categories"),
        ("body", "evidence"),
    }


def test_service_rules_are_reported_together(personas, evans, keyworker_api, nothing_written):
    response = post(
        keyworker_api,
        f"/api/v1/people/{evans.pk}/consents",
        consent_body(
            recipient_kind="everyone",
            purpose="marketing",
            categories=[],
            evidence="telepathy",
        ),
    )

    assert response.status_code == 422
    assert {e["loc"][1] for e in response.json()["detail"]} == {
        "recipient_kind",
        "purpose",
        "categories",
        "evidence",
    }


def test_a_body_that_is_not_json_is_400(personas, evans, keyworker_api, nothing_written):
    response = keyworker_api.post(
        f"/api/v1/people/{evans.pk}/consents", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


def test_someone_who_may_see_but_does_not_work_with_the_person_is_403(
    personas, evans, api_client_for
):
    make_consent(evans, organisation=personas.partner_org, categories=["identity"])
    before = writes()

    response = post(
        api_client_for(personas.partner), f"/api/v1/people/{evans.pk}/consents", consent_body()
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "only organisations working with the person can edit"}
    assert writes() == before


@pytest.mark.parametrize("username", ["outsider", "partner"])
def test_someone_who_may_not_see_the_person_gets_404(
    personas, evans, api_client_for, nothing_written, username
):
    response = post(
        api_client_for(getattr(personas, username)),
        f"/api/v1/people/{evans.pk}/consents",
        consent_body(),
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}


def test_a_role_without_casework_cannot_record_consent(
    personas, evans, api_client_for, nothing_written
):
    response = post(
        api_client_for(personas.netadmin), f"/api/v1/people/{evans.pk}/consents", consent_body()
    )

    assert response.status_code == 403
    assert "role cannot edit" in response.json()["detail"]


# --- POST /consents/{id}/withdraw ------------------------------------------------------------


def test_withdraw_a_consent(personas, evans, keyworker_api, api_client_for):
    consent = make_consent(evans, organisation=personas.partner_org, categories=["identity"])
    partner_api = api_client_for(personas.partner)
    assert partner_api.get(f"/api/v1/people/{evans.pk}").status_code == 200

    response = post(
        keyworker_api, f"/api/v1/consents/{consent.pk}/withdraw", {"reason": " Asked today "}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"]) == (consent.pk, "withdrawn")
    assert body["withdrawn_at"] is not None
    withdrawal = ConsentWithdrawal.objects.get(consent=consent)
    assert (withdrawal.reason, withdrawal.withdrawn_by) == ("Asked today", personas.keyworker)
    assert AuditEvent.objects.filter(action="consent.withdraw", person_id=evans.pk).count() == 1
    # The very next request no longer finds the person.
    assert partner_api.get(f"/api/v1/people/{evans.pk}").status_code == 404


def test_withdraw_without_a_body(personas, evans, keyworker_api):
    consent = make_consent(evans, organisation=personas.partner_org, categories=["identity"])

    response = keyworker_api.generic("POST", f"/api/v1/consents/{consent.pk}/withdraw", b"")

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"


def test_withdrawing_twice_is_refused(personas, evans, keyworker_api):
    consent = make_consent(
        evans, organisation=personas.partner_org, categories=["identity"], withdrawn=True
    )
    before = writes()

    response = post(keyworker_api, f"/api/v1/consents/{consent.pk}/withdraw", {})

    assert response.status_code == 422
    assert errors(response) == [(["body", "consent"], "This consent was already withdrawn")]
    assert writes() == before


@pytest.mark.parametrize("username", ["partner", "outsider", "netadmin"])
def test_only_organisations_working_with_the_person_withdraw(
    personas, evans, api_client_for, username
):
    consent = make_consent(evans, organisation=personas.partner_org, categories=["identity"])
    before = writes()

    response = post(
        api_client_for(getattr(personas, username)), f"/api/v1/consents/{consent.pk}/withdraw", {}
    )

    assert response.status_code == 404
    assert writes() == before


@pytest.mark.parametrize(
    ("body", "error_type"),
    [({"reason": 5}, "string_type"), ({"why": "x"}, "extra_forbidden")],
)
def test_withdraw_body_is_strict(personas, evans, keyworker_api, body, error_type):
    consent = make_consent(evans, organisation=personas.partner_org, categories=["identity"])
    before = writes()

    response = post(keyworker_api, f"/api/v1/consents/{consent.pk}/withdraw", body)

    assert response.status_code == 422
    assert [e["type"] for e in response.json()["detail"]] == [error_type]
    assert writes() == before


def test_withdraw_a_missing_consent(personas, keyworker_api):
    assert post(keyworker_api, "/api/v1/consents/999999/withdraw", {}).status_code == 404


# --- GET /people/{id}/access-log -------------------------------------------------------------


def test_access_log_lists_reads_and_refusals_newest_first(
    personas, evans, keyworker_api, api_client_for
):
    api_client_for(personas.outsider).get(f"/api/v1/people/{evans.pk}")  # refused
    make_consent(evans, organisation=personas.partner_org, categories=["identity", "health"])
    api_client_for(personas.partner).get(f"/api/v1/people/{evans.pk}")

    response = keyworker_api.get(f"/api/v1/people/{evans.pk}/access-log")

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["page_size"]) == (3, 1, 25)
    own, partner, outsider = body["results"]
    assert (own["action"], own["actor"], own["purpose"]) == (
        "access_log.view",
        str(personas.keyworker),
        "subject_access",
    )
    assert partner == partner | {
        "actor": str(personas.partner),
        "organisation": "Taff Housing Association",
        "role": "practitioner",
        "action": "api.person.view",
        "purpose": "care_coordination",
        "decision": "allowed",
        "break_glass": False,
    }
    assert {"identity", "health"} <= set(partner["categories"])
    assert "mental_health" not in partner["categories"]
    assert partner["decision_reason"].startswith("consent #")
    assert outsider == outsider | {
        "organisation": "Valleys Law Clinic",
        "decision": "denied",
        "categories": ["identity"],
        "decision_reason": "no relationship, consent or legal basis for this person",
    }
    assert list(own) == [
        "occurred_at",
        "actor",
        "organisation",
        "role",
        "action",
        "purpose",
        "categories",
        "decision",
        "decision_reason",
        "break_glass",
    ]


def test_access_log_is_paginated(personas, evans, keyworker_api):
    for _ in range(3):
        keyworker_api.get(f"/api/v1/people/{evans.pk}")

    response = keyworker_api.get(
        f"/api/v1/people/{evans.pk}/access-log", {"page": 2, "page_size": 2}
    )

    body = response.json()
    # Three record reads, and this look at the log itself.
    assert (body["count"], body["page"], body["page_size"], len(body["results"])) == (4, 2, 2, 2)
    assert [r["action"] for r in body["results"]] == ["api.person.view"] * 2


@pytest.mark.parametrize(
    "params", [{"page": 0}, {"page_size": 101}, {"page": "x"}, {"page_size": 0}]
)
def test_access_log_bad_paging(personas, evans, keyworker_api, params):
    response = keyworker_api.get(f"/api/v1/people/{evans.pk}/access-log", params)
    assert response.status_code == 422


def test_access_log_for_the_privacy_officer(personas, api_client_for):
    stranger = f.PersonFactory(network=personas.network)

    response = api_client_for(personas.privacy).get(f"/api/v1/people/{stranger.pk}/access-log")

    assert response.status_code == 200
    [event] = response.json()["results"]
    assert (event["action"], event["role"]) == ("access_log.view", "privacy_officer")


@pytest.mark.parametrize("username", ["partner", "outsider"])
def test_access_log_is_not_for_others(personas, evans, api_client_for, username):
    make_consent(evans, organisation=personas.partner_org, categories=["identity"])
    response = api_client_for(getattr(personas, username)).get(
        f"/api/v1/people/{evans.pk}/access-log"
    )
    assert response.status_code == 404


# --- POST /break-glass -----------------------------------------------------------------------

JUSTIFICATION = "Police report she is missing and at immediate risk tonight"


def test_break_glass_lets_a_worker_in_for_a_limited_time(personas, evans, api_client_for):
    outsider_api = api_client_for(personas.outsider)
    assert outsider_api.get(f"/api/v1/people/{evans.pk}").status_code == 404

    response = post(
        outsider_api,
        "/api/v1/break-glass",
        {"person": evans.pk, "reason": "missing_person", "justification": JUSTIFICATION},
    )

    assert response.status_code == 201
    body = response.json()
    access = BreakGlass.objects.get(pk=body["id"])
    assert (access.user, access.organisation, access.person) == (
        personas.outsider,
        personas.outsider_org,
        evans,
    )
    assert (body["person"], body["reason"]) == (evans.pk, "missing_person")
    expires = dt.datetime.fromisoformat(body["expires_at"])
    started = dt.datetime.fromisoformat(body["started_at"])
    assert expires - started == dt.timedelta(minutes=personas.network.break_glass_minutes)
    event = AuditEvent.objects.get(action="break_glass.start")
    assert (event.break_glass, event.decision_reason) == (True, JUSTIFICATION)

    record = outsider_api.get(f"/api/v1/people/{evans.pk}")
    assert record.status_code == 200
    assert record.json()["break_glass"] is True
    assert record.json()["withheld"] == []
    read = AuditEvent.objects.filter(action="api.person.view").latest("sequence")
    assert read.break_glass is True


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"reason": "risk_to_life"}, ["body", "justification"]),
        ({"reason": "risk_to_life", "justification": "   too short   "}, ["body", "justification"]),
        ({"reason": "boredom", "justification": JUSTIFICATION}, ["body", "reason"]),
        ({"reason": "risk_to_life", "justification": 12345}, ["body", "justification"]),
        ({"justification": JUSTIFICATION}, ["body", "reason"]),
        (
            {"reason": "risk_to_life", "justification": JUSTIFICATION, "minutes": 600},
            ["body", "minutes"],
        ),
    ],
)
def test_break_glass_bad_input(personas, evans, api_client_for, nothing_written, body, loc):
    response = post(
        api_client_for(personas.outsider), "/api/v1/break-glass", {"person": evans.pk, **body}
    )

    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [loc]


@pytest.mark.parametrize("person", ["1", 1.5, None, 0])
def test_break_glass_person_must_be_an_id(personas, api_client_for, nothing_written, person):
    response = post(
        api_client_for(personas.outsider),
        "/api/v1/break-glass",
        {"person": person, "reason": "risk_to_life", "justification": JUSTIFICATION},
    )
    assert response.status_code == 422


def test_break_glass_for_an_unknown_person_is_404(personas, api_client_for, nothing_written):
    elsewhere = f.PersonFactory()  # another network: the same as no one
    client = api_client_for(personas.outsider)
    for person_id in (999999, elsewhere.pk):
        response = post(
            client,
            "/api/v1/break-glass",
            {"person": person_id, "reason": "risk_to_life", "justification": JUSTIFICATION},
        )
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found"}


@pytest.mark.parametrize("username", ["netadmin", "privacy"])
def test_a_role_that_cannot_break_glass_is_403(
    personas, evans, api_client_for, nothing_written, username
):
    response = post(
        api_client_for(getattr(personas, username)),
        "/api/v1/break-glass",
        {"person": evans.pk, "reason": "risk_to_life", "justification": JUSTIFICATION},
    )

    assert response.status_code == 403
    assert "cannot use break-glass" in response.json()["detail"]


def test_someone_with_no_membership_cannot_break_glass(
    personas, evans, api_client_for, nothing_written
):
    response = post(
        api_client_for(f.UserFactory(username="loner")),
        "/api/v1/break-glass",
        {"person": evans.pk, "reason": "risk_to_life", "justification": JUSTIFICATION},
    )
    assert response.status_code == 403


# --- authentication --------------------------------------------------------------------------


def routes(person_id: int, consent_id: int) -> list[tuple[str, str, object]]:
    return [
        ("get", f"/api/v1/people/{person_id}/consents", None),
        ("post", f"/api/v1/people/{person_id}/consents", consent_body()),
        ("post", f"/api/v1/consents/{consent_id}/withdraw", {}),
        ("get", f"/api/v1/people/{person_id}/access-log", None),
        (
            "post",
            "/api/v1/break-glass",
            {"person": person_id, "reason": "risk_to_life", "justification": JUSTIFICATION},
        ),
    ]


def assert_unauthorised(response) -> None:
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def call(client: Client, method: str, path: str, body: object):
    if method == "get":
        return client.get(path)
    return client.post(path, body, content_type="application/json")


def test_every_route_needs_a_token(personas, evans):
    consent = make_consent(evans, organisation=personas.partner_org, categories=["identity"])
    before = writes()
    for method, path, body in routes(evans.pk, consent.pk):
        assert_unauthorised(call(Client(), method, path, body))
    assert writes() == before


def test_a_deactivated_users_token_is_refused_everywhere(personas, evans, api_client_for):
    consent = make_consent(evans, organisation=personas.partner_org, categories=["identity"])
    client = api_client_for(personas.keyworker)
    assert client.get(f"/api/v1/people/{evans.pk}/consents").status_code == 200
    personas.keyworker.is_active = False
    personas.keyworker.save(update_fields=["is_active"])
    before = writes()

    for method, path, body in routes(evans.pk, consent.pk):
        assert_unauthorised(call(client, method, path, body))

    assert writes() == before
    assert not ConsentWithdrawal.objects.filter(consent=consent).exists()


def test_a_deactivated_membership_sees_nothing(personas, evans, api_client_for):
    client = api_client_for(personas.keyworker)
    personas.keyworker.memberships.update(is_active=False)
    before = writes()

    for method, path, body in routes(evans.pk, 999999):
        response = call(client, method, path, body)
        assert response.status_code in (403, 404), (path, response.status_code)

    assert writes() == before


def test_openapi_lists_the_trust_routes(db):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/people/{person_id}/consents",
        "/api/v1/consents/{consent_id}/withdraw",
        "/api/v1/people/{person_id}/access-log",
        "/api/v1/break-glass",
    } <= set(paths)
    post_consent = paths["/api/v1/people/{person_id}/consents"]["post"]
    assert {"201", "401", "403", "404", "422"} <= set(post_consent["responses"])
