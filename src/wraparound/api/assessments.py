"""Assessments: the instruments, taking an assessment of a person, and their assessments.

Reads go through ``assessments/selectors.py`` (the access policy, audited), writes through
``assessments/services.py``. Bad answers are a 422 naming each question:
``{"loc": ["body", "answers", "housing"], "msg": "...", "type": "value_error"}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from ninja import Path, Router, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field, StrictInt, StrictStr

from wraparound.api.auth import request_actor
from wraparound.api.errors import api_error, service_errors
from wraparound.api.schemas import MAX_ID, with_errors
from wraparound.assessments.definition import DECLINED, DONT_KNOW
from wraparound.assessments.models import AnswerStatus, Assessment
from wraparound.assessments.selectors import assessments_for_person, instruments
from wraparound.assessments.services import assessment_submit
from wraparound.directory.needs import NeedCategory
from wraparound.people.selectors import person_get

router = Router(tags=["assessments"])

PersonId = Path(..., ge=1, le=MAX_ID)
Code = Annotated[StrictStr, Field(min_length=1, max_length=60)]
OptionValue = StrictInt | Annotated[StrictStr, Field(max_length=60)]
AnswerValue = OptionValue | Annotated[list[OptionValue], Field(max_length=30)] | None


class OptionOut(Schema):
    value: int | str
    score: int
    label: str
    loinc: str = ""


class QuestionOut(Schema):
    code: str
    text: str
    section: str
    required: bool
    multiple: bool
    loinc: str = ""
    domain: str = ""
    need_category: str = ""
    options: list[OptionOut]


class InstrumentOut(Schema):
    code: str
    version: int
    name: str
    kind: str
    description: str
    no_answer_values: list[str] = Field(
        description="Answer values meaning 'declined to answer' and 'does not know'."
    )
    questions: list[QuestionOut]


class AssessmentIn(Schema):
    instrument: Code = Field(description="The instrument's code, e.g. self-sufficiency-matrix.")
    version: StrictInt | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="The version the answers were written for; refused unless current.",
    )
    answers: Annotated[dict[Code, AnswerValue], Field(max_length=200)] = Field(
        description="Question code to option value (a list for a multiple-choice question), "
        f"or '{DECLINED}' / '{DONT_KNOW}'. A question left out is missing."
    )


class ScreenOut(Schema):
    code: str
    positive: bool
    total: int | None
    explanation: str


class NeedOut(Schema):
    position: int
    category: str
    category_label: str
    severity: str
    priority_class: str
    evidence: str
    explanation: str


class AssessmentOut(Schema):
    id: int
    person_id: int
    instrument: str
    version: int
    status: str
    completed_at: datetime | None
    tier: str
    computed_tier: str
    tier_reason: str
    overridden: bool
    scores: dict[str, int | None]
    positives: list[str]
    screens: list[ScreenOut]
    needs: list[NeedOut]
    answers: dict[str, Any]


def _answers_out(assessment: Assessment) -> dict[str, Any]:
    values: dict[str, str] = {AnswerStatus.DECLINED: DECLINED, AnswerStatus.DONT_KNOW: DONT_KNOW}
    return {a.question: values.get(a.status, a.value) for a in assessment.answers.all()}


def assessment_out(assessment: Assessment) -> AssessmentOut:
    screens = list(assessment.screen_results.all())
    return AssessmentOut(
        id=assessment.pk,
        person_id=assessment.person_id,
        instrument=assessment.instrument_version.instrument.code,
        version=assessment.instrument_version.version,
        status=assessment.status,
        completed_at=assessment.completed_at,
        tier=assessment.tier,
        computed_tier=assessment.computed_tier,
        tier_reason=assessment.tier_reason,
        overridden=assessment.tier != assessment.computed_tier,
        scores={s.domain: s.score for s in assessment.scores.all()},
        positives=[s.code for s in screens if s.positive],
        screens=[
            ScreenOut(code=s.code, positive=s.positive, total=s.total, explanation=s.explanation)
            for s in screens
        ],
        needs=[
            NeedOut(
                position=n.position,
                category=n.category,
                category_label=str(NeedCategory(n.category).label),
                severity=n.severity,
                priority_class=n.priority_class,
                evidence=n.evidence,
                explanation=n.explanation,
            )
            for n in sorted(assessment.needs.all(), key=lambda n: n.position)
        ],
        answers=_answers_out(assessment),
    )


@router.get(
    "/instruments",
    response=with_errors({200: list[InstrumentOut]}),
    summary="The assessment instruments (current versions)",
)
def list_instruments(request: HttpRequest) -> list[InstrumentOut]:
    request_actor(request)
    return [
        InstrumentOut(
            code=definition.code,
            version=version.version,
            name=definition.name,
            kind=definition.kind,
            description=definition.description,
            no_answer_values=[DECLINED, DONT_KNOW],
            questions=[
                QuestionOut(
                    code=q.code,
                    text=q.text,
                    section=q.section,
                    required=q.required,
                    multiple=q.multiple,
                    loinc=q.loinc,
                    domain=q.domain,
                    need_category=q.need_category,
                    options=[
                        OptionOut(value=o.value, score=o.score, label=o.label, loinc=o.loinc)
                        for o in q.options
                    ],
                )
                for s in definition.sections
                for q in s.questions
            ],
        )
        for version, definition in instruments()
    ]


def _located(exc: DjangoValidationError) -> NinjaValidationError:
    errors = []
    for error in service_errors(exc):
        loc = error["loc"]
        if len(loc) == 2 and loc[1] not in {"instrument", "version"}:
            loc = ["body", "answers", loc[1]]
        errors.append(api_error(loc, error["msg"], error["type"]))
    return NinjaValidationError(errors)


@router.post(
    "/people/{person_id}/assessments",
    response=with_errors({201: AssessmentOut}, 403, 404, 422),
    summary="Assess a person",
)
def create_assessment(
    request: HttpRequest, payload: AssessmentIn, person_id: int = PersonId
) -> Status[AssessmentOut]:
    """Takes a whole assessment with the instrument's current version: scores, screen
    results, tier (with its reason) and the needs in the order to meet them. Every required
    question needs an answer (or declined / don't know); nothing is saved otherwise."""
    actor = request_actor(request)
    person = person_get(actor=actor, person_id=person_id, audit_as=None)
    try:
        assessment = assessment_submit(
            actor=actor,
            person=person,
            instrument=payload.instrument,
            answers=payload.answers,
            version=payload.version,
        )
    except DjangoValidationError as exc:
        raise _located(exc) from exc
    [stored] = [
        a for a in assessments_for_person(actor=actor, person=person) if a.pk == assessment.pk
    ]
    return Status(201, assessment_out(stored))


@router.get(
    "/people/{person_id}/assessments",
    response=with_errors({200: list[AssessmentOut]}, 404, 422),
    summary="A person's completed assessments, newest first",
)
def list_assessments(request: HttpRequest, person_id: int = PersonId) -> list[AssessmentOut]:
    actor = request_actor(request)
    person = person_get(actor=actor, person_id=person_id, audit_as="api.person.view")
    return [assessment_out(a) for a in assessments_for_person(actor=actor, person=person)]
