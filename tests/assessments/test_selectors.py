"""Reads: current tier and needs through the access policy, audited; the comparison; the
managers' overrides report; the caseload annotation in one query."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories as f
from tests.assessments.factories import SSM, AssessmentFactory, ssm_answers
from wraparound.assessments.models import Assessment, Tier
from wraparound.assessments.selectors import (
    AssessmentNotFound,
    assessment_get,
    compare_with_previous,
    current_assessment,
    current_needs,
    current_tier,
    latest_tier_subquery,
    overrides_for_manager,
)
from wraparound.assessments.services import assessment_start, assessment_submit, tier_override
from wraparound.audit.models import AuditEvent
from wraparound.cases.models import Case

pytestmark = pytest.mark.django_db


def submit(actor, person, **scores):
    return assessment_submit(
        actor=actor, person=person, instrument=SSM, answers=ssm_answers(**scores)
    )


def test_current_needs_and_tier_come_from_the_latest_assessment(keyworker_actor, client_person):
    assert current_needs(actor=keyworker_actor, person=client_person) == []
    assert current_tier(actor=keyworker_actor, person=client_person) is None
    submit(keyworker_actor, client_person, housing=1, food=2)
    latest = submit(keyworker_actor, client_person, food=2, income=2)
    needs = current_needs(actor=keyworker_actor, person=client_person)
    assert [n.category for n in needs] == ["food-insecurity", "financial-insecurity"]
    assert [n.position for n in needs] == [1, 2]
    assert current_tier(actor=keyworker_actor, person=client_person) == Tier.SUPPORTED
    assert current_assessment(actor=keyworker_actor, person=client_person) == latest
    actions = set(AuditEvent.objects.filter(kind="read").values_list("action", flat=True))
    assert {"assessment.needs.view", "assessment.tier.view"} <= actions


def test_others_see_nothing_and_drafts_do_not_count(personas, keyworker_actor, client_person):
    submit(keyworker_actor, client_person, housing=1)
    assessment_start(actor=keyworker_actor, person=client_person, instrument=SSM)
    outsider = personas.actor(personas.outsider)
    assert current_needs(actor=outsider, person=client_person) == []
    assert current_tier(actor=outsider, person=client_person) is None
    assert current_tier(actor=keyworker_actor, person=client_person) == Tier.INTENSIVE


def test_assessment_get_refuses_like_missing_and_audits(personas, keyworker_actor, client_person):
    done = submit(keyworker_actor, client_person)
    draft = assessment_start(actor=keyworker_actor, person=client_person, instrument=SSM)
    assert assessment_get(actor=keyworker_actor, assessment_id=done.pk) == done
    with pytest.raises(AssessmentNotFound):
        assessment_get(actor=personas.actor(personas.outsider), assessment_id=done.pk)
    with pytest.raises(AssessmentNotFound):
        assessment_get(actor=keyworker_actor, assessment_id=done.pk + 1000)
    denied = AuditEvent.objects.filter(decision="denied", action="assessment.view")
    assert denied.count() == 1
    assert draft.is_draft


def test_comparison_domain_by_domain(keyworker_actor, client_person):
    first = submit(keyworker_actor, client_person, housing=1, food=4, income="declined")
    Assessment.objects.filter(pk=first.pk).update(
        completed_at=timezone.now() - dt.timedelta(days=90)
    )
    second = submit(keyworker_actor, client_person, housing=3, food=2, income=3)
    comparison = compare_with_previous(assessment=second)
    assert comparison.previous == first
    changes = {c.domain: c for c in comparison.changes}
    assert (changes["housing"].direction, changes["housing"].arrow) == ("up", "↑")
    assert changes["housing"].description == "improved from 1 to 3"
    assert (changes["food"].direction, changes["food"].arrow) == ("down", "↓")
    assert changes["employment"].direction == "same"
    assert changes["income"].direction == ""  # declined before: not comparable
    first.refresh_from_db()
    assert compare_with_previous(assessment=first).previous is None


def test_overrides_report_for_managers_only(personas, keyworker_actor, client_person):
    assessment = submit(keyworker_actor, client_person)
    tier_override(
        actor=keyworker_actor, assessment=assessment, tier=Tier.INTENSIVE, reason="Known risk"
    )
    report = overrides_for_manager(actor=personas.actor(personas.manager))
    assert [(o.to_tier, o.reason) for o in report] == [(Tier.INTENSIVE, "Known risk")]
    assert overrides_for_manager(actor=keyworker_actor) == []
    assert AuditEvent.objects.filter(action="assessment.overrides.list").count() == 1


def test_latest_tier_annotation_is_one_query(personas, instruments):
    cases = []
    for i in range(6):
        person = f.PersonFactory(network=personas.network)
        cases.append(f.CaseFactory(person=person, lead_organisation=personas.one_stop))
        if i % 2 == 0:
            AssessmentFactory(
                person=person,
                organisation=personas.one_stop,
                tier=Tier.SUPPORTED,
                completed_at=timezone.now() - dt.timedelta(days=10),
            )
            AssessmentFactory(person=person, organisation=personas.one_stop, tier=Tier.INTENSIVE)
    with CaptureQueriesContext(connection) as queries:
        tiers = dict(
            Case.objects.filter(pk__in=[c.pk for c in cases])
            .annotate(tier=latest_tier_subquery("person_id"))
            .values_list("pk", "tier")
        )
    assert len(queries) == 1
    assert [tiers[c.pk] for c in cases] == ["intensive", None] * 3
