"""Writes to assessments: start a draft, save it, complete it (scores, tier, needs), submit in
one go (the API), override a tier. Keyword-only, typed, atomic and audited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.audit.services import audit_record
from wraparound.consent.categories import DataCategory
from wraparound.consent.policy import Action, decide
from wraparound.people.choices import POPULATION_GROUP_CATEGORY
from wraparound.people.models import Person

from .definition import DECLINED, DONT_KNOW, Definition, parse_definition
from .models import (
    ASSESSMENT_TRANSITIONS,
    Answer,
    AnswerStatus,
    Assessment,
    AssessmentStatus,
    DomainScore,
    InstrumentVersion,
    Need,
    NeedOrderTemplate,
    ScreenResult,
    Tier,
    TierOverride,
    TierRuleSet,
)
from .scoring import (
    GivenAnswer,
    OrderedNeed,
    OrderTemplate,
    Scored,
    TierResult,
    assign_tier,
    check_answers,
    compiled_rules,
    order_needs,
    score_answers,
)

CATEGORY = DataCategory.ASSESSMENTS
MAX_OVERRIDE_REASON = 1000


@lru_cache(maxsize=64)
def _definition(version_id: int, checksum: str) -> Definition:
    data = InstrumentVersion.objects.values_list("definition", flat=True).get(pk=version_id)
    return parse_definition(data)


def definition_of(version: InstrumentVersion) -> Definition:
    """The parsed definition of an instrument version (cached: versions never change)."""
    return _definition(version.pk, version.checksum)


def current_version(code: str) -> InstrumentVersion:
    version = (
        InstrumentVersion.objects.select_related("instrument")
        .filter(instrument__code=code, is_current=True)
        .first()
    )
    if version is None:
        raise ValidationError({"instrument": [f"There is no instrument '{code}'"]})
    return version


def current_tier_rules() -> TierRuleSet:
    rules = TierRuleSet.objects.filter(is_current=True).first()
    if rules is None:
        raise ValidationError({"tier": ["No tier rules are loaded: run load_instruments"]})
    return rules


def current_templates() -> list[OrderTemplate]:
    return [
        OrderTemplate(t.code, t.name, frozenset(t.groups), tuple(t.order), t.precedence)
        for t in NeedOrderTemplate.objects.filter(is_current=True)
    ]


def groups_for_ordering(*, actor: Actor, person: Person) -> list[str]:
    """The person's population groups the actor may know of (a sensitive group, e.g. severe
    mental illness, orders needs only for someone allowed to see it)."""
    groups = []
    for code in person.population_groups.values_list("group", flat=True):
        category = POPULATION_GROUP_CATEGORY.get(code, DataCategory.IDENTITY)
        if decide(actor=actor, person=person, category=category):
            groups.append(code)
    return groups


@dataclass(frozen=True)
class Outcome:
    scored: Scored
    tier: TierResult
    needs: list[OrderedNeed]


def evaluate(
    *,
    definition: Definition,
    given: Mapping[str, GivenAnswer],
    rules: TierRuleSet,
    templates: list[OrderTemplate],
    groups: list[str],
) -> Outcome:
    """Scoring, tiering and need ordering of one assessment (what the benchmark times)."""
    scored = score_answers(definition, given)
    tier = assign_tier(compiled_rules(rules.rules), scored)
    return Outcome(scored, tier, order_needs(scored.findings, templates, groups))


def _require_edit(actor: Actor, person: Person) -> None:
    decision = decide(actor=actor, person=person, category=CATEGORY, action=Action.EDIT)
    if not decision:
        raise PermissionDenied(f"You cannot assess this person: {decision.reason}")


def _stored_answers(assessment: Assessment) -> dict[str, object]:
    answers: dict[str, object] = {}
    for answer in assessment.answers.all():
        if answer.status == AnswerStatus.DECLINED:
            answers[answer.question] = DECLINED
        elif answer.status == AnswerStatus.DONT_KNOW:
            answers[answer.question] = DONT_KNOW
        else:
            answers[answer.question] = answer.value
    return answers


def _write_answers(
    assessment: Assessment, given: Mapping[str, GivenAnswer], cleared: set[str]
) -> None:
    existing = {a.question: a for a in assessment.answers.all()}
    for code in cleared:
        if code in existing:
            existing.pop(code).delete()
    for code, answer in given.items():
        row = existing.get(code)
        if row is None:
            Answer.objects.create(
                assessment=assessment, question=code, status=answer.status, value=answer.value
            )
        elif (row.status, row.value) != (answer.status, answer.value):
            row.status, row.value = answer.status, answer.value
            row.save(update_fields=["status", "value"])


def assessment_start(*, actor: Actor, person: Person, instrument: str) -> Assessment:
    """Open a draft assessment of the person with the instrument's current version."""
    membership = actor.require_membership()
    _require_edit(actor, person)
    version = current_version(instrument)
    with transaction.atomic():
        assessment = Assessment.objects.create(
            network_id=person.network_id,
            person=person,
            instrument_version=version,
            organisation_id=membership.organisation_id,
            assessed_by=actor.user,
            current_section=definition_of(version).sections[0].code,
        )
        audit_record(
            actor=actor,
            action="assessment.start",
            summary=f"Started {version.instrument.name} {assessment.reference}",
            person_id=person.pk,
            target=assessment,
            categories=[CATEGORY],
        )
    return assessment


def _locked_draft(assessment: Assessment) -> Assessment:
    locked = (
        Assessment.objects.select_for_update()
        .select_related("instrument_version__instrument", "person")
        .get(pk=assessment.pk)
    )
    if AssessmentStatus.COMPLETED not in ASSESSMENT_TRANSITIONS[locked.status]:
        raise ValidationError({"status": ["This assessment is completed and cannot change"]})
    return locked


def assessment_save_draft(
    *,
    actor: Actor,
    assessment: Assessment,
    answers: Mapping[str, object],
    section: str = "",
) -> Assessment:
    """Save some answers of a draft (checked, but required ones may still be missing); an
    empty answer clears a saved one. ``section`` is where to resume."""
    _require_edit(actor, assessment.person)
    definition = definition_of(assessment.instrument_version)
    given = check_answers(definition, answers, complete=False)
    if section and definition.section(section) is None:
        raise ValidationError({"section": [f"There is no section '{section}'"]})
    cleared = {code for code, raw in answers.items() if raw is None or raw == ""}
    with transaction.atomic():
        draft = _locked_draft(assessment)
        _write_answers(draft, given, cleared)
        if section:
            draft.current_section = section
        draft.save(update_fields=["current_section", "updated_at"])
        audit_record(
            actor=actor,
            action="assessment.save_draft",
            summary=f"Saved {len(given)} answers of draft {draft.reference}",
            person_id=draft.person_id,
            target=draft,
            categories=[CATEGORY],
        )
    return draft


def _complete(actor: Actor, draft: Assessment, given: Mapping[str, GivenAnswer]) -> None:
    definition = definition_of(draft.instrument_version)
    rules = current_tier_rules()
    outcome = evaluate(
        definition=definition,
        given=given,
        rules=rules,
        templates=current_templates(),
        groups=groups_for_ordering(actor=actor, person=draft.person),
    )
    scored = outcome.scored
    DomainScore.objects.bulk_create(
        DomainScore(
            assessment=draft,
            domain=domain,
            score=score,
            answer_status=scored.score_status.get(domain, ""),
        )
        for domain, score in scored.scores.items()
    )
    ScreenResult.objects.bulk_create(
        ScreenResult(
            assessment=draft,
            code=s.code,
            positive=s.positive,
            total=s.total,
            explanation=s.explanation[:300],
        )
        for s in scored.screens
    )
    Need.objects.bulk_create(
        Need(
            person_id=draft.person_id,
            assessment=draft,
            category=n.finding.category,
            severity=n.finding.severity,
            priority_class=n.finding.priority_class,
            position=n.position,
            source=n.finding.source,
            evidence=n.finding.evidence[:300],
            explanation=n.explanation[:500],
        )
        for n in outcome.needs
    )
    draft.status = AssessmentStatus.COMPLETED
    draft.completed_at = timezone.now()
    draft.tier = draft.computed_tier = outcome.tier.tier
    draft.tier_reason = outcome.tier.reason[:500]
    draft.tier_rules = rules
    draft.save()
    audit_record(
        actor=actor,
        action="assessment.complete",
        summary=(
            f"Completed {draft.instrument_version.instrument.name} {draft.reference}: "
            f"{Tier(draft.tier).label.lower()}, {len(outcome.needs)} needs"
        ),
        person_id=draft.person_id,
        target=draft,
        categories=[CATEGORY],
    )


def assessment_complete(
    *, actor: Actor, assessment: Assessment, answers: Mapping[str, object] | None = None
) -> Assessment:
    """Complete a draft: with ``answers`` added to those saved, every required question must
    have an answer (or declined / don't know). Scores, tier and ordered needs are stored."""
    _require_edit(actor, assessment.person)
    definition = definition_of(assessment.instrument_version)
    with transaction.atomic():
        draft = _locked_draft(assessment)
        merged = {**_stored_answers(draft), **(answers or {})}
        given = check_answers(definition, merged, complete=True)
        cleared = {code for code, raw in merged.items() if raw is None or raw == ""}
        _write_answers(draft, given, cleared)
        _complete(actor, draft, given)
    return draft


def assessment_submit(
    *,
    actor: Actor,
    person: Person,
    instrument: str,
    answers: Mapping[str, object],
    version: int | None = None,
) -> Assessment:
    """Take a whole assessment at once (the API, imports, the seed) with the instrument's
    current version (``version``, if given, must be it: answers written for another version
    are refused). Nothing is saved unless every answer is valid and every required question
    is answered."""
    membership = actor.require_membership()
    _require_edit(actor, person)
    current = current_version(instrument)
    if version is not None and version != current.version:
        raise ValidationError(
            {
                "version": [
                    f"{current.instrument.name} is at version {current.version}, not "
                    f"{version}: fetch the instruments again and answer its questions"
                ]
            }
        )
    given = check_answers(definition_of(current), answers, complete=True)
    with transaction.atomic():
        assessment = Assessment.objects.create(
            network_id=person.network_id,
            person=person,
            instrument_version=current,
            organisation_id=membership.organisation_id,
            assessed_by=actor.user,
        )
        Answer.objects.bulk_create(
            Answer(assessment=assessment, question=code, status=a.status, value=a.value)
            for code, a in given.items()
        )
        _complete(actor, assessment, given)
    return assessment


def tier_override(*, actor: Actor, assessment: Assessment, tier: str, reason: str) -> TierOverride:
    """Put the person in another tier than the rules gave; the reason is required, audited
    and shown to managers."""
    membership = actor.require_membership()
    _require_edit(actor, assessment.person)
    if actor.user is None:
        raise PermissionDenied("A tier is changed by a named worker")
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if tier not in Tier.values:
        errors["tier"] = [f"Choose a tier ({', '.join(Tier.values)})"]
    if not reason:
        errors["reason"] = ["Say why the tier is being changed"]
    elif len(reason) > MAX_OVERRIDE_REASON:
        errors["reason"] = [f"The reason must be at most {MAX_OVERRIDE_REASON} characters"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.status != AssessmentStatus.COMPLETED:
            raise ValidationError({"tier": ["Only a completed assessment has a tier"]})
        if locked.tier == tier:
            raise ValidationError({"tier": [f"The tier is already {Tier(tier).label.lower()}"]})
        override = TierOverride.objects.create(
            assessment=locked,
            from_tier=locked.tier,
            to_tier=tier,
            reason=reason,
            organisation_id=membership.organisation_id,
            made_by=actor.user,
        )
        locked.tier = tier
        locked.save(update_fields=["tier", "updated_at"])
        audit_record(
            actor=actor,
            action="assessment.tier_override",
            summary=(
                f"Tier of {locked.reference} changed from "
                f"{Tier(override.from_tier).label.lower()} to {Tier(tier).label.lower()}"
            ),
            person_id=locked.person_id,
            target=override,
            categories=[CATEGORY],
            changes={"tier": [override.from_tier, tier], "reason": ["", reason]},
        )
    assessment.tier = tier
    return override
