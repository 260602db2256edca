"""The instrument definition format: parsed from data and checked, with messages that say
exactly what is wrong and where ("sections[2].questions[0].options[4]: score must be ...").

A definition (JSON, see ``instruments/*.json`` and ADR 0012)::

    {"code", "version", "name", "kind": "matrix"|"screen", "description",
     "sections": [{"code", "title", "questions": [
         {"code", "text", "required", "multiple", "exclusive", "loinc",
          "domain", "need_category", "priority_class",            # matrix domains
          "options": [{"value", "score", "label", "loinc"}]}]}],
     "need_threshold": 2,                                           # matrix: score <= is a need
     "rules": [{"code", "label", "kind": "any"|"sum_over", "questions", "values",
                "crisis_values", "threshold", "severity", "need_category",
                "priority_class"}]}                                 # screen positive rules
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wraparound.directory.needs import NeedCategory, PriorityClass

from .models import InstrumentKind, Severity

# Answer values that are not options: a person may decline, or not know (neither is missing).
DECLINED = "declined"
DONT_KNOW = "dont_know"
NO_ANSWER_VALUES = frozenset({DECLINED, DONT_KNOW})
MATRIX_LEVELS = (1, 2, 3, 4, 5)


class DefinitionError(ValueError):
    """An instrument, tier-rule or template definition that cannot be loaded."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass(frozen=True)
class Option:
    value: int | str
    score: int
    label: str
    loinc: str = ""


@dataclass(frozen=True)
class Question:
    code: str
    text: str
    section: str
    options: tuple[Option, ...]
    required: bool = True
    multiple: bool = False
    exclusive: str = ""
    loinc: str = ""
    domain: str = ""
    need_category: str = ""
    priority_class: str = ""

    def option(self, value: object) -> Option | None:
        for option in self.options:
            # JSON gives ints for matrix levels; a form posts strings: both are accepted.
            if option.value == value or str(option.value) == str(value):
                return option
        return None


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class ScreenRule:
    code: str
    label: str
    kind: str  # "any" | "sum_over"
    questions: tuple[str, ...]
    need_category: str
    priority_class: str
    values: frozenset[str] = frozenset()
    crisis_values: frozenset[str] = frozenset()
    threshold: int = 0
    severity: str = Severity.HIGH


@dataclass(frozen=True)
class Definition:
    code: str
    version: int
    name: str
    kind: str
    description: str
    sections: tuple[Section, ...]
    levels: dict[int, str]
    need_threshold: int
    rules: tuple[ScreenRule, ...]

    @property
    def questions(self) -> dict[str, Question]:
        return {q.code: q for s in self.sections for q in s.questions}

    def section(self, code: str) -> Section | None:
        return next((s for s in self.sections if s.code == code), None)

    def level_label(self, score: int) -> str:
        return self.levels.get(score, str(score))


def _req(data: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise DefinitionError(where, f"'{key}' is required")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise DefinitionError(where, f"'{key}' has the wrong type")
    if isinstance(value, str) and not value.strip():
        raise DefinitionError(where, f"'{key}' cannot be empty")
    return value


def _need(data: dict[str, Any], where: str) -> tuple[str, str]:
    category = _req(data, "need_category", str, where)
    if category not in NeedCategory.values:
        raise DefinitionError(where, f"unknown need category '{category}'")
    priority = _req(data, "priority_class", str, where)
    if priority not in PriorityClass.values:
        raise DefinitionError(where, f"priority_class must be one of {PriorityClass.values}")
    return category, priority


def _option(data: Any, where: str) -> Option:
    if not isinstance(data, dict):
        raise DefinitionError(where, "an option must be an object")
    value = _req(data, "value", (int, str), where)
    if isinstance(value, str) and value in NO_ANSWER_VALUES:
        raise DefinitionError(where, f"'{value}' is reserved for no answer")
    return Option(
        value=value,
        score=_req(data, "score", int, where),
        label=_req(data, "label", str, where),
        loinc=str(data.get("loinc", "")),
    )


def _question(data: Any, section: str, kind: str, where: str) -> Question:
    if not isinstance(data, dict):
        raise DefinitionError(where, "a question must be an object")
    code = _req(data, "code", str, where)
    options = tuple(
        _option(o, f"{where}.options[{i}]")
        for i, o in enumerate(_req(data, "options", list, where))
    )
    if len(options) < 2:
        raise DefinitionError(where, "a question needs at least two options")
    if len({str(o.value) for o in options}) != len(options):
        raise DefinitionError(where, "option values must be unique")
    domain = category = priority = ""
    if kind == InstrumentKind.MATRIX:
        domain = str(data.get("domain") or code)
        category, priority = _need(data, where)
        if sorted(o.score for o in options) != list(MATRIX_LEVELS):
            raise DefinitionError(where, "a matrix domain has one option per level 1 to 5")
        if data.get("multiple"):
            raise DefinitionError(where, "a matrix domain takes one answer")
    multiple = bool(data.get("multiple", False))
    exclusive = str(data.get("exclusive", ""))
    if exclusive and (not multiple or exclusive not in {str(o.value) for o in options}):
        raise DefinitionError(where, "'exclusive' must name an option of a multiple question")
    return Question(
        code=code,
        text=_req(data, "text", str, where),
        section=section,
        options=options,
        required=bool(data.get("required", True)),
        multiple=multiple,
        exclusive=exclusive,
        loinc=str(data.get("loinc", "")),
        domain=domain,
        need_category=category,
        priority_class=priority,
    )


def _rule(data: Any, questions: dict[str, Question], where: str) -> ScreenRule:
    if not isinstance(data, dict):
        raise DefinitionError(where, "a rule must be an object")
    kind = _req(data, "kind", str, where)
    if kind not in {"any", "sum_over"}:
        raise DefinitionError(where, "kind must be 'any' or 'sum_over'")
    codes = tuple(_req(data, "questions", list, where))
    for code in codes:
        if code not in questions:
            raise DefinitionError(where, f"unknown question '{code}'")
    category, priority = _need(data, where)
    severity = str(data.get("severity", Severity.HIGH))
    if severity not in Severity.values:
        raise DefinitionError(where, f"severity must be one of {Severity.values}")
    values = frozenset(str(v) for v in data.get("values", []))
    crisis_values = frozenset(str(v) for v in data.get("crisis_values", []))
    if kind == "any":
        known = {str(o.value) for code in codes for o in questions[code].options}
        unknown = sorted((values | crisis_values) - known)
        if not values or unknown:
            raise DefinitionError(where, f"values must be options of its questions: {unknown}")
    threshold = int(data.get("threshold", 0))
    if kind == "sum_over" and "threshold" not in data:
        raise DefinitionError(where, "a sum_over rule needs a threshold")
    return ScreenRule(
        code=_req(data, "code", str, where),
        label=_req(data, "label", str, where),
        kind=kind,
        questions=codes,
        need_category=category,
        priority_class=priority,
        values=values,
        crisis_values=crisis_values,
        threshold=threshold,
        severity=severity,
    )


def parse_definition(data: Any) -> Definition:
    """Check a definition and build it; DefinitionError says what is wrong and where."""
    if not isinstance(data, dict):
        raise DefinitionError("instrument", "the definition must be an object")
    code = _req(data, "code", str, "instrument")
    where = f"instrument {code}"
    version = _req(data, "version", int, where)
    if version < 1:
        raise DefinitionError(where, "version must be 1 or more")
    kind = _req(data, "kind", str, where)
    if kind not in InstrumentKind.values:
        raise DefinitionError(where, f"kind must be one of {InstrumentKind.values}")
    sections: list[Section] = []
    seen: set[str] = set()
    for i, raw in enumerate(_req(data, "sections", list, where)):
        s_where = f"{where} sections[{i}]"
        if not isinstance(raw, dict):
            raise DefinitionError(s_where, "a section must be an object")
        s_code = _req(raw, "code", str, s_where)
        questions = []
        for j, q in enumerate(_req(raw, "questions", list, s_where)):
            question = _question(q, s_code, kind, f"{s_where}.questions[{j}]")
            if question.code in seen:
                raise DefinitionError(s_where, f"question '{question.code}' appears twice")
            seen.add(question.code)
            questions.append(question)
        if not questions:
            raise DefinitionError(s_where, "a section needs at least one question")
        sections.append(Section(s_code, _req(raw, "title", str, s_where), tuple(questions)))
    if not sections:
        raise DefinitionError(where, "an instrument needs at least one section")
    by_code = {q.code: q for s in sections for q in s.questions}
    rules: tuple[ScreenRule, ...] = ()
    if kind == InstrumentKind.SCREEN:
        rules = tuple(
            _rule(r, by_code, f"{where} rules[{i}]")
            for i, r in enumerate(_req(data, "rules", list, where))
        )
        if len({r.code for r in rules}) != len(rules):
            raise DefinitionError(where, "rule codes must be unique")
    levels = {int(k): str(v) for k, v in (data.get("levels") or {}).items()}
    if kind == InstrumentKind.MATRIX and sorted(levels) != list(MATRIX_LEVELS):
        raise DefinitionError(where, "a matrix names its levels 1 to 5")
    return Definition(
        code=code,
        version=version,
        name=_req(data, "name", str, where),
        kind=kind,
        description=str(data.get("description", "")),
        sections=tuple(sections),
        levels=levels,
        need_threshold=int(data.get("need_threshold", 2)),
        rules=rules,
    )
