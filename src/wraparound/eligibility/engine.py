"""The single-household engine: evaluate checked rules over facts, in three-valued logic.

A fact nobody recorded (or the actor may not see) is ``None``: *unknown*. Unknown spreads
through every operator except ``&&`` and ``||``, which settle when one side settles them
(``false && unknown`` is false, ``true || unknown`` is true): exactly CEL's own treatment of
errors, so cel-python with the unknown facts left out gives the same answers (a test checks
it). Division by zero is unknown too, as SQL's NULL is in the bulk engine.

Rules are compiled once into nested Python closures; screening a household against 200
programmes is then a few hundred function calls (see ``bench/eligibility.py``).
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext

from wraparound.eligibility.cel import (
    And,
    Arith,
    CheckedRule,
    Compare,
    Cond,
    FactRef,
    In,
    ListLit,
    Lit,
    Neg,
    Node,
    Not,
    Or,
    Param,
    ParamSpec,
    Size,
    facts_used,
    unparse,
)
from wraparound.eligibility.facts import CelType, Format, facts

Facts = Mapping[str, Any]
Evaluator = Callable[[Facts], Any]


class Verdict(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {"eligible": "Eligible", "not_eligible": "Not eligible", "unknown": "Unknown"}[
            self.value
        ]


def verdict_of(value: Any) -> Verdict:
    if value is None:
        return Verdict.UNKNOWN
    return Verdict.ELIGIBLE if value else Verdict.NOT_ELIGIBLE


# --- Parameters -----------------------------------------------------------------------


class ParamUnit(StrEnum):
    MONEY = "money"
    NUMBER = "number"
    YEARS = "years"


@dataclass(frozen=True)
class ParamTable:
    """One parameter's values in force on one date: a single value, or a table by key where
    the largest key not above the one asked for applies ("6 or more")."""

    name: str
    label: str
    unit: ParamUnit
    key_label: str = ""  # e.g. "for a {key}-person household"
    keys: tuple[int, ...] = ()
    values: tuple[float, ...] = ()
    single: float | None = None

    @property
    def keyed(self) -> bool:
        return bool(self.key_label) or bool(self.keys)

    @property
    def value_type(self) -> CelType:
        return CelType.INT if self.unit == ParamUnit.YEARS else CelType.DOUBLE

    def lookup(self, key: int | None) -> float | int | None:
        if not self.keyed:
            value = self.single
        elif key is None or not self.keys:
            return None
        else:
            index = bisect.bisect_right(self.keys, key) - 1
            value = self.values[index] if index >= 0 else None
        if value is None:
            return None
        return int(value) if self.unit == ParamUnit.YEARS else value

    def phrase(self, key: int | None) -> str:
        if not self.keyed:
            return self.label
        if key is None:
            return f"{self.label} (key not known)"
        return f"{self.label} {self.key_label.format(key=key)}".strip()


@dataclass(frozen=True)
class Parameters:
    on: date
    tables: Mapping[str, ParamTable] = field(default_factory=dict)

    def specs(self) -> dict[str, ParamSpec]:
        return {name: ParamSpec(name, t.keyed, t.value_type) for name, t in self.tables.items()}

    def value(self, name: str, key: int | None) -> float | int | None:
        table = self.tables.get(name)
        return table.lookup(key) if table is not None else None


# --- Compilation ----------------------------------------------------------------------

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def _int_div(a: int, b: int) -> int | None:
    if b == 0:
        return None
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _int_mod(a: int, b: int) -> int | None:
    if b == 0:
        return None
    r = abs(a) % abs(b)
    return r if a >= 0 else -r


def _div(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


def compile_node(node: Node, params: Parameters) -> Evaluator:
    """A function of the facts giving the node's value, or None for unknown."""
    match node:
        case Lit(value=v):
            return lambda f: v
        case ListLit(items=items):
            parts = [compile_node(i, params) for i in items]
            if all(isinstance(i, Lit) for i in items):
                members = frozenset(i.value for i in items)  # type: ignore[attr-defined]
                return lambda f: members

            def list_value(f: Facts) -> Any:
                values = [p(f) for p in parts]
                return None if any(v is None for v in values) else values

            return list_value
        case FactRef(fact=fact):
            name = fact.name
            return lambda f: f.get(name)
        case Param(name=name, key=None):
            constant = params.value(name, None)
            return lambda f: constant
        case Param(name=name, key=key) if key is not None:
            table = params.tables.get(name)
            key_fn = compile_node(key, params)
            if table is None:
                return lambda f: None
            lookup = table.lookup
            return lambda f: lookup(key_fn(f))
        case Not(operand=x):
            fx = compile_node(x, params)

            def not_(f: Facts) -> Any:
                v = fx(f)
                return None if v is None else not v

            return not_
        case Neg(operand=x):
            fx = compile_node(x, params)

            def neg(f: Facts) -> Any:
                v = fx(f)
                return None if v is None else -v

            return neg
        case And(left=a, right=b):
            fa, fb = compile_node(a, params), compile_node(b, params)

            def and_(f: Facts) -> Any:
                va = fa(f)
                if va is False:
                    return False
                vb = fb(f)
                if vb is False:
                    return False
                if va is None or vb is None:
                    return None
                return True

            return and_
        case Or(left=a, right=b):
            fa, fb = compile_node(a, params), compile_node(b, params)

            def or_(f: Facts) -> Any:
                va = fa(f)
                if va is True:
                    return True
                vb = fb(f)
                if vb is True:
                    return True
                if va is None or vb is None:
                    return None
                return False

            return or_
        case Compare(op=op, left=a, right=b):
            fa, fb, cmp = compile_node(a, params), compile_node(b, params), _CMP[op]

            def compare(f: Facts) -> Any:
                va = fa(f)
                if va is None:
                    return None
                vb = fb(f)
                if vb is None:
                    return None
                return cmp(va, vb)

            return compare
        case In(item=a, container=b):
            fa, fb = compile_node(a, params), compile_node(b, params)

            def in_(f: Facts) -> Any:
                va = fa(f)
                if va is None:
                    return None
                vb = fb(f)
                if vb is None:
                    return None
                return va in vb

            return in_
        case Arith(op=op, left=a, right=b):
            fa, fb = compile_node(a, params), compile_node(b, params)
            integer = node.type == CelType.INT
            fn: Callable[[Any, Any], Any] = {
                "+": operator.add,
                "-": operator.sub,
                "*": operator.mul,
                "/": _int_div if integer else _div,
                "%": _int_mod,
            }[op]

            def arith(f: Facts) -> Any:
                va = fa(f)
                if va is None:
                    return None
                vb = fb(f)
                if vb is None:
                    return None
                return fn(va, vb)

            return arith
        case Cond(test=t, then=a, otherwise=b):
            ft, fa, fb = (compile_node(n, params) for n in (t, a, b))

            def cond(f: Facts) -> Any:
                vt = ft(f)
                if vt is None:
                    return None
                return fa(f) if vt else fb(f)

            return cond
        case Size(operand=x):
            fx = compile_node(x, params)

            def size(f: Facts) -> Any:
                v = fx(f)
                return None if v is None else len(v)

            return size
    raise TypeError(f"cannot compile {node!r}")


# --- Explanations ---------------------------------------------------------------------

SYMBOLS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}
ARITH_SYMBOLS = {"+": "plus", "-": "minus", "*": "times", "/": "divided by", "%": "mod"}


def money(value: float | Decimal) -> str:
    amount = float(value)
    if amount == int(amount):
        return f"£{int(amount):,}"
    return f"£{amount:,.2f}"


def _format(value: Any, fmt: Format | None, choices: Mapping[str, Any] | None = None) -> str:
    if value is None:
        return "not known"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if fmt == Format.MONEY:
        return money(value)
    if isinstance(value, frozenset | list | set | tuple):
        items = sorted(str(v) for v in value)
        return ", ".join(f"“{(choices or {}).get(v, v)}”" for v in items) or "none"
    if isinstance(value, str):
        return f"“{(choices or {}).get(value, value)}”"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


@dataclass(frozen=True)
class Condition:
    text: str
    result: Verdict
    missing: tuple[str, ...] = ()


class Explainer:
    """Plain words for each condition of a rule, given the facts. Compiled sub-expressions
    and each rule's conditions are cached: rules are immutable once checked."""

    def __init__(self, params: Parameters) -> None:
        self.params = params
        self._compiled: dict[int, tuple[Node, Evaluator]] = {}
        self._conditions: dict[int, tuple[Node, list[tuple[Node, tuple[str, ...]]]]] = {}

    def value(self, node: Node, f: Facts) -> Any:
        cached = self._compiled.get(id(node))
        if cached is None or cached[0] is not node:
            cached = (node, compile_node(node, self.params))
            self._compiled[id(node)] = cached
        return cached[1](f)

    def _fmt_hint(self, node: Node) -> tuple[Format | None, Mapping[str, Any] | None]:
        if isinstance(node, FactRef):
            return node.fact.format, dict(node.fact.choices)
        if isinstance(node, Param):
            table = self.params.tables.get(node.name)
            return (Format.MONEY if table and table.unit == ParamUnit.MONEY else None), None
        if isinstance(node, Arith):
            left_fmt, _ = self._fmt_hint(node.left)
            right_fmt, _ = self._fmt_hint(node.right)
            if node.op in {"+", "-"} and Format.MONEY in {left_fmt, right_fmt}:
                return Format.MONEY, None
            if node.op == "/" and left_fmt == right_fmt == Format.MONEY:
                return Format.RATIO, None
        return None, None

    def describe(self, node: Node, f: Facts, peer: Node | None = None) -> str:
        if isinstance(node, FactRef):
            value = f.get(node.fact.name)
            if value is None:
                return f"{node.fact.label} not known"
            return f"{node.fact.label} {_format(value, node.fact.format, dict(node.fact.choices))}"
        if isinstance(node, Param):
            key = self.value(node.key, f) if node.key is not None else None
            table = self.params.tables.get(node.name)
            if table is None:
                return f"parameter {node.name} (not set)"
            value = table.lookup(key)
            fmt = Format.MONEY if table.unit == ParamUnit.MONEY else None
            if value is None:
                return f"{table.phrase(key)} (no value in force on {self.params.on:%-d %B %Y})"
            return f"{_format(value, fmt)} {table.phrase(key)}"
        if isinstance(node, Lit | ListLit):
            fmt, choices = self._fmt_hint(peer) if peer is not None else (None, None)
            return _format(self.value(node, f), fmt, choices)
        if isinstance(node, Arith):
            fmt, _ = self._fmt_hint(node)
            value = self.value(node, f)
            shown = "not known" if value is None else _format(value, fmt)
            left = self.describe(node.left, f, node.right)
            right = self.describe(node.right, f, node.left)
            return f"({left} {ARITH_SYMBOLS[node.op]} {right} = {shown})"
        if isinstance(node, Size):
            value = self.value(node, f)
            inner = self.describe(node.operand, f)
            return f"number of {inner.split(' “')[0]}: {_format(value, None)}"
        value = self.value(node, f)
        return f"{unparse(node)} ({_format(value, None)})"

    def sentence(self, node: Node, f: Facts) -> str:
        match node:
            case Compare(op=op, left=FactRef(fact=fact), right=b) if f.get(fact.name) is None:
                return f"{fact.label} not known (rule asks for {SYMBOLS[op]} {self.describe(b, f)})"
            case Compare(op=op, left=a, right=b):
                return f"{self.describe(a, f, b)} {SYMBOLS[op]} {self.describe(b, f, a)}"
            case In(item=Lit() as item, container=FactRef(fact=fact)):
                items = f.get(fact.name)
                label = fact.value_label(str(item.value))
                if items is None:
                    return f"{fact.label} not known (rule asks for “{label}”)"
                verb = "include" if item.value in items else "do not include"
                return f"{fact.label} {verb} “{label}”"
            case In(item=FactRef(fact=fact), container=container):
                value = f.get(fact.name)
                options = _format(self.value(container, f), None, dict(fact.choices))
                if value is None:
                    return f"{fact.label} not known (rule asks for one of {options})"
                shown = _format(value, fact.format, dict(fact.choices))
                verb = "is one of" if value in (self.value(container, f) or ()) else "is not one of"
                return f"{fact.label} {shown} {verb} {options}"
            case FactRef(fact=fact):
                return f"{fact.label}: {_format(f.get(fact.name), fact.format)}"
            case Not(operand=x):
                return f"not ({self.sentence(x, f)})"
        return self.describe(node, f)

    def conditions(self, node: Node) -> list[Node]:
        """The conditions a person reads: the rule split at its top-level && and ||."""
        if isinstance(node, And | Or):
            return self.conditions(node.left) + self.conditions(node.right)
        return [node]

    def explain(self, rule: CheckedRule, f: Facts) -> list[Condition]:
        cached = self._conditions.get(id(rule.ast))
        if cached is None or cached[0] is not rule.ast:
            parts = [(c, tuple(facts_used(c))) for c in self.conditions(rule.ast)]
            cached = (rule.ast, parts)
            self._conditions[id(rule.ast)] = cached
        out = []
        for condition, used in cached[1]:
            result = verdict_of(self.value(condition, f))
            missing = (
                tuple(name for name in used if f.get(name) is None)
                if result == Verdict.UNKNOWN
                else ()
            )
            out.append(Condition(self.sentence(condition, f), result, missing))
        return out


def joins(rule: CheckedRule) -> str:
    """'all' when the rule is conditions joined by &&, 'any' for ||, else 'combined'."""
    node = rule.ast
    if isinstance(node, And):
        kinds = {type(n) for n in _spine(node, And)}
        return "all" if Or not in kinds else "combined"
    if isinstance(node, Or):
        kinds = {type(n) for n in _spine(node, Or)}
        return "any" if And not in kinds else "combined"
    return "all"


def _spine(node: Node, cls: type) -> list[Node]:
    if isinstance(node, cls):
        return _spine(node.left, cls) + _spine(node.right, cls)  # type: ignore[attr-defined]
    return [node]


# --- Screening ------------------------------------------------------------------------


@dataclass(frozen=True)
class Programme:
    """Something a person can be screened for: a service or a programme, with its rule."""

    ref: str  # "S-000012" or "PG-000003"
    kind: str  # "service" or "programme"
    id: int
    name: str
    organisation: str
    rule: CheckedRule | None  # None: open to everyone


@dataclass(frozen=True)
class CompiledProgramme:
    programme: Programme
    evaluate: Evaluator
    fact_names: tuple[str, ...]


@dataclass(frozen=True)
class Screening:
    programme: Programme
    verdict: Verdict
    missing: tuple[str, ...]
    conditions: tuple[Condition, ...] = ()

    @property
    def missing_labels(self) -> list[str]:
        known = facts()
        # Labels are in the translation catalogue (citizens see them in the portal).
        return [gettext(known[name].label) if name in known else name for name in self.missing]


def _always_true(f: Facts) -> bool:
    return True


class Screener:
    """Every programme's rule compiled once against the parameters in force on a date."""

    def __init__(self, programmes: Iterable[Programme], params: Parameters) -> None:
        self.params = params
        self.explainer = Explainer(params)
        self.compiled = [
            CompiledProgramme(
                p,
                compile_node(p.rule.ast, params) if p.rule else _always_true,
                tuple(p.rule.facts) if p.rule else (),
            )
            for p in programmes
        ]

    def verdicts(self, f: Facts) -> list[Verdict]:
        """Only the verdicts: what the bulk engine is compared with."""
        return [verdict_of(c.evaluate(f)) for c in self.compiled]

    def screen(self, f: Facts, *, explain: bool = True) -> list[Screening]:
        out: list[Screening] = []
        for c in self.compiled:
            verdict = verdict_of(c.evaluate(f))
            rule = c.programme.rule
            conditions: tuple[Condition, ...] = ()
            if explain and rule is not None:
                conditions = tuple(self.explainer.explain(rule, f))
            # The facts that would settle an unknown: those the rule reads and nobody knows.
            missing = (
                tuple(n for n in c.fact_names if f.get(n) is None)
                if verdict == Verdict.UNKNOWN
                else ()
            )
            out.append(Screening(c.programme, verdict, missing, conditions))
        return out
