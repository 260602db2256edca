"""POST /people and PATCH /people/{id}: happy paths, refusals, and no half-written records."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from django.utils import timezone

from tests import factories as f
from tests.api.clients import SENSITIVE_LABELS, ApiClientFor
from wraparound.api.schemas import PersonCreateIn, PersonOut, PersonPatchIn
from wraparound.audit.models import AuditEvent
from wraparound.people.models import Identifier, Person
from wraparound.people.services import PersonDetails

VALID_NHS_NUMBER = "943 476 5919"


def post(client, body, *, path="/api/v1/people"):
    return client.post(path, data=body, content_type="application/json")


def patch(client, person, body):
    return client.patch(f"/api/v1/people/{person.pk}", data=body, content_type="application/json")


def error_locs(response) -> list[list[str]]:
    return [error["loc"] for error in response.json()["detail"]]


@pytest.fixture
def keyworker_api(personas, api_client_for: ApiClientFor):
    return api_client_for(personas.keyworker)


@pytest.fixture
def evans(personas):
    person = f.PersonFactory(
        network=personas.network,
        given_name="Siân",
        family_name="Evans",
        date_of_birth=dt.date(1980, 4, 3),
        phone="+447400123456",
        town="Pontypridd",
    )
    f.CaseFactory(person=person, lead_organisation=personas.one_stop)
    return person


@pytest.fixture
def nothing_written():
    """Asserts, after the test, that no person or identifier was created."""
    people, identifiers = Person.objects.count(), Identifier.objects.count()
    yield
    assert (Person.objects.count(), Identifier.objects.count()) == (people, identifiers)


# --- POST ------------------------------------------------------------------------------------


def test_register_a_person(personas, keyworker_api):
    area = f.AreaFactory(network=personas.network)

    response = post(
        keyworker_api,
        {
            "given_name": "  Dafydd ",
            "family_name": "Price",
            "previous_names": ["Dafydd Jones"],
            "date_of_birth": "1975-06-01",
            "sex": "male",
            "gender": "man",
            "phone": "07400 123 456",
            "email": "Dafydd@Example.org",
            "postcode": "cf37 1aa",
            "area_id": area.pk,
            "preferred_languages": ["cy"],
            "interpreter_needed": True,
            "population_groups": ["homeless"],
            "identifiers": [
                {"type": "nhs_number", "value": VALID_NHS_NUMBER, "issuer": "NHS Wales"}
            ],
        },
    )

    assert response.status_code == 201
    body = response.json()
    person = Person.objects.get(pk=body["id"])
    assert person.registered_by == personas.one_stop
    assert body | {"id": None, "reference": None} == {
        "id": None,
        "reference": None,
        "given_name": "Dafydd",
        "family_name": "Price",
        "preferred_name": "",
        "previous_names": ["Dafydd Jones"],
        "date_of_birth": "1975-06-01",
        "date_of_birth_is_approximate": False,
        "sex": "male",
        "gender": "man",
        "gender_description": "",
        "phone": "+447400123456",
        "email": "dafydd@example.org",
        "address_line_1": "",
        "address_line_2": "",
        "town": "",
        "postcode": "CF37 1AA",
        "area_id": area.pk,
        "preferred_languages": ["cy"],
        "interpreter_needed": True,
        "population_groups": ["homeless"],
        "identifiers": [{"type": "nhs_number", "value": "9434765919", "issuer": "NHS Wales"}],
        "household": None,
        "cases": [],
        "withheld": [
            {"category": c, "reason": f"withheld: no consent for {label}", "fields": []}
            for c, label in SENSITIVE_LABELS
        ],
        "break_glass": False,
    }
    event = AuditEvent.objects.get(action="person.create", person_id=person.pk)
    assert (event.via, event.actor_user) == ("api", personas.keyworker)
    # The new person is found by the search straight away.
    assert keyworker_api.get("/api/v1/people", {"q": "price"}).json()["count"] == 1


def test_register_with_only_the_required_fields(keyworker_api):
    response = post(keyworker_api, {"given_name": "Ann", "family_name": "Lee"})

    assert response.status_code == 201
    body = response.json()
    assert (body["sex"], body["date_of_birth"], body["identifiers"]) == ("not_known", None, [])


def test_a_role_that_cannot_register_people_is_403(personas, api_client_for, nothing_written):
    response = post(api_client_for(personas.netadmin), {"given_name": "Ann", "family_name": "Lee"})

    assert response.status_code == 403
    assert response.json() == {"detail": "the Network administrator role cannot register people"}


def test_someone_with_no_membership_cannot_register(personas, api_client_for, nothing_written):
    loner = f.UserFactory(username="loner")

    response = post(api_client_for(loner), {"given_name": "Ann", "family_name": "Lee"})

    assert response.status_code == 403


def _years_ago(years: int, *, days: int = 0) -> str:
    today = timezone.localdate()
    return (today.replace(year=today.year - years) - dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        (
            {"date_of_birth": (timezone.localdate() + dt.timedelta(days=1)).isoformat()},
            "date_of_birth",
            "Date of birth must be today or in the past",
        ),
        (
            {"date_of_birth": _years_ago(120, days=1)},
            "date_of_birth",
            "Date of birth must be less than 120 years ago",
        ),
        ({"phone": "not a phone"}, "phone", "Enter a phone number"),
        ({"phone": "0123"}, "phone", "Enter a real phone number"),
        ({"email": "not an email"}, "email", "Enter a valid email address."),
        ({"sex": "robot"}, "sex", "Choose one of"),
        ({"preferred_languages": ["klingon"]}, "preferred_languages", "Unknown language code"),
        ({"population_groups": ["pirates"]}, "population_groups", "Unknown population group"),
        ({"given_name": "   "}, "given_name", "Enter a given name"),
        (
            {"identifiers": [{"type": "nhs_number", "value": "1234567890"}]},
            "identifiers",
            "Enter a valid NHS number",
        ),
        (
            {"identifiers": [{"type": "shoe_size", "value": "9"}]},
            "identifiers",
            "Unknown identifier type",
        ),
    ],
)
def test_service_refusals_are_422_by_field(keyworker_api, nothing_written, extra, field, message):
    response = post(keyworker_api, {"given_name": "Ann", "family_name": "Lee", **extra})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", field]
    assert error["msg"].startswith(message)
    assert error["type"]


def test_an_area_of_another_network_is_refused(keyworker_api, nothing_written):
    elsewhere = f.AreaFactory()

    response = post(
        keyworker_api, {"given_name": "Ann", "family_name": "Lee", "area_id": elsewhere.pk}
    )

    assert response.status_code == 422
    assert error_locs(response) == [["body", "area_id"]]


def test_an_identifier_already_on_another_person_is_refused(personas, evans, keyworker_api):
    f.IdentifierFactory(person=evans, type="nhs_number", value="9434765919")
    people, identifiers = Person.objects.count(), Identifier.objects.count()

    response = post(
        keyworker_api,
        {
            "given_name": "Ann",
            "family_name": "Lee",
            "identifiers": [
                {"type": "local_authority", "value": "LA-1"},  # fine on its own
                {"type": "nhs_number", "value": VALID_NHS_NUMBER},
            ],
        },
    )

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "identifiers"]
    assert "already belongs to another person" in error["msg"]
    # All or nothing: not the person, nor the identifier that was fine.
    assert (Person.objects.count(), Identifier.objects.count()) == (people, identifiers)


def test_every_problem_is_reported_at_once(keyworker_api, nothing_written):
    response = post(
        keyworker_api,
        {
            "given_name": "Ann",
            "family_name": "",
            "phone": "not a phone",
            "date_of_birth": "2999-01-01",
        },
    )

    assert response.status_code == 422
    assert sorted(error_locs(response)) == [
        ["body", "date_of_birth"],
        ["body", "family_name"],
        ["body", "phone"],
    ]


@pytest.mark.parametrize(
    ("extra", "loc", "error_type"),
    [
        ({"date_of_birth": "yesterday"}, ["body", "date_of_birth"], "date_format"),
        ({"date_of_birth": "03/04/1980"}, ["body", "date_of_birth"], "date_format"),
        ({"date_of_birth": "1980-02-30"}, ["body", "date_of_birth"], "date_from_datetime_parsing"),
        ({"date_of_birth": 1700000000}, ["body", "date_of_birth"], "date_format"),
        ({"date_of_birth": "1980-04-03T00:00:00"}, ["body", "date_of_birth"], "date_format"),
        ({"given_name": 42}, ["body", "given_name"], "string_type"),
        ({"given_name": None}, ["body", "given_name"], "string_type"),
        ({"given_name": ["Ann"]}, ["body", "given_name"], "string_type"),
        ({"given_name": "A" * 101}, ["body", "given_name"], "string_too_long"),
        ({"town": "Ponty\x00pridd"}, ["body", "town"], "string_nul"),
        ({"interpreter_needed": "yes"}, ["body", "interpreter_needed"], "bool_type"),
        ({"interpreter_needed": 1}, ["body", "interpreter_needed"], "bool_type"),
        ({"area_id": "5"}, ["body", "area_id"], "int_type"),
        ({"area_id": 2**64}, ["body", "area_id"], "less_than_equal"),
        ({"previous_names": "Ann Jones"}, ["body", "previous_names"], "list_type"),
        ({"previous_names": [7]}, ["body", "previous_names", 0], "string_type"),
        ({"identifiers": [{"type": "nhs_number"}]}, ["body", "identifiers", 0, "value"], "missing"),
        ({"nickname": "Annie"}, ["body", "nickname"], "extra_forbidden"),
        (
            {"identifiers": [{"type": "other", "value": "1", "colour": "red"}]},
            ["body", "identifiers", 0, "colour"],
            "extra_forbidden",
        ),
    ],
)
def test_wrong_types_and_unknown_fields_are_422(
    keyworker_api, nothing_written, extra, loc, error_type
):
    response = post(keyworker_api, {"given_name": "Ann", "family_name": "Lee", **extra})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error == {"loc": loc, "msg": error["msg"], "type": error_type}


def test_missing_required_fields(keyworker_api, nothing_written):
    response = post(keyworker_api, {"given_name": "Ann"})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "family_name"], "msg": "Field required", "type": "missing"}
    ]


@pytest.mark.parametrize("body", ["", "[]", '"Ann Lee"', "null", "42"])
def test_a_body_that_is_not_an_object_is_422(keyworker_api, nothing_written, body):
    response = keyworker_api.post("/api/v1/people", data=body, content_type="application/json")

    assert response.status_code == 422
    assert error_locs(response) == [["body"]]


@pytest.mark.parametrize("body", ["{", "{'given_name': 'Ann'}", "given_name=Ann", "\xff"])
def test_malformed_json_is_400(keyworker_api, nothing_written, body):
    response = keyworker_api.post("/api/v1/people", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body"}


@pytest.mark.parametrize("field", ["given_name", "town"])
def test_an_oversized_body_is_413_not_500(keyworker_api, nothing_written, settings, field):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000

    response = post(keyworker_api, {"given_name": "Ann", "family_name": "Lee", field: "x" * 2_000})

    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large"}


def test_the_body_schemas_cover_every_editable_field():
    # PersonDetails is the contract shared with the form and the seed: a field added there
    # must be accepted by POST and PATCH and returned by GET.
    editable = {field.name for field in dataclasses.fields(PersonDetails)}

    assert set(PersonPatchIn.model_fields) == editable
    assert set(PersonCreateIn.model_fields) == editable | {"identifiers"}
    assert editable <= set(PersonOut.model_fields)


# --- PATCH -----------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(personas, evans, keyworker_api):
    response = patch(
        keyworker_api,
        evans,
        {
            "phone": "029 2018 0123",
            "population_groups": ["refugee", "homeless"],
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["phone"] == "+442920180123"
    assert body["population_groups"] == ["homeless", "refugee"]
    assert (body["given_name"], body["town"], body["date_of_birth"]) == (
        "Siân",
        "Pontypridd",
        "1980-04-03",
    )
    evans.refresh_from_db()
    assert evans.phone == "+442920180123"
    event = AuditEvent.objects.get(action="person.update", person_id=evans.pk)
    assert event.via == "api"
    assert set(event.changes) == {"phone", "population_groups"}


def test_patch_clears_with_null_and_empty_string(evans, keyworker_api):
    response = patch(keyworker_api, evans, {"date_of_birth": None, "town": ""})

    assert response.status_code == 200
    evans.refresh_from_db()
    assert (evans.date_of_birth, evans.town) == (None, "")


def test_an_empty_patch_changes_nothing(evans, keyworker_api):
    response = patch(keyworker_api, evans, {})

    assert response.status_code == 200
    assert response.json()["given_name"] == "Siân"
    assert not AuditEvent.objects.filter(action="person.update").exists()


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"date_of_birth": "2999-01-01"}, ["body", "date_of_birth"]),
        ({"phone": "not a phone"}, ["body", "phone"]),
        ({"date_of_birth": "yesterday"}, ["body", "date_of_birth"]),
        ({"given_name": 42}, ["body", "given_name"]),
        ({"given_name": None}, ["body", "given_name"]),
        ({"family_name": ""}, ["body", "family_name"]),
        ({"nickname": "Annie"}, ["body", "nickname"]),
        # Identifiers have their own lifecycle; PATCH edits details only.
        ({"identifiers": []}, ["body", "identifiers"]),
    ],
)
def test_a_refused_patch_leaves_the_record_as_it_was(evans, keyworker_api, body, loc):
    before = Person.objects.filter(pk=evans.pk).values().get()

    response = patch(keyworker_api, evans, {"town": "Cardiff", **body})

    assert response.status_code == 422
    assert error_locs(response) == [loc]
    assert Person.objects.filter(pk=evans.pk).values().get() == before


def test_patch_with_malformed_json_is_400(evans, keyworker_api):
    response = keyworker_api.patch(
        f"/api/v1/people/{evans.pk}", data="{", content_type="application/json"
    )

    assert response.status_code == 400


def test_patch_of_someone_the_caller_cannot_see_is_404(personas, evans, api_client_for):
    response = patch(api_client_for(personas.outsider), evans, {"town": "Cardiff"})

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}
    evans.refresh_from_db()
    assert evans.town == "Pontypridd"


def test_patch_by_a_role_that_may_see_but_not_edit_is_403(personas, evans, api_client_for):
    response = patch(api_client_for(personas.netadmin), evans, {"town": "Cardiff"})

    assert response.status_code == 403
    assert "cannot edit" in response.json()["detail"]
    evans.refresh_from_db()
    assert evans.town == "Pontypridd"


def test_error_bodies_are_json_with_the_documented_shape(keyworker_api):
    response = keyworker_api.post(
        "/api/v1/people", data=json.dumps({"given_name": 42}), content_type="application/json"
    )

    assert response["Content-Type"].startswith("application/json")
    for error in response.json()["detail"]:
        assert set(error) == {"loc", "msg", "type"}
        assert error["loc"][0] == "body"
