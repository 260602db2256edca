"""The anonymous check: only the questions the rules need, one per page, answers kept in the
session (nothing stored), results with reasons and what would settle a maybe."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from wraparound.portal.check import ANSWERS_KEY, check_questions


def _answer(client: Client, slug: str, data: dict) -> object:
    return client.post(reverse("portal:check_question", args=[slug]), data)


def test_only_the_questions_the_rules_read_are_asked(setup):
    slugs = [q.slug for q in check_questions(setup.personas.network)]
    # The rules read income, household size, needs, age, caring and disability.
    assert slugs == ["age", "household", "disabled", "carer", "household_income", "needs"]


def test_a_whole_check_without_an_account(setup):
    client = Client()
    start = client.get(reverse("portal:check"))
    assert start.status_code == 200
    assert "6 short questions" in start.content.decode()
    response = _answer(client, "age", {"age": "19"})
    assert response.url == reverse("portal:check_question", args=["household"])
    _answer(client, "household", {"adults": "1", "children": "0", "over_65": "0"})
    _answer(client, "disabled", {"disabled": "no"})
    _answer(client, "carer", {"carer": "rather_not_say"})
    _answer(client, "household_income", {"household_income": "800"})
    last = _answer(client, "needs", {"needs": ["food-insecurity"]})
    assert last.url == reverse("portal:check_answers")
    answers = client.get(reverse("portal:check_answers")).content.decode()
    assert "19" in answers and "Food insecurity" in answers
    page = client.get(reverse("portal:check_results"))
    html = page.content.decode()
    likely = html.split("Likely to get")[1].split("Maybe")[0]
    assert "Food bank" in likely and "Youth hub" in likely and "Advice line" in likely
    maybe = html.split("Maybe:")[1].split("Not likely to get")[0]
    # Not a carer? they would rather not say; not disabled: caring settles it.
    assert "Carers support" in maybe and "caring responsibilities" in maybe


def test_not_eligible_comes_with_the_reason(setup):
    client = Client()
    _answer(client, "age", {"age": "40"})
    html = client.get(reverse("portal:check_results")).content.decode()
    not_likely = html.split("Not likely to get")[1]
    assert "Youth hub" in not_likely
    assert "age 40" in not_likely


def test_answers_stay_in_the_session_only(setup, django_assert_max_num_queries):
    from wraparound.audit.models import AuditEvent

    client = Client()
    before = AuditEvent.objects.count()
    _answer(client, "age", {"age": "30"})
    assert client.session[ANSWERS_KEY]["age"] == 30
    assert AuditEvent.objects.count() == before  # nothing personal was recorded
    client.post(reverse("portal:check_clear"))
    assert ANSWERS_KEY not in client.session


def test_wrong_type_keeps_what_was_typed_and_says_why(setup):
    client = Client()
    response = _answer(client, "age", {"age": "thirty"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter your age as a whole number, like 34" in html
    assert 'value="thirty"' in html
    assert "govuk-error-summary" in html
    money = _answer(client, "household_income", {"household_income": "12,5x"})
    assert "Enter an amount of money in pounds" in money.content.decode()


def test_a_question_no_rule_needs_is_not_found(setup):
    assert Client().get(reverse("portal:check_question", args=["sex"])).status_code == 404


def test_back_link_goes_to_the_previous_question(setup):
    html = Client().get(reverse("portal:check_question", args=["household"])).content.decode()
    assert reverse("portal:check_question", args=["age"]) in html


def test_welsh_from_the_browser(setup):
    client = Client(HTTP_ACCEPT_LANGUAGE="cy")
    html = client.get(reverse("portal:check")).content.decode()
    assert 'lang="cy"' in html
    assert "Gwiriwch" in html  # "Check what you could get"
