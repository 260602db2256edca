"""Staff pages: start, capture one section per page with drafts saved and resumed, complete,
the read-only view with its comparison, the tier override, the managers' report and the
record page's link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.assessments.factories import HRSN, SSM, hrsn_answers, ssm_answers
from wraparound.assessments.models import Assessment, AssessmentStatus, TierOverride
from wraparound.assessments.services import assessment_submit

pytestmark = pytest.mark.django_db


def test_record_page_links_to_assessments_with_the_tier(keyworker_client, keyworker_actor,
                                                        client_person):  # fmt: skip
    page = keyworker_client.get(f"/people/{client_person.pk}/").content.decode()
    assert f'href="/assessments/people/{client_person.pk}/"' in page
    assert "not assessed yet" in page
    assessment_submit(
        actor=keyworker_actor, person=client_person, instrument=SSM, answers=ssm_answers(food=2)
    )
    page = keyworker_client.get(f"/people/{client_person.pk}/").content.decode()
    assert "<strong>Light touch</strong>" in page


def test_capture_with_drafts_then_complete(keyworker_client, client_person):
    page = keyworker_client.get(f"/assessments/people/{client_person.pk}/")
    assert page.status_code == 200
    assert "Start an assessment" in page.content.decode()
    response = keyworker_client.post(
        f"/assessments/people/{client_person.pk}/start/", {"instrument": SSM}
    )
    draft = Assessment.objects.get()
    assert response["Location"] == f"/assessments/{draft.pk}/edit/"
    url = f"/assessments/{draft.pk}/edit/"
    page = keyworker_client.get(url).content.decode()
    assert '<h1 class="govuk-heading-l">Home, money and food</h1>' in page
    assert "Declined to answer" in page and "Does not know" in page
    # A bad value is an error on the question; nothing saved.
    response = keyworker_client.post(url, {"section": "basic", "move": "next", "housing": "9"})
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    assert not draft.answers.exists()
    # Save and continue: the draft keeps the answers and where to resume.
    response = keyworker_client.post(
        url,
        {"section": "basic", "move": "next", "housing": "1", "income": "declined", "food": "3"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?section=health")
    response = keyworker_client.post(url, {"section": "health", "move": "leave"})
    assert response["Location"] == f"/assessments/people/{client_person.pk}/"
    listing = keyworker_client.get(response["Location"]).content.decode()
    assert "Carry on with Self-sufficiency matrix" in listing
    # Resuming opens the section left at, with the answers saved.
    page = keyworker_client.get(url).content.decode()
    assert "Health and wellbeing" in page
    basic = keyworker_client.get(f"{url}?section=basic").content.decode()
    assert 'value="declined" checked' in basic or 'value="declined"  checked' in basic
    # Completing from the last section with questions missing elsewhere: errors, still draft.
    response = keyworker_client.post(url, {"section": "skills", "move": "complete"})
    assert response.status_code == 200
    assert "answer this question" in response.content.decode()
    assert Assessment.objects.get().status == AssessmentStatus.DRAFT
    # A page posts all its questions (saved answers come pre-selected): one left blank is
    # cleared, so the basic page is posted whole.
    answers = ssm_answers(housing=1, income="declined", food=3)
    for section, codes in {
        "basic": ["housing", "income", "food", "employment"],
        "health": ["health_care", "mental_health", "substance_use"],
        "safety": ["safety", "legal"],
        "family": ["family_social"],
    }.items():
        data = {"section": section, "move": "next"} | {c: str(answers[c]) for c in codes}
        assert keyworker_client.post(url, data).status_code == 302
    data = {"section": "skills", "move": "complete"} | {
        c: str(answers[c]) for c in ["adult_education", "life_skills", "mobility", "community"]
    }
    response = keyworker_client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == f"/assessments/{draft.pk}/"
    done = Assessment.objects.get()
    assert done.status == AssessmentStatus.COMPLETED and done.tier == "intensive"
    page = keyworker_client.get(response["Location"]).content.decode()
    assert "housing scored 1 (in crisis) → intensive" in page
    assert "Declined to answer" in page
    # A completed assessment is not edited: the capture page sends to the read-only view.
    assert keyworker_client.get(url)["Location"] == f"/assessments/{draft.pk}/"


def test_detail_compares_with_the_previous_assessment(keyworker_client, keyworker_actor,
                                                      client_person):  # fmt: skip
    first = assessment_submit(
        actor=keyworker_actor, person=client_person, instrument=SSM,
        answers=ssm_answers(housing=1, food=4),
    )  # fmt: skip
    Assessment.objects.filter(pk=first.pk).update(
        completed_at=timezone.now() - dt.timedelta(days=60)
    )
    second = assessment_submit(
        actor=keyworker_actor, person=client_person, instrument=SSM,
        answers=ssm_answers(housing=3, food=2),
    )  # fmt: skip
    page = keyworker_client.get(f"/assessments/{second.pk}/").content.decode()
    assert 'id="comparison"' in page
    assert "↑</span> improved from 1 to 3" in page
    assert "↓</span> worsened from 4 to 2" in page
    assert "Needs, in the order to meet them" in page


def test_others_get_404(personas, keyworker_actor, client_person):
    assessment = assessment_submit(
        actor=keyworker_actor, person=client_person, instrument=SSM, answers=ssm_answers()
    )
    outsider = personas.client(personas.outsider)
    assert outsider.get(f"/assessments/{assessment.pk}/").status_code == 404
    assert outsider.get(f"/assessments/people/{client_person.pk}/").status_code == 404


def test_override_form_and_managers_report(personas, keyworker_client, keyworker_actor,
                                           client_person):  # fmt: skip
    assessment = assessment_submit(
        actor=keyworker_actor, person=client_person, instrument=SSM, answers=ssm_answers()
    )
    url = f"/assessments/{assessment.pk}/override/"
    response = keyworker_client.post(url, {"tier": "intensive", "reason": ""})
    assert response.status_code == 422
    assert "govuk-error-summary" in response.content.decode()
    assert not TierOverride.objects.exists()
    response = keyworker_client.post(url, {"tier": "intensive", "reason": "Recent eviction"})
    assert response.status_code == 302
    assert Assessment.objects.get().tier == "intensive"
    assert keyworker_client.get("/assessments/overrides/").status_code == 403
    report = personas.client(personas.manager).get("/assessments/overrides/")
    assert report.status_code == 200
    page = report.content.decode()
    assert "Recent eviction" in page and client_person.full_name in page


def test_screen_capture_with_a_multiple_choice_question(keyworker_client, keyworker_actor,
                                                         client_person):  # fmt: skip
    keyworker_client.post(f"/assessments/people/{client_person.pk}/start/", {"instrument": HRSN})
    draft = Assessment.objects.get()
    url = f"/assessments/{draft.pk}/edit/"
    page = keyworker_client.get(url).content.decode()
    assert 'type="checkbox"' in page and "LOINC 96778-6" in page
    response = keyworker_client.post(
        url,
        {
            "section": "living",
            "move": "next",
            "living_situation": "worried",
            "housing_quality": ["mould", "water_leaks"],
        },
    )
    assert response.status_code == 302
    saved = dict(draft.answers.values_list("question", "value"))
    assert saved == {"living_situation": "worried", "housing_quality": ["mould", "water_leaks"]}
    # "None of the above" with a problem ticked is refused, naming the question.
    response = keyworker_client.post(
        url, {"section": "living", "move": "next", "housing_quality": ["none", "mould"]}
    )
    assert response.status_code == 200
    assert "cannot be chosen with other options" in response.content.decode()
    done = assessment_submit(
        actor=keyworker_actor,
        person=client_person,
        instrument=HRSN,
        answers=hrsn_answers(housing_quality=["pests", "no_heat"]),
    )
    page = keyworker_client.get(f"/assessments/{done.pk}/").content.decode()
    assert "Pests such as bugs, ants or mice; Lack of heat" in page
    assert "housing quality: Pests such as bugs, ants or mice; Lack of heat" in page
