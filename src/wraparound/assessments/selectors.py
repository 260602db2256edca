"""Reads of assessments, tiers and needs. Personal data ("assessments and needs") is read only
through the access policy, and every read of a person's is audited."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import Role
from wraparound.audit.services import PersonRead, audit_denied, audit_reads
from wraparound.consent.categories import DataCategory
from wraparound.consent.models import Purpose
from wraparound.consent.policy import AccessDecision, decide, visible_people
from wraparound.people.models import Person

from .definition import Definition
from .models import (
    Assessment,
    AssessmentStatus,
    InstrumentVersion,
    Need,
    TierOverride,
)
from .services import definition_of

CATEGORY = DataCategory.ASSESSMENTS


class AssessmentNotFound(Http404):
    """Raised alike for an assessment that does not exist and one the actor may not see."""


def _decision(actor: Actor, person: Person, recorded_by: int | None = None) -> AccessDecision:
    return decide(
        actor=actor, person=person, category=CATEGORY, recorded_by_organisation_id=recorded_by
    )


def _audit(actor: Actor, person: Person, decision: AccessDecision, action: str, what: str) -> None:
    audit_reads(
        actor=actor,
        action=action,
        purpose=Purpose.CARE_COORDINATION,
        summary=what,
        reads=[PersonRead(person.pk, [CATEGORY], decision.reason, decision.break_glass)],
    )


def may_see_assessments(*, actor: Actor, person: Person) -> bool:
    return bool(_decision(actor, person))


def _completed(person: Person) -> QuerySet[Assessment]:
    return Assessment.objects.filter(person=person, status=AssessmentStatus.COMPLETED).order_by(
        "-completed_at", "-id"
    )


def current_assessment(
    *, actor: Actor, person: Person, audit_as: str = "assessment.current.view"
) -> Assessment | None:
    """The person's latest completed assessment (any instrument): their current tier and
    needs. None if there is none or the actor may not see assessments of this person."""
    decision = _decision(actor, person)
    if not decision:
        return None
    assessment = _completed(person).select_related("instrument_version__instrument").first()
    if assessment is not None:
        _audit(actor, person, decision, audit_as, "Current assessment shown")
    return assessment


def current_needs(*, actor: Actor, person: Person) -> list[Need]:
    """The person's current needs, in the order they are to be met (position 1 first)."""
    decision = _decision(actor, person)
    if not decision:
        return []
    latest = _completed(person).values_list("pk", flat=True)[:1]
    needs = list(Need.objects.filter(assessment_id__in=Subquery(latest)).order_by("position"))
    if needs:
        _audit(actor, person, decision, "assessment.needs.view", "Current needs shown")
    return needs


def current_tier(*, actor: Actor, person: Person) -> str | None:
    """The tier in force for the person (after any override), or None."""
    decision = _decision(actor, person)
    if not decision:
        return None
    tier = _completed(person).values_list("tier", flat=True).first()
    if tier:
        _audit(actor, person, decision, "assessment.tier.view", "Current tier shown")
    return tier


def latest_tier_subquery(person_ref: str = "person_id") -> Subquery:
    """The tier in force, for annotating rows the actor may already see (one query for any
    number of rows). No access check or audit here: the caller's page does both."""
    return Subquery(
        Assessment.objects.filter(person_id=OuterRef(person_ref), status=AssessmentStatus.COMPLETED)
        .order_by("-completed_at", "-id")
        .values("tier")[:1]
    )


def instruments() -> list[tuple[InstrumentVersion, Definition]]:
    """The current version of every instrument (configuration, not personal data)."""
    versions = InstrumentVersion.objects.select_related("instrument").filter(is_current=True)
    return [(v, definition_of(v)) for v in versions.order_by("instrument__name")]


def _with_results(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    return queryset.select_related(
        "instrument_version__instrument", "organisation", "assessed_by", "person"
    ).prefetch_related("scores", "screen_results", "needs", "answers", "overrides__made_by")


def assessments_for_person(
    *, actor: Actor, person: Person, include_drafts: bool = False
) -> list[Assessment]:
    """The person's assessments, newest first (drafts only those of the actor's
    organisation). Empty if the actor may not see assessments of this person."""
    decision = _decision(actor, person)
    if not decision:
        return []
    visible = Q(status=AssessmentStatus.COMPLETED)
    if include_drafts and actor.membership is not None:
        own = actor.membership.organisation_id
        visible |= Q(status=AssessmentStatus.DRAFT, organisation_id=own)
    queryset = Assessment.objects.filter(visible, person=person)
    found = list(_with_results(queryset).order_by("-completed_at", "-id"))
    if found:
        _audit(actor, person, decision, "assessment.list", f"{len(found)} assessments listed")
    return found


def assessment_get(
    *, actor: Actor, assessment_id: int, audit_as: str = "assessment.view"
) -> Assessment:
    """One assessment the actor may see (a draft only for its organisation); refusals are
    audited and look exactly like a missing assessment."""
    assessment = _with_results(Assessment.objects.filter(pk=assessment_id)).first()
    if assessment is None:
        raise AssessmentNotFound("No assessment with that id")
    membership = actor.membership
    own_org = membership is not None and membership.organisation_id == assessment.organisation_id
    decision = _decision(actor, assessment.person, assessment.organisation_id)
    if not decision or (assessment.is_draft and not own_org):
        audit_denied(
            actor=actor,
            action=audit_as,
            person_id=assessment.person_id,
            categories=[CATEGORY],
            purpose=Purpose.CARE_COORDINATION,
            reason=decision.reason if not decision else "a draft of another organisation",
        )
        raise AssessmentNotFound("No assessment with that id")
    _audit(actor, assessment.person, decision, audit_as, f"Viewed {assessment.reference}")
    return assessment


def drafts_of(*, actor: Actor, person: Person) -> list[Assessment]:
    """Drafts of the actor's organisation for the person, to resume."""
    membership = actor.membership
    if membership is None or not _decision(actor, person):
        return []
    return list(
        Assessment.objects.filter(
            person=person,
            status=AssessmentStatus.DRAFT,
            organisation_id=membership.organisation_id,
        )
        .select_related("instrument_version__instrument")
        .order_by("-updated_at")
    )


@dataclass(frozen=True)
class DomainChange:
    domain: str
    label: str
    before: int | None
    after: int | None

    @property
    def direction(self) -> str:
        """ "up", "down", "same" or "" (not comparable)."""
        if self.before is None or self.after is None:
            return ""
        if self.after > self.before:
            return "up"
        return "down" if self.after < self.before else "same"

    @property
    def arrow(self) -> str:
        return {"up": "↑", "down": "↓", "same": "→"}.get(self.direction, "-")

    @property
    def description(self) -> str:
        if self.direction == "up":
            return f"improved from {self.before} to {self.after}"
        if self.direction == "down":
            return f"worsened from {self.before} to {self.after}"
        if self.direction == "same":
            return f"unchanged at {self.after}"
        return "not comparable (no score on one of the two)"


@dataclass(frozen=True)
class Comparison:
    previous: Assessment | None
    changes: list[DomainChange]


def compare_with_previous(*, assessment: Assessment) -> Comparison:
    """Domain by domain against the person's previous completed assessment with the same
    instrument. Only for an assessment already read through ``assessment_get``."""
    if assessment.is_draft or assessment.completed_at is None:
        return Comparison(None, [])
    previous = (
        Assessment.objects.filter(
            person_id=assessment.person_id,
            status=AssessmentStatus.COMPLETED,
            instrument_version__instrument_id=assessment.instrument_version.instrument_id,
            completed_at__lt=assessment.completed_at,
        )
        .prefetch_related("scores")
        .order_by("-completed_at", "-id")
        .first()
    )
    if previous is None:
        return Comparison(None, [])
    definition = definition_of(assessment.instrument_version)
    before = {s.domain: s.score for s in previous.scores.all()}
    after = {s.domain: s.score for s in assessment.scores.all()}
    changes = [
        DomainChange(q.domain, q.text, before.get(q.domain), after.get(q.domain))
        for section in definition.sections
        for q in section.questions
        if q.domain and (q.domain in before or q.domain in after)
    ]
    return Comparison(previous, changes)


def overrides_for_manager(*, actor: Actor, limit: int = 200) -> list[TierOverride]:
    """Tier overrides made in the manager's organisation, newest first, for people the
    manager may see; each person listed is audited."""
    membership = actor.membership
    if membership is None or membership.role not in {Role.MANAGER, Role.NETWORK_ADMIN}:
        return []
    overrides = list(
        TierOverride.objects.filter(
            organisation_id=membership.organisation_id,
            assessment__person__in=visible_people(actor),
        )
        .select_related("assessment__person", "made_by")
        .order_by("-made_at", "-id")[:limit]
    )
    people = {o.assessment.person_id for o in overrides}
    audit_reads(
        actor=actor,
        action="assessment.overrides.list",
        purpose=Purpose.CARE_COORDINATION,
        summary="Listed in the tier overrides report",
        reads=[PersonRead(pid, [CATEGORY], "recorded by your organisation") for pid in people],
    )
    return overrides
