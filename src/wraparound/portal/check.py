"""The anonymous check: which questions to ask, the answers kept in the session, and the
results from the eligibility engine. Nothing is stored server-side beyond the session."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

from wraparound.core.models import Network
from wraparound.directory.models import Program, Service
from wraparound.eligibility.engine import Verdict
from wraparound.eligibility.selectors import (
    facts_read_by,
    network_screener,
    screen_anonymous,
)
from wraparound.portal.questions import Answers, Question, facts_from_answers, questions_for

# Also read by the apply-once flow, which pre-fills from it.
ANSWERS_KEY = "portal_check_answers"


def check_questions(network: Network) -> list[Question]:
    """Only what some programme's rule reads."""
    found, _screener = network_screener(network=network, on=timezone.localdate())
    return questions_for(facts_read_by(found.programmes))


def answers_of(session: SessionBase) -> Answers:
    answers = session.get(ANSWERS_KEY)
    return dict(answers) if isinstance(answers, dict) else {}


def save_answers(session: SessionBase, question: Question, cleaned: Answers) -> None:
    answers = answers_of(session)
    for name in question.fields_names:
        answers[name] = cleaned.get(name)
    session[ANSWERS_KEY] = answers


def forget_answers(session: SessionBase) -> None:
    session.pop(ANSWERS_KEY, None)


MARKS = {Verdict.ELIGIBLE: "✓", Verdict.NOT_ELIGIBLE: "✗", Verdict.UNKNOWN: "?"}


@dataclass
class Card:
    """One programme on the results page, flattened for the template (200 of them)."""

    ref: str
    name: str
    organisation: str
    reasons: list[tuple[str, str]]  # (mark, condition in words)
    missing: list[str] = field(default_factory=list)  # what would settle a maybe
    how_to_apply: str = ""
    url: str = ""


@dataclass
class CheckResults:
    likely: list[Card] = field(default_factory=list)
    maybe: list[Card] = field(default_factory=list)
    not_eligible: list[Card] = field(default_factory=list)
    settling: list[tuple[str, int]] = field(default_factory=list)


def check_results(network: Network, answers: Answers) -> CheckResults:
    questions = check_questions(network)
    facts: dict[str, Any] = facts_from_answers(answers, network, questions)
    _day, screenings = screen_anonymous(network=network, facts=facts)
    service_ids = [s.programme.id for s in screenings if s.programme.kind == "service"]
    program_ids = [s.programme.id for s in screenings if s.programme.kind == "programme"]
    details: dict[tuple[str, int], tuple[str, str, str]] = {}
    for svc in Service.objects.filter(pk__in=service_ids).only(
        "id", "application_process", "url", "email"
    ):
        details[("service", svc.pk)] = (svc.application_process, svc.url, svc.email)
    for prog in Program.objects.filter(pk__in=program_ids).only("id", "description"):
        details[("programme", prog.pk)] = (prog.description, "", "")
    out = CheckResults()
    settling: dict[str, int] = {}
    for s in screenings:
        how, url, _email = details.get((s.programme.kind, s.programme.id), ("", "", ""))
        card = Card(
            s.programme.ref,
            s.programme.name,
            s.programme.organisation,
            [(MARKS[c.result], c.text) for c in s.conditions],
            how_to_apply=how,
            url=url,
        )
        if s.verdict == Verdict.ELIGIBLE:
            out.likely.append(card)
        elif s.verdict == Verdict.UNKNOWN:
            card.missing = s.missing_labels
            out.maybe.append(card)
            for label in card.missing:
                settling[label] = settling.get(label, 0) + 1
        else:
            out.not_eligible.append(card)
    out.settling = sorted(settling.items(), key=lambda kv: (-kv[1], kv[0]))
    return out
