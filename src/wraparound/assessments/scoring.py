"""Scoring, tiering and need ordering of one assessment: pure functions over definitions.

No database access here (the services load the data and store the results), so the whole
computation can be checked and timed on its own (``bench/assessment.py``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import celpy
from celpy.celparser import CELParseError
from django.core.exceptions import ValidationError

from wraparound.directory.needs import NeedCategory, PriorityClass

from .definition import (
    DECLINED,
    DONT_KNOW,
    Definition,
    DefinitionError,
    Question,
)
from .models import SEVERITY_RANK, AnswerStatus, InstrumentKind, Severity, Tier

# --- answers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GivenAnswer:
    status: str
    value: Any = None  # the option value, or a list of them for a multiple question


def _one_answer(question: Question, raw: object) -> GivenAnswer:
    if raw == DECLINED:
        return GivenAnswer(AnswerStatus.DECLINED)
    if raw == DONT_KNOW:
        return GivenAnswer(AnswerStatus.DONT_KNOW)
    allowed = ", ".join(str(o.value) for o in question.options)
    if question.multiple:
        values = raw if isinstance(raw, list) else [raw]
        if not values:
            raise ValueError("Choose at least one option, or record that it was declined")
        chosen = []
        for value in values:
            option = question.option(value) if isinstance(value, int | str) else None
            if option is None or isinstance(value, bool):
                raise ValueError(f"{value!r} is not one of the options ({allowed})")
            if option.value not in chosen:
                chosen.append(option.value)
        if question.exclusive and question.exclusive in map(str, chosen) and len(chosen) > 1:
            raise ValueError(f"'{question.exclusive}' cannot be chosen with other options")
        return GivenAnswer(AnswerStatus.ANSWERED, chosen)
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValueError(f"{raw!r} is not one of the options ({allowed})")
    option = question.option(raw)
    if option is None:
        raise ValueError(f"{raw!r} is not one of the options ({allowed})")
    return GivenAnswer(AnswerStatus.ANSWERED, option.value)


def check_answers(
    definition: Definition, answers: Mapping[str, object], *, complete: bool
) -> dict[str, GivenAnswer]:
    """The answers, checked against this version of the instrument. Errors are keyed by
    question code: unknown questions, values that are not options, and (when ``complete``)
    required questions left without an answer, declined or don't know."""
    questions = definition.questions
    errors: dict[str, list[str]] = {}
    given: dict[str, GivenAnswer] = {}
    for code, raw in answers.items():
        question = questions.get(code)
        if question is None:
            errors[code] = [
                f"'{code}' is not a question of {definition.name} version {definition.version}"
            ]
            continue
        if raw is None or raw == "":
            continue  # missing
        try:
            given[code] = _one_answer(question, raw)
        except ValueError as exc:
            errors[code] = [f"{question.text}: {exc}"]
    if complete:
        for code, question in questions.items():
            if question.required and code not in given and code not in errors:
                errors[code] = [
                    f"{question.text}: answer this question, or record that the person "
                    "declined or did not know"
                ]
    if errors:
        raise ValidationError(errors)
    return given


# --- scores and findings -------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """Something an assessment found that is a need."""

    category: str
    severity: str
    priority_class: str
    source: str
    evidence: str
    score: int | None = None


@dataclass(frozen=True)
class ScreenOutcome:
    code: str
    positive: bool
    total: int | None
    explanation: str
    severity: str


@dataclass
class Scored:
    kind: str
    scores: dict[str, int | None] = field(default_factory=dict)  # domain -> score
    score_status: dict[str, str] = field(default_factory=dict)
    screens: list[ScreenOutcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    crisis: list[str] = field(default_factory=list)
    vulnerable: list[str] = field(default_factory=list)

    @property
    def positives(self) -> list[str]:
        return [s.code for s in self.screens if s.positive]


def _severity_of_score(score: int) -> str:
    return Severity.CRISIS if score <= 1 else Severity.HIGH if score == 2 else Severity.MODERATE


def score_answers(definition: Definition, given: Mapping[str, GivenAnswer]) -> Scored:
    scored = Scored(kind=definition.kind)
    if definition.kind == InstrumentKind.MATRIX:
        for section in definition.sections:
            for q in section.questions:
                answer = given.get(q.code)
                if answer is None:
                    continue
                scored.score_status[q.domain] = answer.status
                if answer.status != AnswerStatus.ANSWERED:
                    scored.scores[q.domain] = None
                    continue
                option = q.option(answer.value)
                assert option is not None
                score = option.score
                scored.scores[q.domain] = score
                if score <= definition.need_threshold:
                    evidence = f"{q.text.lower()} scored {score} ({definition.level_label(score)})"
                    (scored.crisis if score <= 1 else scored.vulnerable).append(evidence)
                    scored.findings.append(
                        Finding(
                            category=q.need_category,
                            severity=_severity_of_score(score),
                            priority_class=q.priority_class,
                            source=q.domain,
                            evidence=evidence,
                            score=score,
                        )
                    )
        return scored
    questions = definition.questions
    for rule in definition.rules:
        answered = [given[c] for c in rule.questions if c in given]
        chosen = [
            str(v)
            for a in answered
            if a.status == AnswerStatus.ANSWERED
            for v in (a.value if isinstance(a.value, list) else [a.value])
        ]
        total: int | None = None
        severity = rule.severity
        if rule.kind == "any":
            hits = [v for v in chosen if v in rule.values]
            positive = bool(hits)
            if any(v in rule.crisis_values for v in hits):
                severity = Severity.CRISIS
            labels = [
                o.label
                for c in rule.questions
                for o in questions[c].options
                if str(o.value) in hits
            ]
            explanation = (
                f"{rule.label.lower()}: {'; '.join(dict.fromkeys(labels))}"
                if positive
                else f"{rule.label.lower()}: negative"
            )
        else:
            scores = [
                questions[c].option(given[c].value).score  # type: ignore[union-attr]
                for c in rule.questions
                if c in given and given[c].status == AnswerStatus.ANSWERED
            ]
            total = sum(scores)
            positive = total > rule.threshold
            counted = f"{len(scores)} of {len(rule.questions)} answered"
            explanation = (
                f"{rule.label.lower()}: total {total} "
                f"{'>' if positive else '≤'} {rule.threshold} ({counted})"
            )
        scored.screens.append(ScreenOutcome(rule.code, positive, total, explanation, severity))
        if positive:
            evidence = f"{explanation} (positive screen)"
            (scored.crisis if severity == Severity.CRISIS else scored.vulnerable).append(evidence)
            scored.findings.append(
                Finding(
                    category=rule.need_category,
                    severity=severity,
                    priority_class=rule.priority_class,
                    source=rule.code,
                    evidence=evidence,
                )
            )
    return scored


# --- tier rules -----------------------------------------------------------------------------

REASON_FIELDS = ("crisis", "vulnerable", "count_crisis", "count_vulnerable", "positives")
_ENV = celpy.Environment(runner_class=celpy.CompiledRunner)
_COMPILE_LOCK = threading.Lock()
_PARSER: Any = None


def _compile_cel(expression: str) -> Any:
    """A compiled (transpiled) CEL program, several times faster to evaluate than the
    interpreted one. celpy keeps ONE parser per process, built with the tree class of the
    first environment created (the eligibility rules' interpreted one, say), and the
    compiled runner needs its own tree class: ours is built once and swapped in only
    while compiling, under a lock, so neither user sees the other's."""
    global _PARSER
    from celpy.celparser import CELParser

    with _COMPILE_LOCK:
        previous = CELParser.CEL_PARSER
        try:
            if _PARSER is None:
                CELParser.CEL_PARSER = None
                CELParser(tree_class=celpy.CompiledRunner.tree_node_class)
                _PARSER = CELParser.CEL_PARSER
            CELParser.CEL_PARSER = _PARSER
            return _ENV.program(_ENV.compile(expression))
        finally:
            CELParser.CEL_PARSER = previous


_SAMPLE = {
    "scores": {"housing": 1, "food": 3},
    "crisis": ["x"],
    "vulnerable": [],
    "safe": ["food"],
    "positives": ["food_insecurity"],
    "lowest": 1,
}


@dataclass(frozen=True)
class TierRule:
    tier: str
    when: str
    reason: str
    program: Any = field(compare=False, repr=False)


def _cel(value: Any) -> Any:
    """A Python value as CEL (only the shapes the rules see: ints, strings, lists, maps)."""
    celtypes = celpy.celtypes
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return celtypes.IntType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, list):
        return celtypes.ListType([_cel(v) for v in value])
    if isinstance(value, dict):
        return celtypes.MapType({_cel(k): _cel(v) for k, v in value.items()})
    return celpy.json_to_cel(value)


def _activation(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _cel(value) for name, value in values.items()}


def compile_rules(rules: Any) -> tuple[TierRule, ...]:
    """Check and compile tier rules; DefinitionError names the rule and what is wrong."""
    if not isinstance(rules, list) or not rules:
        raise DefinitionError("tier rules", "a non-empty list of rules is required")
    compiled = []
    for i, rule in enumerate(rules):
        where = f"tier rules[{i}]"
        if not isinstance(rule, dict):
            raise DefinitionError(where, "a rule must be an object")
        tier, when, reason = rule.get("tier"), rule.get("when"), rule.get("reason")
        if tier not in Tier.values:
            raise DefinitionError(where, f"tier must be one of {Tier.values}")
        if not isinstance(when, str) or not when.strip():
            raise DefinitionError(where, "'when' must be a CEL expression")
        if not isinstance(reason, str) or not reason.strip():
            raise DefinitionError(where, "'reason' is required")
        try:
            reason.format(**dict.fromkeys(REASON_FIELDS, ""))
        except (KeyError, IndexError, ValueError) as exc:
            raise DefinitionError(
                where, f"reason may only use {{{'}, {'.join(REASON_FIELDS)}}}: {exc}"
            ) from exc
        try:
            program = _compile_cel(when)
            result = program.evaluate(_activation(_SAMPLE))
        except CELParseError as exc:
            raise DefinitionError(where, f"'when' is not valid CEL: {exc}") from exc
        except Exception as exc:  # celpy raises its own evaluation errors
            raise DefinitionError(where, f"'when' cannot be evaluated: {exc}") from exc
        if not isinstance(result, celpy.celtypes.BoolType):
            raise DefinitionError(where, "'when' must give true or false")
        compiled.append(TierRule(tier=tier, when=when, reason=reason, program=program))
    return tuple(compiled)


def rules_checksum(rules: Any) -> str:
    return hashlib.sha256(json.dumps(rules, sort_keys=True).encode()).hexdigest()


@lru_cache(maxsize=16)
def _compiled(checksum: str, rules_json: str) -> tuple[TierRule, ...]:
    return compile_rules(json.loads(rules_json))


def compiled_rules(rules: Any) -> tuple[TierRule, ...]:
    """Compiled once per distinct rule set (rule sets are versioned and never change)."""
    return _compiled(rules_checksum(rules), json.dumps(rules, sort_keys=True))


@dataclass(frozen=True)
class TierResult:
    tier: str
    reason: str
    rule_index: int


def assign_tier(rules: Iterable[TierRule], scored: Scored) -> TierResult:
    scores = {d: s for d, s in scored.scores.items() if s is not None}
    activation = _activation(
        {
            "scores": scores,
            "crisis": scored.crisis,
            "vulnerable": scored.vulnerable,
            "safe": [d for d, s in scores.items() if s == 3],
            "positives": scored.positives,
            "lowest": min(scores.values(), default=6),
        }
    )
    fields = {
        "crisis": ", ".join(scored.crisis),
        "vulnerable": ", ".join(scored.vulnerable),
        "count_crisis": len(scored.crisis),
        "count_vulnerable": len(scored.vulnerable),
        "positives": ", ".join(scored.positives),
    }
    for index, rule in enumerate(rules):
        try:
            matched = bool(rule.program.evaluate(activation))
        except Exception:  # a rule that cannot be evaluated on these scores does not match
            matched = False
        if matched:
            label = Tier(rule.tier).label.lower()
            return TierResult(rule.tier, f"{rule.reason.format(**fields)} → {label}", index)
    return TierResult(Tier.INTENSIVE, "no tier rule matched → intensive (to be safe)", -1)


# --- need ordering ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderTemplate:
    code: str
    name: str
    groups: frozenset[str]
    order: tuple[str, ...]
    precedence: int

    @property
    def shown_name(self) -> str:
        """The name an explanation may show. A template for a sensitive group (severe mental
        illness, disability...) is not named: the explanation is read by whoever may see the
        assessment, who may not be allowed to know the person is in that group."""
        from wraparound.people.choices import POPULATION_GROUP_CATEGORY

        if any(group in POPULATION_GROUP_CATEGORY for group in self.groups):
            return "person's population groups"
        return self.name


def check_template(data: Any, where: str) -> OrderTemplate:
    from wraparound.people.choices import PopulationGroup

    if not isinstance(data, dict):
        raise DefinitionError(where, "a template must be an object")
    for key in ("code", "name"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise DefinitionError(where, f"'{key}' is required")
    groups = data.get("groups", [])
    if not isinstance(groups, list) or any(g not in PopulationGroup.values for g in groups):
        raise DefinitionError(where, f"groups must be population groups ({groups!r})")
    order = data.get("order")
    if not isinstance(order, list) or not order:
        raise DefinitionError(where, "'order' must list need categories")
    unknown = [c for c in order if c not in NeedCategory.values]
    if unknown:
        raise DefinitionError(where, f"unknown need categories {unknown}")
    if len(set(order)) != len(order):
        raise DefinitionError(where, "a need category appears twice in 'order'")
    precedence = data.get("precedence")
    if not isinstance(precedence, int) or isinstance(precedence, bool):
        raise DefinitionError(where, "'precedence' must be a whole number")
    return OrderTemplate(data["code"], data["name"], frozenset(groups), tuple(order), precedence)


def applicable_templates(
    templates: Iterable[OrderTemplate], groups: Iterable[str]
) -> list[OrderTemplate]:
    """The templates whose groups the person is all in, by precedence; the general one
    (no groups) only when no other fits."""
    person_groups = set(groups)
    ordered = sorted(templates, key=lambda t: (t.precedence, t.code))
    fitting = [t for t in ordered if t.groups and t.groups <= person_groups]
    return fitting or [t for t in ordered if not t.groups]


@dataclass(frozen=True)
class OrderedNeed:
    finding: Finding
    position: int
    explanation: str


def merge_findings(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per need category: the most severe (lowest score), evidence combined."""
    best: dict[str, Finding] = {}
    evidence: dict[str, list[str]] = {}
    for f in findings:
        evidence.setdefault(f.category, []).append(f.evidence)
        current = best.get(f.category)
        key = (SEVERITY_RANK[f.severity], -(f.score or 0))
        if current is None or key > (SEVERITY_RANK[current.severity], -(current.score or 0)):
            best[f.category] = f
    return [
        Finding(
            category=f.category,
            severity=f.severity,
            priority_class=(
                PriorityClass.PRIORITY
                if any(
                    g.priority_class == PriorityClass.PRIORITY
                    for g in findings_of(findings, f.category)
                )
                else f.priority_class
            ),
            source=f.source,
            evidence="; ".join(evidence[f.category])[:300],
            score=f.score,
        )
        for f in best.values()
    ]


def findings_of(findings: Iterable[Finding], category: str) -> list[Finding]:
    return [f for f in findings if f.category == category]


def order_needs(
    findings: Iterable[Finding], templates: Iterable[OrderTemplate], groups: Iterable[str]
) -> list[OrderedNeed]:
    """Crisis first; then the person's template place (merged over their groups: the
    earliest place in any template that applies, ties to the lower precedence); then
    priority before supportive; then severity; then the category's name."""
    findings = list(findings)
    merged = merge_findings(findings)
    fitting = applicable_templates(templates, groups)
    place: dict[str, tuple[int, int, str]] = {}
    for template in fitting:
        for index, category in enumerate(template.order):
            candidate = (index + 1, template.precedence, template.shown_name)
            if category not in place or candidate[:2] < place[category][:2]:
                place[category] = candidate
    missing_place = (10_000, 10_000, "")

    def key(f: Finding) -> tuple[int, int, int, int, int, str]:
        where = place.get(f.category, missing_place)
        return (
            0 if f.severity == Severity.CRISIS else 1,
            where[0],
            where[1],
            0 if f.priority_class == PriorityClass.PRIORITY else 1,
            -SEVERITY_RANK[f.severity],
            str(NeedCategory(f.category).label),
        )

    names = " / ".join(dict.fromkeys(t.shown_name for t in fitting)) or "no template"
    ordered = []
    for position, f in enumerate(sorted(merged, key=key), start=1):
        parts = []
        if f.severity == Severity.CRISIS:
            parts.append("in crisis, so before anything not in crisis")
        where = place.get(f.category)
        if where is not None:
            parts.append(f"place {where[0]} in the '{where[2]}' order")
        else:
            parts.append(f"not in the '{names}' order, so after the needs that are")
        parts.append(
            "a basic need (priority)"
            if f.priority_class == PriorityClass.PRIORITY
            else "supportive (self-sufficiency)"
        )
        parts.append(f"severity {Severity(f.severity).label.lower()}")
        ordered.append(OrderedNeed(f, position, "; ".join(parts)))
    return ordered
