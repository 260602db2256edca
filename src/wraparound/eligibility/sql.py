"""The bulk engine: each checked rule compiled to one DuckDB SQL expression.

Facts are columns (``person.age`` -> ``person__age``), one row per person. CEL's unknowns
map onto SQL's NULL: ``AND``/``OR`` in SQL are already Kleene's three-valued logic
(``FALSE AND NULL`` is FALSE), comparisons with NULL are NULL, and the few places where SQL
would quietly turn NULL into a value (``CASE WHEN NULL``, division by zero giving infinity)
are written out. A rule's column is TRUE (eligible), FALSE (not eligible) or NULL (unknown);
a test compares it with the single engine on generated households.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from wraparound.eligibility.cel import (
    And,
    Arith,
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
    Size,
)
from wraparound.eligibility.engine import Parameters
from wraparound.eligibility.facts import CelType, Fact, facts

SQL_TYPES = {
    CelType.INT: "BIGINT",
    CelType.DOUBLE: "DOUBLE",
    CelType.STRING: "VARCHAR",
    CelType.BOOL: "BOOLEAN",
    CelType.LIST_STRING: "VARCHAR[]",
    CelType.LIST_INT: "BIGINT[]",
    CelType.LIST_DOUBLE: "DOUBLE[]",
    CelType.LIST_EMPTY: "VARCHAR[]",
}
_SQL_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=", "!=": "<>"}


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: object, cel_type: CelType) -> str:
    if value is None:
        return f"CAST(NULL AS {SQL_TYPES[cel_type]})"
    if cel_type == CelType.BOOL:
        return "TRUE" if value else "FALSE"
    if cel_type == CelType.INT:
        return f"CAST({int(value)} AS BIGINT)"  # type: ignore[call-overload]
    if cel_type == CelType.DOUBLE:
        number = float(value)  # type: ignore[arg-type]
        if not math.isfinite(number):
            raise ValueError("rules hold finite numbers only")
        return f"CAST({number!r} AS DOUBLE)"
    return "'" + str(value).replace("'", "''") + "'"


def fact_columns() -> list[Fact]:
    return list(facts().values())


def facts_table_ddl(name: str) -> str:
    cols = ", ".join(f"{quote_ident(f.column)} {SQL_TYPES[f.type]}" for f in fact_columns())
    return f"CREATE TABLE {quote_ident(name)} (person_id BIGINT, {cols})"


def to_sql(node: Node, params: Parameters) -> str:
    """The node as a DuckDB expression over the facts table's columns."""
    match node:
        case Lit(value=v, type=t):
            return sql_literal(v, t)
        case ListLit(items=items, type=t):
            inner = ", ".join(to_sql(i, params) for i in items)
            return f"CAST([{inner}] AS {SQL_TYPES[t]})"
        case FactRef(fact=fact):
            return quote_ident(fact.column)
        case Param(name=name, key=None, type=value_type):
            return sql_literal(params.value(name, None), value_type)
        case Param(name=name, key=key) if key is not None:
            table = params.tables.get(name)
            if table is None or not table.keys:
                return sql_literal(None, node.type)
            k = to_sql(key, params)
            # The largest key not above the one asked for: test from the top down.
            whens = " ".join(
                f"WHEN {k} >= {int(key_value)} "
                f"THEN {sql_literal(table.lookup(key_value), node.type)}"
                for key_value in sorted(table.keys, reverse=True)
            )
            return f"(CASE {whens} ELSE {sql_literal(None, node.type)} END)"
        case Not(operand=x):
            return f"(NOT {to_sql(x, params)})"
        case Neg(operand=x):
            return f"(- {to_sql(x, params)})"
        case And(left=a, right=b):
            return f"({to_sql(a, params)} AND {to_sql(b, params)})"
        case Or(left=a, right=b):
            return f"({to_sql(a, params)} OR {to_sql(b, params)})"
        case Compare(op=op, left=a, right=b):
            return f"({to_sql(a, params)} {_SQL_OPS[op]} {to_sql(b, params)})"
        case In(item=a, container=b):
            return f"list_contains({to_sql(b, params)}, {to_sql(a, params)})"
        case Arith(op=op, left=a, right=b):
            left, right = to_sql(a, params), to_sql(b, params)
            if op in {"+", "-", "*"}:
                return f"({left} {op} {right})"
            if op == "/" and node.type == CelType.INT:
                # DuckDB's // truncates toward zero, as CEL's int division does.
                return f"(CASE WHEN {right} = 0 THEN NULL ELSE {left} // {right} END)"
            if op == "/":
                return f"(CASE WHEN {right} = 0 THEN NULL ELSE {left} / {right} END)"
            return f"(CASE WHEN {right} = 0 THEN NULL ELSE {left} % {right} END)"
        case Cond(test=t, then=a, otherwise=b):
            test = to_sql(t, params)
            return (
                f"(CASE WHEN {test} IS NULL THEN NULL WHEN {test} "
                f"THEN {to_sql(a, params)} ELSE {to_sql(b, params)} END)"
            )
        case Size(operand=x):
            return f"CAST(len({to_sql(x, params)}) AS BIGINT)"
    raise TypeError(f"cannot compile {node!r} to SQL")


def verdict_select(table: str, rules: Iterable[tuple[str, Node | None]], params: Parameters) -> str:
    """SELECT person_id and one BOOLEAN column per (column name, rule); NULL is unknown."""
    columns = [
        f"{to_sql(rule, params) if rule is not None else 'TRUE'} AS {quote_ident(name)}"
        for name, rule in rules
    ]
    return f"SELECT person_id, {', '.join(columns)} FROM {quote_ident(table)}"  # noqa: S608
