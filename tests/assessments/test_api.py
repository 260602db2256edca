"""GET /instruments, POST and GET /people/{id}/assessments: shapes, 422s naming the question,
404 for people the caller may not see, nothing saved on bad input."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.api.clients import ApiClientFor, bearer_client
from tests.assessments.factories import HRSN, SSM, hrsn_answers, ssm_answers
from wraparound.accounts.actor import Actor
from wraparound.accounts.services import api_token_create
from wraparound.assessments.models import Assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_client_for(db: None) -> ApiClientFor:
    def make(user):
        _, raw = api_token_create(actor=Actor.system("test"), user=user)
        return bearer_client(raw)

    return make


@pytest.fixture
def keyworker_api(personas, api_client_for: ApiClientFor):
    return api_client_for(personas.keyworker)


def post(client, person_id, body):
    return client.post(
        f"/api/v1/people/{person_id}/assessments", data=body, content_type="application/json"
    )


def test_instruments(keyworker_api, instruments):
    response = keyworker_api.get("/api/v1/instruments")
    assert response.status_code == 200
    by_code = {i["code"]: i for i in response.json()}
    assert set(by_code) == {SSM, HRSN}
    ssm = by_code[SSM]
    assert ssm["version"] == 1 and ssm["kind"] == "matrix"
    housing = next(q for q in ssm["questions"] if q["code"] == "housing")
    assert [(o["value"], o["score"]) for o in housing["options"]] == [(i, i) for i in range(1, 6)]
    assert housing["need_category"] == "housing-instability"
    hrsn = by_code[HRSN]
    food = next(q for q in hrsn["questions"] if q["code"] == "food_worry")
    assert food["loinc"] == "88122-7"
    assert {"value": "often", "score": 2, "label": "Often true", "loinc": "LA28397-0"} in food[
        "options"
    ]
    assert ssm["no_answer_values"] == ["declined", "dont_know"]


def test_instruments_need_a_token(client, instruments):
    assert client.get("/api/v1/instruments").status_code == 401


def test_post_assessment(keyworker_api, client_person):
    response = post(
        keyworker_api,
        client_person.pk,
        {"instrument": SSM, "answers": ssm_answers(housing=1, food=2, legal="dont_know")},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["instrument"] == SSM and body["version"] == 1
    assert body["tier"] == "intensive"
    assert body["tier_reason"] == "housing scored 1 (in crisis) → intensive"
    assert body["scores"]["housing"] == 1 and body["scores"]["legal"] is None
    assert body["answers"]["legal"] == "dont_know"
    assert [n["category"] for n in body["needs"]] == ["housing-instability", "food-insecurity"]
    assert [n["position"] for n in body["needs"]] == [1, 2]
    assert body["needs"][0]["severity"] == "crisis"
    assert body["needs"][0]["priority_class"] == "priority"
    assert body["positives"] == []


def test_post_screen_reports_positives(keyworker_api, client_person):
    response = post(
        keyworker_api,
        client_person.pk,
        {"instrument": HRSN, "answers": hrsn_answers(food_last="sometimes", utilities="yes")},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body["positives"]) == {"food_insecurity", "utilities"}
    assert {n["category"] for n in body["needs"]} == {"food-insecurity", "utility-insecurity"}


@pytest.mark.parametrize(
    ("answers", "loc", "text"),
    [
        ({**ssm_answers(), "hat_size": 3}, ["body", "answers", "hat_size"], "not a question"),
        ({**ssm_answers(), "housing": 6}, ["body", "answers", "housing"], "not one of the options"),
        (ssm_answers(income=None), ["body", "answers", "income"], "answer this question"),
        ({**ssm_answers(), "housing": {"x": 1}}, ["body", "answers", "housing"], ""),
    ],
)
def test_bad_answers_are_422_naming_the_question(keyworker_api, client_person, answers, loc, text):
    response = post(keyworker_api, client_person.pk, {"instrument": SSM, "answers": answers})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["loc"][: len(loc)] == loc and text in e["msg"] for e in errors), errors
    assert not Assessment.objects.exists()


def test_unknown_instrument_is_422(keyworker_api, client_person):
    response = post(keyworker_api, client_person.pk, {"instrument": "astrology", "answers": {}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "instrument"]


def test_answers_for_another_version_are_422(keyworker_api, client_person):
    body = {"instrument": SSM, "version": 2, "answers": ssm_answers()}
    response = post(keyworker_api, client_person.pk, body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "version"]
    assert "is at version 1, not 2" in error["msg"]
    assert not Assessment.objects.exists()
    body["version"] = 1
    assert post(keyworker_api, client_person.pk, body).status_code == 201


def test_people_the_caller_may_not_see_are_404(personas, api_client_for, client_person):
    outsider = api_client_for(personas.outsider)
    response = post(outsider, client_person.pk, {"instrument": SSM, "answers": ssm_answers()})
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}
    assert outsider.get(f"/api/v1/people/{client_person.pk}/assessments").status_code == 404
    assert not Assessment.objects.exists()


def test_visible_but_not_editable_is_403(personas, api_client_for, client_person):
    # The network administrator's organisation leads the case but the role does not edit.
    response = post(
        api_client_for(personas.netadmin),
        client_person.pk,
        {"instrument": SSM, "answers": ssm_answers()},
    )
    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_list_assessments_newest_first(keyworker_api, client_person):
    post(keyworker_api, client_person.pk, {"instrument": SSM, "answers": ssm_answers(food=2)})
    post(keyworker_api, client_person.pk, {"instrument": HRSN, "answers": hrsn_answers()})
    response = keyworker_api.get(f"/api/v1/people/{client_person.pk}/assessments")
    assert response.status_code == 200
    body = response.json()
    assert [a["instrument"] for a in body] == [HRSN, SSM]
    assert body[1]["needs"][0]["category"] == "food-insecurity"


def test_someone_else_in_the_network_without_assessments(keyworker_api, personas, instruments):
    person = f.PersonFactory(network=personas.network)
    f.CaseFactory(person=person, lead_organisation=personas.one_stop)
    response = keyworker_api.get(f"/api/v1/people/{person.pk}/assessments")
    assert response.status_code == 200 and response.json() == []
