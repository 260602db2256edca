"""CEL rules: parsed by cel-python (``celpy``), translated to a small typed AST and checked.

The subset a rule may use: literals (int, double, string, bool, lists of them), facts
(``person.age``, ``household.income_monthly``; see ``facts.py``), ``param(name[, key])``,
``!``, unary ``-``, ``&&``, ``||``, ``? :``, comparisons, ``in``, ``+ - * / %`` and
``size(list)``. Everything else CEL has (maps, macros, timestamps) is refused with a clear
message: a rule stays something a network administrator can read.

Typing follows CEL: int and double do not mix (write ``1600.0`` to compare with a money
fact), ``in`` needs a list of the item's type, both branches of ``? :`` share a type and a
rule as a whole is a bool.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import celpy
from celpy.celparser import CELParseError
from lark import Token, Tree

from wraparound.eligibility.facts import (
    FACT_ROOTS,
    LIST_ELEMENT,
    LIST_OF,
    CelType,
    Fact,
    facts,
)

NUMERIC = {CelType.INT, CelType.DOUBLE}
MAX_RULE_LENGTH = 4000


class RuleError(ValueError):
    """A rule that cannot be saved: the message says what and where."""

    def __init__(self, message: str, *, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


@dataclass(frozen=True)
class ParamSpec:
    """What the checker needs to know of a parameter: whether it takes a key."""

    name: str
    keyed: bool
    type: CelType = CelType.DOUBLE  # years are whole numbers (int); money and numbers double


# --- AST ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Node:
    type: CelType = field(init=False, default=CelType.BOOL)


@dataclass(frozen=True, eq=False)
class Lit(Node):
    value: Any
    lit_type: CelType

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", self.lit_type)


@dataclass(frozen=True, eq=False)
class ListLit(Node):
    items: tuple[Node, ...]
    list_type: CelType

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", self.list_type)


@dataclass(frozen=True, eq=False)
class FactRef(Node):
    fact: Fact

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", self.fact.type)


@dataclass(frozen=True, eq=False)
class Param(Node):
    name: str
    key: Node | None
    value_type: CelType = CelType.DOUBLE

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", self.value_type)


@dataclass(frozen=True, eq=False)
class Not(Node):
    operand: Node


@dataclass(frozen=True, eq=False)
class Neg(Node):
    operand: Node

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", self.operand.type)


@dataclass(frozen=True, eq=False)
class And(Node):
    left: Node
    right: Node


@dataclass(frozen=True, eq=False)
class Or(Node):
    left: Node
    right: Node


@dataclass(frozen=True, eq=False)
class Compare(Node):
    op: str  # < <= > >= == !=
    left: Node
    right: Node


@dataclass(frozen=True, eq=False)
class In(Node):
    item: Node
    container: Node


@dataclass(frozen=True, eq=False)
class Arith(Node):
    op: str  # + - * / %
    left: Node
    right: Node

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", self.left.type)


@dataclass(frozen=True, eq=False)
class Cond(Node):
    test: Node
    then: Node
    otherwise: Node

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", self.then.type)


@dataclass(frozen=True, eq=False)
class Size(Node):
    operand: Node

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", CelType.INT)


def walk(node: Node) -> list[Node]:
    """The node and every node under it, depth first."""
    out = [node]
    for child in children(node):
        out.extend(walk(child))
    return out


def children(node: Node) -> list[Node]:
    match node:
        case ListLit(items=items):
            return list(items)
        case Param(key=key):
            return [key] if key is not None else []
        case Not(operand=x) | Neg(operand=x) | Size(operand=x):
            return [x]
        case And(left=a, right=b) | Or(left=a, right=b):
            return [a, b]
        case Compare(left=a, right=b) | Arith(left=a, right=b):
            return [a, b]
        case In(item=a, container=b):
            return [a, b]
        case Cond(test=a, then=b, otherwise=c):
            return [a, b, c]
    return []


def facts_used(node: Node) -> list[str]:
    seen: dict[str, None] = {}
    for n in walk(node):
        if isinstance(n, FactRef):
            seen[n.fact.name] = None
    return list(seen)


def params_used(node: Node) -> list[str]:
    seen: dict[str, None] = {}
    for n in walk(node):
        if isinstance(n, Param):
            seen[n.name] = None
    return list(seen)


# --- Parsing --------------------------------------------------------------------------

_ENV = celpy.Environment()

OPS = {
    "relation_lt": "<",
    "relation_le": "<=",
    "relation_gt": ">",
    "relation_ge": ">=",
    "relation_eq": "==",
    "relation_ne": "!=",
    "addition_add": "+",
    "addition_sub": "-",
    "multiplication_mul": "*",
    "multiplication_div": "/",
    "multiplication_mod": "%",
}
TYPE_WORDS = {
    CelType.INT: "a whole number (int)",
    CelType.DOUBLE: "a decimal number (double)",
    CelType.STRING: "text (string)",
    CelType.BOOL: "true or false (bool)",
    CelType.LIST_STRING: "a list of text",
    CelType.LIST_INT: "a list of whole numbers",
    CelType.LIST_DOUBLE: "a list of decimal numbers",
    CelType.LIST_EMPTY: "an empty list",
}


def _column(tree: Tree | Token) -> int | None:
    meta = getattr(tree, "meta", None)
    if isinstance(tree, Token):
        return tree.column
    if meta is not None and not getattr(meta, "empty", True):
        return int(meta.column)
    for child in getattr(tree, "children", []):
        if isinstance(child, Tree | Token):
            column = _column(child)
            if column is not None:
                return column
    return None


def _string_value(token: str) -> str:
    # celpy's own decoding of escapes, via its literal evaluation.
    value = _ENV.program(_ENV.compile(token)).evaluate({})
    return str(value)


class _Translator:
    def __init__(self, params: Mapping[str, ParamSpec]) -> None:
        self.params = params
        self.facts = facts()

    def fail(self, message: str, tree: Tree | Token | None = None) -> RuleError:
        column = _column(tree) if tree is not None else None
        where = f" (at column {column})" if column else ""
        return RuleError(f"{message}{where}", column=column)

    def expr(self, tree: Tree) -> Node:
        handler: Callable[[Tree], Node] | None = getattr(self, f"t_{tree.data}", None)
        if handler is None:
            raise self.fail(f"Rules cannot use {str(tree.data).replace('_', ' ')}", tree)
        return handler(tree)

    def _only(self, tree: Tree) -> Node:
        return self.expr(tree.children[0])

    # expr : conditionalor ["?" conditionalor ":" expr]
    def t_expr(self, tree: Tree) -> Node:
        kids = [c for c in tree.children if c is not None]
        if len(kids) == 1:
            return self.expr(kids[0])
        test, then, otherwise = (self.expr(k) for k in kids)
        self.expect(test, CelType.BOOL, "The condition before ?", kids[0])
        if not _same_type(then.type, otherwise.type):
            raise self.fail(
                f"Both sides of ? : must be the same type: {TYPE_WORDS[then.type]} "
                f"and {TYPE_WORDS[otherwise.type]}",
                kids[1],
            )
        return Cond(test, then, otherwise)

    def t_conditionalor(self, tree: Tree) -> Node:
        return self._logic(tree, Or, "||")

    def t_conditionaland(self, tree: Tree) -> Node:
        return self._logic(tree, And, "&&")

    def _logic(self, tree: Tree, cls: type[And] | type[Or], symbol: str) -> Node:
        kids = [c for c in tree.children if c is not None]
        if len(kids) == 1:
            return self.expr(kids[0])
        left, right = (self.expr(k) for k in kids)
        self.expect(left, CelType.BOOL, f"The left side of {symbol}", kids[0])
        self.expect(right, CelType.BOOL, f"The right side of {symbol}", kids[1])
        return cls(left, right)

    def t_relation(self, tree: Tree) -> Node:
        kids = [c for c in tree.children if c is not None]
        if len(kids) == 1:
            return self.expr(kids[0])
        op_tree, right_tree = kids
        assert isinstance(op_tree, Tree)
        left_tree = op_tree.children[0]
        left = self.expr(left_tree)
        right = self.expr(right_tree)
        if op_tree.data == "relation_in":
            element = LIST_ELEMENT.get(right.type)
            if right.type == CelType.LIST_EMPTY:
                element = left.type
            if element is None:
                raise self.fail(
                    f"The right side of 'in' must be a list, not {TYPE_WORDS[right.type]}",
                    right_tree,
                )
            if left.type != element:
                raise self.fail(
                    f"'in' compares {TYPE_WORDS[left.type]} with {TYPE_WORDS[right.type]}",
                    left_tree,
                )
            self.check_choices(left, right, left_tree)
            return In(left, right)
        op = OPS[str(op_tree.data)]
        if op in {"==", "!="}:
            if left.type in LIST_ELEMENT or left.type == CelType.LIST_EMPTY:
                raise self.fail(
                    f"Lists cannot be compared with {op}: use size(...) or 'in'", left_tree
                )
            if not _same_type(left.type, right.type):
                raise self.fail(
                    f"Cannot compare {TYPE_WORDS[left.type]} with {TYPE_WORDS[right.type]} "
                    f"using {op}{_number_hint(left, right)}",
                    left_tree,
                )
        else:
            if left.type not in NUMERIC | {CelType.STRING} or left.type != right.type:
                raise self.fail(
                    f"Cannot compare {TYPE_WORDS[left.type]} with {TYPE_WORDS[right.type]} "
                    f"using {op}{_number_hint(left, right)}",
                    left_tree,
                )
        self.check_choices(left, right, right_tree)
        self.check_choices(right, left, left_tree)
        return Compare(op, left, right)

    def check_choices(self, value: Node, other: Node, tree: Tree | Token) -> None:
        """A text literal compared with an enumerated fact must be one of its values."""
        fact_node = other if isinstance(other, FactRef) else value
        literal_node = value if fact_node is other else other
        if not isinstance(fact_node, FactRef) or not fact_node.fact.choices:
            return
        literals: list[Node] = []
        if isinstance(literal_node, Lit):
            literals = [literal_node]
        elif isinstance(literal_node, ListLit):
            literals = list(literal_node.items)
        allowed = [code for code, _label in fact_node.fact.choices]
        for lit in literals:
            if isinstance(lit, Lit) and lit.type == CelType.STRING and lit.value not in allowed:
                raise self.fail(
                    f'"{lit.value}" is not a value {fact_node.fact.name} can take; '
                    f"choose one of: {', '.join(allowed)}",
                    tree,
                )

    def _arith(self, tree: Tree) -> Node:
        kids = [c for c in tree.children if c is not None]
        if len(kids) == 1:
            return self.expr(kids[0])
        op_tree, right_tree = kids
        assert isinstance(op_tree, Tree)
        left_tree = op_tree.children[0]
        left = self.expr(left_tree)
        right = self.expr(right_tree)
        op = OPS[str(op_tree.data)]
        if left.type not in NUMERIC or left.type != right.type:
            raise self.fail(
                f"Cannot compute {TYPE_WORDS[left.type]} {op} {TYPE_WORDS[right.type]}"
                f"{_number_hint(left, right)}",
                left_tree,
            )
        if op == "%" and left.type != CelType.INT:
            raise self.fail("% works on whole numbers only", left_tree)
        return Arith(op, left, right)

    t_addition = _arith
    t_multiplication = _arith

    def t_unary(self, tree: Tree) -> Node:
        kids = [c for c in tree.children if c is not None]
        if len(kids) == 1:
            return self.expr(kids[0])
        op, operand_tree = kids
        operand = self.expr(operand_tree)
        assert isinstance(op, Tree)
        if op.data == "unary_not":
            self.expect(operand, CelType.BOOL, "The value after !", operand_tree)
            return Not(operand)
        if operand.type not in NUMERIC:
            raise self.fail(f"Cannot negate {TYPE_WORDS[operand.type]}", operand_tree)
        if isinstance(operand, Lit):
            return Lit(-operand.value, operand.type)
        return Neg(operand)

    t_member = _only
    t_primary = _only

    def t_paren_expr(self, tree: Tree) -> Node:
        return self._only(tree)

    def t_literal(self, tree: Tree) -> Node:
        token = tree.children[0]
        assert isinstance(token, Token)
        kind = token.type
        text = str(token)
        if kind == "INT_LIT":
            return Lit(int(text, 0) if "x" not in text.lower() else int(text, 16), CelType.INT)
        if kind == "FLOAT_LIT":
            return Lit(float(text), CelType.DOUBLE)
        if kind == "BOOL_LIT":
            return Lit(text == "true", CelType.BOOL)
        if kind in {"STRING_LIT", "MLSTRING_LIT"}:
            return Lit(_string_value(text), CelType.STRING)
        if kind == "UINT_LIT":
            raise self.fail("Write whole numbers without the u suffix", token)
        if kind == "NULL_LIT":
            raise self.fail(
                "Rules cannot use null: a fact nobody recorded is already 'unknown'", token
            )
        raise self.fail("Rules cannot use bytes", token)

    def t_list_lit(self, tree: Tree) -> Node:
        if not tree.children or tree.children[0] is None:
            return ListLit((), CelType.LIST_EMPTY)
        exprlist = tree.children[0]
        assert isinstance(exprlist, Tree)
        items = tuple(self.expr(c) for c in exprlist.children)
        element = items[0].type
        if element not in LIST_OF:
            raise self.fail(f"A list cannot hold {TYPE_WORDS[element]}", tree)
        for item, item_tree in zip(items, exprlist.children, strict=True):
            if item.type != element:
                raise self.fail(
                    f"Every item of a list must be the same type: {TYPE_WORDS[element]}, "
                    f"not {TYPE_WORDS[item.type]}",
                    item_tree,
                )
        return ListLit(items, LIST_OF[element])

    def t_ident(self, tree: Tree) -> Node:
        name = str(tree.children[0])
        roots = ", ".join(FACT_ROOTS)
        raise self.fail(f"Unknown name '{name}': facts start with one of {roots}", tree)

    def t_member_dot(self, tree: Tree) -> Node:
        path = _dotted(tree)
        if path is None:
            raise self.fail("Only facts (like person.age) can be read with a dot", tree)
        fact = self.facts.get(path)
        if fact is None:
            root = path.split(".")[0]
            if root not in FACT_ROOTS:
                raise self.fail(
                    f"Unknown name '{root}': facts start with one of {', '.join(FACT_ROOTS)}",
                    tree,
                )
            known = ", ".join(n for n in self.facts if n.startswith(root + "."))
            raise self.fail(f"Unknown fact '{path}'; {root} facts are: {known}", tree)
        return FactRef(fact)

    def t_member_dot_arg(self, tree: Tree) -> Node:
        method = str(tree.children[1])
        if method == "size":
            target = self.expr(tree.children[0])
            args = tree.children[2] if len(tree.children) > 2 else None
            if args is not None:
                raise self.fail("size() takes no arguments here", tree)
            return self._size(target, tree)
        raise self.fail(f"Rules cannot call .{method}(); use size(), in, or param()", tree)

    def t_ident_arg(self, tree: Tree) -> Node:
        name = str(tree.children[0])
        exprlist = tree.children[1] if len(tree.children) > 1 else None
        arg_trees = list(exprlist.children) if isinstance(exprlist, Tree) else []
        args = [self.expr(a) for a in arg_trees]
        if name == "size":
            if len(args) != 1:
                raise self.fail("size() takes one list", tree)
            return self._size(args[0], tree)
        if name == "param":
            return self._param(args, arg_trees, tree)
        raise self.fail(f"Unknown function '{name}'; rules may call param() and size()", tree)

    def _size(self, target: Node, tree: Tree) -> Node:
        if target.type not in LIST_ELEMENT and target.type != CelType.LIST_EMPTY:
            raise self.fail(f"size() takes a list, not {TYPE_WORDS[target.type]}", tree)
        return Size(target)

    def _param(self, args: list[Node], arg_trees: list[Any], tree: Tree) -> Node:
        if not args or len(args) > 2:
            raise self.fail('param() takes a name and, for a table, a key: param("name", key)')
        name_node = args[0]
        if not (isinstance(name_node, Lit) and name_node.type == CelType.STRING):
            raise self.fail("The first argument of param() is its name, in quotes", arg_trees[0])
        name = str(name_node.value)
        spec = self.params.get(name)
        if spec is None:
            known = ", ".join(sorted(self.params)) or "none yet"
            raise self.fail(f"Unknown parameter '{name}'; parameters are: {known}", arg_trees[0])
        key = args[1] if len(args) == 2 else None
        if spec.keyed and key is None:
            raise self.fail(
                f"Parameter '{name}' is a table: give its key, e.g. "
                f'param("{name}", household.size)',
                tree,
            )
        if not spec.keyed and key is not None:
            raise self.fail(f"Parameter '{name}' is a single value: it takes no key", tree)
        if key is not None and key.type != CelType.INT:
            raise self.fail(
                f"The key of parameter '{name}' must be a whole number, not {TYPE_WORDS[key.type]}",
                arg_trees[1],
            )
        return Param(name, key, spec.type)

    def expect(self, node: Node, wanted: CelType, what: str, tree: Tree | Token) -> None:
        if node.type != wanted:
            raise self.fail(
                f"{what} must be {TYPE_WORDS[wanted]}, not {TYPE_WORDS[node.type]}", tree
            )


def _same_type(a: CelType, b: CelType) -> bool:
    if a == b:
        return True
    lists = set(LIST_ELEMENT) | {CelType.LIST_EMPTY}
    return CelType.LIST_EMPTY in {a, b} and a in lists and b in lists


def _number_hint(left: Node, right: Node) -> str:
    if {left.type, right.type} == NUMERIC:
        literal = left if isinstance(left, Lit) else right if isinstance(right, Lit) else None
        if literal is not None and literal.type == CelType.INT:
            return f"; write {literal.value}.0 to make it a decimal"
        return "; whole and decimal numbers do not mix"
    return ""


def _dotted(tree: Tree) -> str | None:
    """'person.age' for member_dot(member(primary(ident person)), age), else None."""
    parts: list[str] = []
    node: Any = tree
    while True:
        if isinstance(node, Tree) and node.data == "member_dot":
            parts.append(str(node.children[1]))
            node = node.children[0]
        elif isinstance(node, Tree) and node.data in {"member", "primary"}:
            node = node.children[0]
        elif isinstance(node, Tree) and node.data == "ident":
            parts.append(str(node.children[0]))
            return ".".join(reversed(parts))
        else:
            return None


@dataclass(frozen=True)
class CheckedRule:
    source: str
    ast: Node

    @property
    def facts(self) -> list[str]:
        return facts_used(self.ast)

    @property
    def params(self) -> list[str]:
        return params_used(self.ast)


def check_rule(source: str, params: Mapping[str, ParamSpec]) -> CheckedRule:
    """Parse and type-check a rule, or raise RuleError saying precisely what is wrong."""
    text = (source or "").strip()
    if not text:
        raise RuleError("Enter the rule")
    if len(text) > MAX_RULE_LENGTH:
        raise RuleError(f"A rule must be {MAX_RULE_LENGTH} characters or fewer")
    try:
        tree = _ENV.compile(text)
    except CELParseError as exc:
        line = getattr(exc, "line", None)
        column = getattr(exc, "column", None)
        where = f" at line {line}, column {column}" if line and column else ""
        first = str(exc.args[0]).splitlines()[0] if exc.args else "syntax error"
        raise RuleError(f"Syntax error{where}: {first}", column=column) from exc
    except Exception as exc:  # lark raises a few of its own for odd tokens
        raise RuleError(f"Syntax error: {exc}") from exc
    node = _Translator(params).expr(tree)
    if node.type != CelType.BOOL:
        raise RuleError(f"A rule must be true or false, but this one is {TYPE_WORDS[node.type]}")
    return CheckedRule(text, node)


def unparse(node: Node) -> str:
    """The node as CEL text (used in explanations and in the bulk engine's comments)."""
    match node:
        case Lit(value=v, type=CelType.STRING):
            return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
        case Lit(value=v, type=CelType.BOOL):
            return "true" if v else "false"
        case Lit(value=v, type=CelType.DOUBLE):
            return repr(float(v))
        case Lit(value=v):
            return str(v)
        case ListLit(items=items):
            return "[" + ", ".join(unparse(i) for i in items) + "]"
        case FactRef(fact=f):
            return f.name
        case Param(name=name, key=key):
            return f'param("{name}"' + (f", {unparse(key)})" if key is not None else ")")
        case Not(operand=x):
            return f"!({unparse(x)})"
        case Neg(operand=x):
            return f"-({unparse(x)})"
        case And(left=a, right=b):
            return f"({unparse(a)} && {unparse(b)})"
        case Or(left=a, right=b):
            return f"({unparse(a)} || {unparse(b)})"
        case Compare(op=op, left=a, right=b) | Arith(op=op, left=a, right=b):
            return f"({unparse(a)} {op} {unparse(b)})"
        case In(item=a, container=b):
            return f"({unparse(a)} in {unparse(b)})"
        case Cond(test=a, then=b, otherwise=c):
            return f"({unparse(a)} ? {unparse(b)} : {unparse(c)})"
        case Size(operand=x):
            return f"size({unparse(x)})"
    raise TypeError(node)
