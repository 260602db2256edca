"""The linkage model: comparisons for people, their trained parameters, in-process scoring.

One definition of every comparison level serves both paths:

- bulk linkage hands the levels to Splink (``splink_comparisons()``), which trains m and u by
  expectation-maximisation and scores millions of pairs in DuckDB or Spark;
- a single pair (registration, one agency record arriving) is scored here in Python with the
  same levels and the trained m/u (``LinkParameters.score``), in microseconds.

``current_parameters(network)`` returns the newest trained ``LinkageModel``'s parameters, or
the documented default below when no model has been trained yet.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from wraparound.linkage import normalise as n

if TYPE_CHECKING:
    from wraparound.core.models import Network


@dataclass(frozen=True)
class IdentityRecord:
    """The identity fields of a person or a source record, as linkage compares them."""

    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | str | None = None
    sex: str = ""
    address: str = ""
    postcode: str = ""
    phone: str = ""
    email: str = ""
    national_number: str = ""

    @classmethod
    def from_person(cls, person: Any) -> IdentityRecord:
        address = " ".join(
            p for p in (person.address_line_1, person.address_line_2, person.town) if p
        )
        return cls(
            given_name=person.given_name,
            family_name=person.family_name,
            date_of_birth=person.date_of_birth,
            sex="" if person.sex in ("not_known", "not_stated") else person.sex,
            address=address,
            postcode=person.postcode,
            phone=person.phone,
            email=person.email,
        )

    @classmethod
    def from_source_record(cls, record: Any) -> IdentityRecord:
        return cls(
            given_name=record.given_name,
            family_name=record.family_name,
            date_of_birth=record.date_of_birth,
            sex=record.sex,
            address=record.address,
            postcode=record.postcode,
            phone=record.phone,
            email=record.email,
            national_number=record.national_number,
        )


@dataclass(frozen=True)
class Prepared:
    """A record normalised into the columns the comparisons read (``None`` = unknown)."""

    given: str | None
    given_aliases: frozenset[str]
    family: str | None
    family_tokens: frozenset[str]
    dob: str | None
    dob_swapped: str | None
    postcode: str | None
    outward: str | None
    address: str | None
    sex: str | None
    phone: str | None
    email: str | None
    national_number: str | None

    @classmethod
    def of(cls, record: IdentityRecord) -> Prepared:
        given = n.name_key(record.given_name)
        dob = n.dob_text(record.date_of_birth)
        postcode = n.postcode_key(record.postcode)
        phone = n.digits(record.phone)
        return cls(
            given=given or None,
            given_aliases=frozenset(n.given_aliases(given)),
            family=n.name_key(record.family_name) or None,
            family_tokens=frozenset(n.name_tokens(record.family_name)),
            dob=dob or None,
            dob_swapped=n.dob_swapped(dob) or None,
            postcode=postcode or None,
            outward=n.outward(postcode) or None,
            address=n.fold(record.address) or None,
            sex=(record.sex or "").lower() or None,
            phone=phone[-10:] or None,
            email=(record.email or "").strip().lower() or None,
            national_number=n.identifier_key(record.national_number) or None,
        )


Test = Callable[[Prepared, Prepared], bool]


@dataclass(frozen=True)
class LevelSpec:
    label: str  # plain words for the worker: "day/month swapped"
    test: Test
    splink: Callable[[], Any]  # builds the Splink ComparisonLevelCreator
    m: float  # documented default m (used until a model is trained)
    u: float  # documented default u
    tf: bool = False


@dataclass(frozen=True)
class ComparisonSpec:
    name: str  # Splink output column name
    label: str  # "date of birth"
    columns: tuple[str, ...]  # the Prepared fields it reads (the first decides "unknown")
    levels: tuple[LevelSpec, ...]  # after the null level, most specific first; last is "else"


def _jw(a: str | None, b: str | None) -> float:
    return JaroWinkler.similarity(a or "", b or "")


def _splink() -> Any:
    import splink.comparison_level_library as cll

    return cll


def _custom(sql: str, label: str) -> Callable[[], Any]:
    return lambda: _splink().CustomLevel(sql, label_for_charts=label, base_dialect_str="duckdb")


def _exact(col: str, tf: bool = False) -> Callable[[], Any]:
    return lambda: _splink().ExactMatchLevel(col, term_frequency_adjustments=tf)


def _jaro(col: str, threshold: float) -> Callable[[], Any]:
    return lambda: _splink().JaroWinklerLevel(col, threshold)


def _damerau(col: str, distance: int) -> Callable[[], Any]:
    return lambda: _splink().DamerauLevenshteinLevel(col, distance)


def _else() -> Any:
    return _splink().ElseLevel()


def _intersect(col: str) -> Callable[[], Any]:
    return lambda: _splink().ArrayIntersectLevel(col, 1)


def _else_level(m: float, u: float) -> LevelSpec:
    return LevelSpec("differs", lambda a, b: True, _else, m, u)


COMPARISONS: tuple[ComparisonSpec, ...] = (
    ComparisonSpec(
        "given_name",
        "given name",
        ("given",),
        (
            LevelSpec(
                "exact", lambda a, b: a.given == b.given, _exact("given", True), 0.80, 0.01, True
            ),
            LevelSpec(
                "is their family name (names swapped)",
                lambda a, b: a.given == b.family or a.family == b.given,
                _custom("given_l = family_r OR family_l = given_r", "names swapped"),
                0.02,
                0.0001,
            ),
            LevelSpec(
                "nickname or alias",
                lambda a, b: a.given in b.given_aliases or b.given in a.given_aliases,
                _custom(
                    "list_contains(given_aliases_l, given_r) "
                    "OR list_contains(given_aliases_r, given_l)",
                    "nickname or alias",
                ),
                0.06,
                0.002,
            ),
            LevelSpec(
                "very similar",
                lambda a, b: _jw(a.given, b.given) >= 0.92,
                _jaro("given", 0.92),
                0.07,
                0.003,
            ),
            LevelSpec(
                "similar",
                lambda a, b: _jw(a.given, b.given) >= 0.80,
                _jaro("given", 0.80),
                0.03,
                0.02,
            ),
            _else_level(0.02, 0.965),
        ),
    ),
    ComparisonSpec(
        "family_name",
        "family name",
        ("family",),
        (
            LevelSpec(
                "exact",
                lambda a, b: a.family == b.family,
                _exact("family", True),
                0.80,
                0.005,
                True,
            ),
            LevelSpec(
                "is their given name (names swapped)",
                lambda a, b: a.family == b.given or a.given == b.family,
                _custom("family_l = given_r OR given_l = family_r", "names swapped"),
                0.02,
                0.0001,
            ),
            LevelSpec(
                "very similar",
                lambda a, b: _jw(a.family, b.family) >= 0.92,
                _jaro("family", 0.92),
                0.08,
                0.002,
            ),
            LevelSpec(
                "one part of a double-barrelled name",
                lambda a, b: bool(a.family_tokens & b.family_tokens),
                _intersect("family_tokens"),
                0.04,
                0.001,
            ),
            LevelSpec(
                "similar",
                lambda a, b: _jw(a.family, b.family) >= 0.80,
                _jaro("family", 0.80),
                0.03,
                0.02,
            ),
            _else_level(0.03, 0.972),
        ),
    ),
    ComparisonSpec(
        "date_of_birth",
        "date of birth",
        ("dob",),
        (
            LevelSpec("exact", lambda a, b: a.dob == b.dob, _exact("dob"), 0.85, 0.0001),
            LevelSpec(
                "day/month swapped",
                lambda a, b: a.dob_swapped is not None and a.dob_swapped == b.dob,
                _custom("dob_swapped_l = dob_r", "day/month swapped"),
                0.03,
                0.00001,
            ),
            LevelSpec(
                "one digit different",
                lambda a, b: DamerauLevenshtein.distance(a.dob or "", b.dob or "") <= 1,
                _damerau("dob", 1),
                0.07,
                0.003,
            ),
            LevelSpec(
                "two digits different",
                lambda a, b: DamerauLevenshtein.distance(a.dob or "", b.dob or "") <= 2,
                _damerau("dob", 2),
                0.02,
                0.03,
            ),
            _else_level(0.03, 0.9669),
        ),
    ),
    ComparisonSpec(
        "postcode",
        "postcode",
        ("postcode",),
        (
            LevelSpec(
                "exact",
                lambda a, b: a.postcode == b.postcode,
                _exact("postcode", True),
                0.65,
                0.0005,
                True,
            ),
            LevelSpec(
                "same district",
                lambda a, b: a.outward == b.outward,
                _exact("outward"),
                0.10,
                0.01,
            ),
            _else_level(0.25, 0.9895),
        ),
    ),
    ComparisonSpec(
        "address",
        "address",
        ("address",),
        (
            LevelSpec(
                "exact", lambda a, b: a.address == b.address, _exact("address"), 0.55, 0.0005
            ),
            LevelSpec(
                "very similar",
                lambda a, b: _jw(a.address, b.address) >= 0.90,
                _jaro("address", 0.90),
                0.15,
                0.002,
            ),
            LevelSpec(
                "similar",
                lambda a, b: _jw(a.address, b.address) >= 0.75,
                _jaro("address", 0.75),
                0.05,
                0.05,
            ),
            _else_level(0.25, 0.9475),
        ),
    ),
    ComparisonSpec(
        "sex",
        "sex",
        ("sex",),
        (
            LevelSpec("same", lambda a, b: a.sex == b.sex, _exact("sex"), 0.98, 0.5),
            _else_level(0.02, 0.5),
        ),
    ),
    ComparisonSpec(
        "phone",
        "phone",
        ("phone",),
        (
            LevelSpec("exact", lambda a, b: a.phone == b.phone, _exact("phone"), 0.6, 0.0001),
            _else_level(0.4, 0.9999),
        ),
    ),
    ComparisonSpec(
        "email",
        "email",
        ("email",),
        (
            LevelSpec("exact", lambda a, b: a.email == b.email, _exact("email"), 0.6, 0.0001),
            _else_level(0.4, 0.9999),
        ),
    ),
    ComparisonSpec(
        "national_number",
        "national number",
        ("national_number",),
        (
            LevelSpec(
                "exact",
                lambda a, b: a.national_number == b.national_number,
                _exact("national_number"),
                0.85,
                0.00001,
            ),
            LevelSpec(
                "one or two characters different",
                lambda a, b: (
                    DamerauLevenshtein.distance(a.national_number or "", b.national_number or "")
                    <= 2
                ),
                _damerau("national_number", 2),
                0.10,
                0.001,
            ),
            _else_level(0.05, 0.99899),
        ),
    ),
)


def splink_comparisons() -> list[Any]:
    """The comparisons as Splink ``CustomComparison`` objects (null level first)."""
    import splink.comparison_library as cl

    cll = _splink()
    result = []
    for spec in COMPARISONS:
        levels = [cll.NullLevel(spec.columns[0])] + [level.splink() for level in spec.levels]
        result.append(
            cl.CustomComparison(
                levels, output_column_name=spec.name, comparison_description=spec.label
            )
        )
    return result


# --- Parameters ---------------------------------------------------------------------------


DEFAULT_PRIOR = 1e-4
DEFAULT_UPPER = 0.95
DEFAULT_LOWER = 0.5


@dataclass(frozen=True)
class LevelParams:
    label: str
    m: float
    u: float

    @property
    def weight(self) -> float:
        """log2 Bayes factor of this level."""
        return math.log2(self.m / self.u)


@dataclass(frozen=True)
class ComparisonParams:
    name: str
    label: str
    levels: tuple[LevelParams, ...]  # same order as ComparisonSpec.levels (null excluded)


@dataclass(frozen=True)
class FieldComparison:
    field: str
    label: str  # "date of birth day/month swapped"
    level: str  # "day/month swapped", "unknown"
    weight: float
    left: str
    right: str
    title: str = ""  # the field in words: "date of birth"


@dataclass(frozen=True)
class ScoreResult:
    probability: float
    match_weight: float
    fields: list[FieldComparison] = field(default_factory=list)

    @property
    def explanation(self) -> str:
        return ", ".join(f.label for f in self.fields if f.level != "unknown")


def _shown(prepared: Prepared, column: str) -> str:
    value = getattr(prepared, column)
    return "" if value is None else str(value)


@dataclass(frozen=True)
class LinkParameters:
    """A model's parameters: the prior, m/u per comparison level, the two thresholds."""

    version: int
    prior: float
    comparisons: tuple[ComparisonParams, ...]
    upper_threshold: float
    lower_threshold: float

    def level_of(self, spec: ComparisonSpec, a: Prepared, b: Prepared) -> int | None:
        """The index of the first level the pair meets, or None when either is unknown."""
        column = spec.columns[0]
        if getattr(a, column) is None or getattr(b, column) is None:
            return None
        for index, level in enumerate(spec.levels):
            if level.test(a, b):
                return index
        return len(spec.levels) - 1

    def score_prepared(self, a: Prepared, b: Prepared) -> ScoreResult:
        weight = math.log2(self.prior / (1 - self.prior))
        fields: list[FieldComparison] = []
        for spec, params in zip(COMPARISONS, self.comparisons, strict=True):
            index = self.level_of(spec, a, b)
            column = spec.columns[0]
            if index is None:
                fields.append(
                    FieldComparison(
                        spec.name,
                        f"{spec.label} unknown",
                        "unknown",
                        0.0,
                        _shown(a, column),
                        _shown(b, column),
                        spec.label,
                    )
                )
                continue
            level = params.levels[index]
            weight += level.weight
            fields.append(
                FieldComparison(
                    spec.name,
                    f"{spec.label} {level.label}",
                    level.label,
                    level.weight,
                    _shown(a, column),
                    _shown(b, column),
                    spec.label,
                )
            )
        probability = 1 / (1 + 2 ** (-weight)) if weight > -1000 else 0.0
        return ScoreResult(probability=probability, match_weight=weight, fields=fields)

    def score(self, a: IdentityRecord, b: IdentityRecord) -> ScoreResult:
        return self.score_prepared(Prepared.of(a), Prepared.of(b))

    def decide(self, probability: float) -> str:
        """ "link", "review" or "new" for a match probability."""
        if probability >= self.upper_threshold:
            return "link"
        if probability >= self.lower_threshold:
            return "review"
        return "new"


def default_parameters() -> LinkParameters:
    """The documented default, used until a network trains a model: the m/u written next to
    each level in ``COMPARISONS``, a prior of 1 in 10,000, thresholds 0.95 and 0.5."""
    return LinkParameters(
        version=0,
        prior=DEFAULT_PRIOR,
        comparisons=tuple(
            ComparisonParams(
                spec.name,
                spec.label,
                tuple(LevelParams(level.label, level.m, level.u) for level in spec.levels),
            )
            for spec in COMPARISONS
        ),
        upper_threshold=DEFAULT_UPPER,
        lower_threshold=DEFAULT_LOWER,
    )


def parameters_from_settings(
    settings: dict[str, Any], *, version: int, upper: float, lower: float
) -> LinkParameters:
    """Read the trained m/u out of a Splink settings dict (as saved in ``LinkageModel``).
    A level Splink could not train (no observations) keeps its documented default."""
    by_name = {c["output_column_name"]: c for c in settings["comparisons"]}
    comparisons = []
    for spec in COMPARISONS:
        trained = [
            level
            for level in by_name[spec.name]["comparison_levels"]
            if not level.get("is_null_level")
        ]
        if len(trained) != len(spec.levels):
            raise ValueError(f"The saved model's {spec.label} comparison has other levels")
        levels = []
        for level_spec, level in zip(spec.levels, trained, strict=True):
            m = level.get("m_probability") or level_spec.m
            u = level.get("u_probability") or level_spec.u
            levels.append(LevelParams(level_spec.label, max(float(m), 1e-9), max(float(u), 1e-9)))
        comparisons.append(ComparisonParams(spec.name, spec.label, tuple(levels)))
    return LinkParameters(
        version=version,
        prior=float(settings.get("probability_two_random_records_match", DEFAULT_PRIOR)),
        comparisons=tuple(comparisons),
        upper_threshold=upper,
        lower_threshold=lower,
    )


def current_parameters(network: Network | int) -> LinkParameters:
    """The newest trained model of the network, or ``default_parameters()``."""
    from wraparound.linkage.models import LinkageModel

    network_id = network if isinstance(network, int) else network.pk
    model = LinkageModel.objects.filter(network_id=network_id).order_by("-version").first()
    if model is None:
        return default_parameters()
    return parameters_from_settings(
        model.settings,
        version=model.version,
        upper=model.upper_threshold,
        lower=model.lower_threshold,
    )


def prepared_columns() -> Sequence[str]:
    return [f.name for f in Prepared.__dataclass_fields__.values()]
