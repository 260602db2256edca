"""The public survey page (no sign-in), its languages, and the worker's page."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.satisfaction.conftest import TOKEN
from wraparound.satisfaction.models import SurveyInvitation

URL = f"/survey/{TOKEN}/"


def test_the_page_asks_four_questions_with_words(invitation):
    response = Client().get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "I only had to tell my story once" in html
    assert "Overall, how satisfied are you with the support?" in html
    assert "Strongly disagree" in html and "Very satisfied" in html
    assert html.count('type="radio"') == 20
    assert "Rhys" not in html and "Morgan" not in html  # nothing about the person
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_answering_on_the_page(invitation):
    response = Client().post(
        URL, {"told_story_once": "4", "knew_who_to_contact": "5", "overall": "4"}
    )
    assert response.status_code == 302
    assert response.url == reverse("satisfaction:thanks")
    invitation.refresh_from_db()
    assert (invitation.told_story_once, invitation.knew_who_to_contact) == (4, 5)
    assert invitation.agencies_talked is None and invitation.overall == 4
    assert "Thank you for your answers" in Client().get(response.url).content.decode()


def test_without_overall_the_error_is_shown_and_the_answers_kept(invitation):
    response = Client().post(URL, {"told_story_once": "2", "agencies_talked": "5"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Select how satisfied you are with the support overall" in html
    assert 'href="#id_overall_0"' in html
    assert html.count("checked") == 2
    assert 'name="told_story_once" type="radio" value="2" checked' in html
    assert 'name="agencies_talked" type="radio" value="5" checked' in html
    assert "<title>Error:" in html
    invitation.refresh_from_db()
    assert invitation.answered_at is None


def test_an_answer_out_of_range_is_refused(invitation):
    response = Client().post(URL, {"overall": "7"})
    assert response.status_code == 200
    assert "from very dissatisfied to very satisfied" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.answered_at is None


def test_a_used_link_is_gone(invitation):
    client = Client()
    client.post(URL, {"overall": "3"})
    for response in (client.get(URL), client.post(URL, {"overall": "1"})):
        assert response.status_code == 410
        assert "You have already answered this survey" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.overall == 3


def test_an_expired_link_is_gone(invitation):
    invitation.expires_at = timezone.now() - dt.timedelta(seconds=1)
    invitation.save()
    response = Client().get(URL)
    assert response.status_code == 410
    assert "This survey has closed" in response.content.decode()
    assert Client().post(URL, {"overall": "3"}).status_code == 410


def test_an_unknown_link_is_not_found(db):
    response = Client().get("/survey/no-such-token/")
    assert response.status_code == 404
    assert "Survey not found" in response.content.decode()


def test_the_page_in_welsh(invitation):
    html = Client(HTTP_ACCEPT_LANGUAGE="cy").get(URL).content.decode()
    assert 'lang="cy"' in html
    for words in (
        "Sut oedd y cymorth a gawsoch chi?",
        "Roeddwn i&#x27;n gwybod â phwy i gysylltu",
        "Yn gyffredinol, pa mor fodlon ydych chi â&#x27;r cymorth?",
        "Anfodlon iawn",
        "Anfon fy atebion",
    ):
        assert words in html
    html = Client(HTTP_ACCEPT_LANGUAGE="cy").post(URL, {}).content.decode()
    assert "Dewiswch pa mor fodlon ydych chi â&#x27;r cymorth yn gyffredinol" in html
    assert "Gwall:" in html


def test_the_page_in_french(invitation):
    html = Client(HTTP_ACCEPT_LANGUAGE="fr").get(URL).content.decode()
    assert "est passé votre accompagnement ?" in html
    assert "Tout à fait d&#x27;accord" in html


def test_the_language_switcher_comes_back_to_the_survey(invitation):
    client = Client()
    response = client.get(reverse("portal:language", args=["fr"]) + f"?next={URL}")
    assert response.url == URL
    assert "Envoyer mes réponses" in client.get(URL).content.decode()


def _record_url(case, trigger="step_down"):  # type: ignore[no-untyped-def]
    return reverse("satisfaction:record", args=[case.pk, trigger])


def test_a_worker_records_answers_given_in_person(personas, case, invitation):
    client = personas.client(personas.keyworker)
    page = client.get(_record_url(case), HTTP_ACCEPT_LANGUAGE="cy")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Record survey answers" in html and "Rhys Morgan" in html
    assert "I knew who to contact" in html  # staff pages stay in English
    response = client.post(_record_url(case), {"overall": "5", "agencies_talked": "4"})
    assert response.status_code == 302
    assert response.url == reverse("cases:detail", args=[case.pk])
    invitation.refresh_from_db()
    assert (invitation.overall, invitation.agencies_talked) == (5, 4)
    again = client.get(_record_url(case)).content.decode()
    assert "was answered on" in again and 'type="radio"' not in again


def test_the_worker_page_shows_errors(personas, case, invitation):
    response = personas.client(personas.keyworker).post(_record_url(case), {})
    assert response.status_code == 200
    assert "Select how satisfied you are with the support overall" in response.content.decode()


def test_the_worker_page_is_not_found_for_anybody_else(personas, case, invitation):
    for user in (personas.partner, personas.outsider, personas.netadmin):
        client = personas.client(user)
        assert client.get(_record_url(case)).status_code == 404
        assert client.post(_record_url(case), {"overall": "1"}).status_code == 404
    keyworker = personas.client(personas.keyworker)
    assert keyworker.get(_record_url(case, "closure")).status_code == 404  # none sent
    assert keyworker.get(_record_url(case, "nonsense")).status_code == 404
    missing = reverse("satisfaction:record", args=[999999, "step_down"])
    assert keyworker.get(missing).status_code == 404
    assert SurveyInvitation.objects.get().answered_at is None


def test_the_worker_page_needs_sign_in(case, invitation):
    response = Client().get(_record_url(case))
    assert response.status_code == 302
    assert "login" in response.url or "sign-in" in response.url


def test_the_case_page_lists_the_survey_and_links_to_the_answers(personas, case, invitation):
    page = personas.client(personas.keyworker).get(reverse("cases:detail", args=[case.pk]))
    html = page.content.decode()
    assert "Satisfaction survey" in html and "not answered yet" in html
    assert _record_url(case) in html
    invitation.answered_at = timezone.now()
    invitation.overall = 4
    invitation.save()
    html = personas.client(personas.keyworker).get(reverse("cases:detail", args=[case.pk]))
    assert "answered" in html.content.decode()
    assert _record_url(case) not in html.content.decode()
