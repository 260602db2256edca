"""Sending the survey, answering it, the case hooks, the analytics rows and the demo."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests import factories as f
from tests.satisfaction.conftest import TOKEN
from tests.satisfaction.factories import invitation_with_token
from wraparound.analytics.schema import TABLES_BY_NAME
from wraparound.audit.models import AuditEvent
from wraparound.cases.services import case_close, case_step_down
from wraparound.notifications.models import Notification
from wraparound.satisfaction.demo import seed_satisfaction
from wraparound.satisfaction.models import SurveyChannel, SurveyInvitation, SurveyTrigger
from wraparound.satisfaction.selectors import analytics_rows
from wraparound.satisfaction.services import (
    SurveyError,
    survey_answer,
    survey_record_by_worker,
    survey_send,
    token_digest,
)

LINK = re.compile(r"/survey/([A-Za-z0-9_-]+)/")


def test_send_is_idempotent(case, keyworker_actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = survey_send(case=case, trigger=SurveyTrigger.STEP_DOWN, actor=keyworker_actor)
        again = survey_send(case=case, trigger=SurveyTrigger.STEP_DOWN, actor=keyworker_actor)
    assert first is not None and again is None
    assert SurveyInvitation.objects.filter(case=case).count() == 1
    assert first.sent_by == keyworker_actor.user
    assert first.organisation == case.lead_organisation
    assert first.expires_at - first.sent_at == dt.timedelta(days=30)
    # The other moment of the same case is a survey of its own.
    assert survey_send(case=case, trigger=SurveyTrigger.CLOSURE) is not None
    assert AuditEvent.objects.filter(action="survey.send", person_id=case.person_id).count() == 2


def test_with_a_portal_account_the_person_gets_a_link_and_nothing_else(
    case, account, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = survey_send(case=case, trigger=SurveyTrigger.STEP_DOWN)
    assert invitation is not None and invitation.channel == SurveyChannel.PORTAL
    [mail] = mailoutbox
    assert mail.to == ["rhys@example.org"]
    token = LINK.search(mail.body).group(1)  # type: ignore[union-attr]
    assert token_digest(token) == invitation.token_hash
    assert token not in invitation.token_hash
    for private in ("Rhys", "Morgan", case.lead_organisation.name, case.reference):
        assert private not in mail.body and private not in mail.subject
    assert not Notification.objects.filter(kind="survey.due").exists()


def test_the_email_is_in_the_accounts_language(
    case, account, mailoutbox, django_capture_on_commit_callbacks
):
    account.language = "cy"
    account.save()
    with django_capture_on_commit_callbacks(execute=True):
        survey_send(case=case, trigger=SurveyTrigger.CLOSURE)
    assert mailoutbox[0].subject == "Sut oedd y cymorth a gawsoch chi?"
    assert "Atebwch y cwestiynau" in mailoutbox[0].body


def test_without_an_account_the_key_worker_is_asked_to_put_it_in_person(
    personas, case, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = survey_send(case=case, trigger=SurveyTrigger.STEP_DOWN)
    assert invitation is not None and invitation.channel == SurveyChannel.WORKER
    [note] = Notification.objects.filter(kind="survey.due")
    assert note.recipient == personas.keyworker
    assert note.url == f"/survey/case/{case.pk}/step_down/"
    assert "Rhys" not in note.subject + note.body
    assert all("/survey/" not in m.body or "/survey/case/" in m.body for m in mailoutbox)


def test_no_survey_after_a_death_or_for_an_old_backdated_step_down(personas, person):
    died = f.CaseFactory(
        person=person,
        lead_organisation=personas.one_stop,
        status="closed",
        closed_on=timezone.localdate(),
        closure_reason="died",
    )
    assert survey_send(case=died, trigger=SurveyTrigger.CLOSURE) is None
    old = f.CaseFactory(
        person=person,
        lead_organisation=personas.partner_org,
        status="stepped_down",
        opened_on=timezone.localdate() - dt.timedelta(days=400),
        stepped_down_on=timezone.localdate() - dt.timedelta(days=200),
    )
    assert survey_send(case=old, trigger=SurveyTrigger.STEP_DOWN) is None
    assert not SurveyInvitation.objects.exists()


def test_answering_stores_the_answers_once(invitation):
    answered = survey_answer(token=TOKEN, answers={"overall": 4, "told_story_once": 2})
    assert answered.answered_at is not None
    assert answered.answers() == {
        "told_story_once": 2,
        "knew_who_to_contact": None,
        "agencies_talked": None,
        "overall": 4,
    }
    assert AuditEvent.objects.filter(action="survey.answer", person_id=invitation.person_id)
    with pytest.raises(SurveyError) as error:
        survey_answer(token=TOKEN, answers={"overall": 1})
    assert error.value.code == SurveyError.ANSWERED
    invitation.refresh_from_db()
    assert invitation.overall == 4


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({}, "overall"),
        ({"told_story_once": 3}, "overall"),
        ({"overall": 0}, "overall"),
        ({"overall": 6}, "overall"),
        ({"overall": True}, "overall"),
        ({"overall": "5"}, "overall"),
        ({"overall": 3, "agencies_talked": 9}, "agencies_talked"),
        ({"overall": 3, "favourite_colour": 2}, "favourite_colour"),
    ],
)
def test_bad_answers_are_refused_by_question(invitation, answers, field):
    with pytest.raises(ValidationError) as error:
        survey_answer(token=TOKEN, answers=answers)
    assert not isinstance(error.value, SurveyError)
    assert field in error.value.message_dict
    invitation.refresh_from_db()
    assert invitation.answered_at is None


def test_unknown_and_expired_links_are_refused(invitation):
    with pytest.raises(SurveyError) as error:
        survey_answer(token="not-a-token", answers={"overall": 3})
    assert error.value.code == SurveyError.UNKNOWN
    invitation.expires_at = timezone.now() - dt.timedelta(minutes=1)
    invitation.save()
    with pytest.raises(SurveyError) as error:
        survey_answer(token=TOKEN, answers={"overall": 3})
    assert error.value.code == SurveyError.EXPIRED


def test_a_worker_records_answers_for_a_case_of_their_organisation(
    personas, keyworker_actor, invitation
):
    survey_record_by_worker(actor=keyworker_actor, invitation=invitation, answers={"overall": 5})
    invitation.refresh_from_db()
    assert invitation.overall == 5
    recorded = AuditEvent.objects.filter(action="survey.record_in_person")
    assert recorded.filter(actor_user=personas.keyworker).exists()
    with pytest.raises(SurveyError):
        survey_record_by_worker(
            actor=keyworker_actor, invitation=invitation, answers={"overall": 1}
        )


def test_a_worker_of_another_organisation_cannot_record(personas, invitation):
    with pytest.raises(PermissionDenied):
        survey_record_by_worker(
            actor=personas.actor(personas.partner), invitation=invitation, answers={"overall": 5}
        )


def test_stepping_down_sends_the_survey_on_commit(
    case, keyworker_actor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case_step_down(actor=keyworker_actor, case=case)
        assert not SurveyInvitation.objects.exists()  # not before the commit
    assert callbacks
    invitation = SurveyInvitation.objects.get(case=case)
    assert invitation.trigger == SurveyTrigger.STEP_DOWN
    assert invitation.sent_by == keyworker_actor.user


def test_closing_sends_the_closure_survey_on_commit(
    case, keyworker_actor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case_step_down(actor=keyworker_actor, case=case)
        case_close(actor=keyworker_actor, case=case, reason="moved_away")
    assert set(SurveyInvitation.objects.filter(case=case).values_list("trigger", flat=True)) == {
        SurveyTrigger.STEP_DOWN,
        SurveyTrigger.CLOSURE,
    }


def test_analytics_rows_follow_the_schema(personas, case):
    table = TABLES_BY_NAME["satisfaction"]
    answered = invitation_with_token(case, "t1")
    survey_answer(
        token="t1",
        answers={
            "overall": 4,
            "told_story_once": 5,
            "knew_who_to_contact": 3,
            "agencies_talked": 2,
        },
    )
    invitation_with_token(case, "t2", trigger=SurveyTrigger.CLOSURE)
    other_network = f.CaseFactory()
    invitation_with_token(other_network, "t3")

    rows = list(analytics_rows(personas.network.pk, lambda pid: f"key-{pid}"))
    assert len(rows) == 2
    python_types = {"VARCHAR": str, "INTEGER": int, "SMALLINT": int, "DATE": dt.date}
    for row in rows:
        assert len(row) == len(table.columns)
        for value, column in zip(row, table.columns, strict=True):
            assert value is None or type(value) is python_types[column.type], column.name
    first = dict(zip(table.column_names, rows[0], strict=True))
    answered.refresh_from_db()
    assert first == {
        "person_key": f"key-{case.person_id}",
        "organisation_id": case.lead_organisation_id,
        "trigger": "step_down",
        "sent_on": timezone.localdate(answered.sent_at),
        "answered_on": timezone.localdate(answered.answered_at),
        "told_story_once": 5,
        "knew_who_to_contact": 3,
        "agencies_talked": 2,
        "overall": 4,
    }
    unanswered = dict(zip(table.column_names, rows[1], strict=True))
    assert unanswered["answered_on"] is None and unanswered["overall"] is None
    assert len(list(analytics_rows(None, str))) == 3


def test_the_demo_surveys_stepped_down_and_closed_cases(personas, person, case):
    today = timezone.localdate()
    case.status, case.stepped_down_on = "stepped_down", today - dt.timedelta(days=40)
    case.save()
    closed = f.CaseFactory(
        person=person,
        lead_organisation=personas.partner_org,
        status="closed",
        opened_on=today - dt.timedelta(days=300),
        closed_on=today - dt.timedelta(days=100),
        closure_reason="goals_met",
    )
    f.CaseFactory(person=person, lead_organisation=personas.outsider_org)  # open: no survey
    counts = seed_satisfaction(network=personas.network, rng=random.Random(7))
    assert counts["surveys_sent"] == 2
    sent = {i.case_id: i for i in SurveyInvitation.objects.all()}
    assert set(sent) == {case.pk, closed.pk}
    assert timezone.localdate(sent[case.pk].sent_at) == case.stepped_down_on
    assert sent[closed.pk].trigger == SurveyTrigger.CLOSURE
    for invitation in sent.values():
        if invitation.answered_at is not None:
            assert 1 <= invitation.overall <= 5
