"""The waitlist's priority score: configurable weights (``WaitlistPolicy``, versioned data)
applied to what is known about each waiting referral, with an explanation of every part so
a position can be justified to the person, the referrer and an auditor.

score = tier weight + urgency weight + need severity x severity weight
        + days waiting x per-day weight + the largest population-group weight
Ties go to whoever has waited longest, then to the older referral.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from wraparound.assessments.models import SEVERITY_RANK, Tier
from wraparound.people.choices import PopulationGroup
from wraparound.referrals.models import Urgency, WaitlistPolicy

DEFAULT_WEIGHTS: dict[str, Any] = {
    "tier": {
        Tier.INTENSIVE: 30,
        Tier.SUPPORTED: 20,
        Tier.LIGHT_TOUCH: 10,
        Tier.SELF_SERVICE: 0,
    },
    "urgency": {Urgency.EMERGENCY: 40, Urgency.URGENT: 20, Urgency.ROUTINE: 0},
    "need_severity": 5,
    "per_day_waiting": 0.5,
    "population_group": {
        PopulationGroup.HOMELESS: 10,
        PopulationGroup.DOMESTIC_ABUSE: 10,
        PopulationGroup.CARE_LEAVER: 5,
    },
}
WEIGHT_KEYS = {"tier", "urgency", "need_severity", "per_day_waiting", "population_group"}
NUMBER_LIMIT = 1000


def _number(value: Any, where: str, errors: list[str]) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.append(f"{where} must be a number")
    elif not -NUMBER_LIMIT <= value <= NUMBER_LIMIT:
        errors.append(f"{where} must be between -{NUMBER_LIMIT} and {NUMBER_LIMIT}")


def _table(value: Any, where: str, allowed: Iterable[str], errors: list[str]) -> None:
    if not isinstance(value, dict):
        errors.append(f"{where} must be a table of code: weight")
        return
    known = set(allowed)
    for code, weight in value.items():
        if code not in known:
            errors.append(f"{where}: unknown code {code!r} (known: {', '.join(sorted(known))})")
        _number(weight, f"{where}.{code}", errors)


def check_weights(weights: Any) -> dict[str, Any]:
    """The weights, or a ValidationError naming every problem."""
    errors: list[str] = []
    if not isinstance(weights, dict):
        raise ValidationError({"weights": ["The weights must be a JSON object"]})
    for key in sorted(set(weights) - WEIGHT_KEYS):
        errors.append(f"unknown weight {key!r} (known: {', '.join(sorted(WEIGHT_KEYS))})")
    for key in sorted(WEIGHT_KEYS - set(weights)):
        errors.append(f"missing weight {key!r}")
    if "tier" in weights:
        _table(weights["tier"], "tier", Tier.values, errors)
    if "urgency" in weights:
        _table(weights["urgency"], "urgency", Urgency.values, errors)
    if "population_group" in weights:
        _table(weights["population_group"], "population_group", PopulationGroup.values, errors)
    for key in ("need_severity", "per_day_waiting"):
        if key in weights:
            _number(weights[key], key, errors)
    if errors:
        raise ValidationError({"weights": errors})
    return weights


def current_policy(network_id: int) -> tuple[int, dict[str, Any]]:
    """(version, weights) in force for the network; version 0 means the defaults."""
    policy = WaitlistPolicy.objects.filter(network_id=network_id).order_by("-version").first()
    if policy is None:
        return 0, DEFAULT_WEIGHTS
    return policy.version, policy.weights


@dataclass(frozen=True)
class Candidate:
    """What the score reads about one waiting referral."""

    entry_id: int
    referral_id: int
    added_at: dt.datetime
    tier: str | None
    urgency: str
    severity: str | None
    population_groups: tuple[str, ...]


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    position: int
    score: float
    explanation: list[str]


def score(
    candidate: Candidate, weights: Mapping[str, Any], *, now: dt.datetime
) -> tuple[float, list[str]]:
    parts: list[str] = []
    total = 0.0
    tier_weight = float(weights["tier"].get(candidate.tier or "", 0))
    total += tier_weight
    parts.append(
        f"tier {Tier(candidate.tier).label.lower() if candidate.tier else 'not assessed'}: "
        f"{tier_weight:+g}"
    )
    urgency_weight = float(weights["urgency"].get(candidate.urgency, 0))
    total += urgency_weight
    parts.append(f"urgency {candidate.urgency}: {urgency_weight:+g}")
    rank = SEVERITY_RANK.get(candidate.severity or "", 0)
    severity_points = rank * float(weights["need_severity"])
    total += severity_points
    parts.append(
        f"need severity {candidate.severity or 'not assessed'} "
        f"({rank} x {weights['need_severity']:g}): {severity_points:+g}"
    )
    days = max((now - candidate.added_at).days, 0)
    waiting_points = days * float(weights["per_day_waiting"])
    total += waiting_points
    parts.append(
        f"{days} days waiting ({days} x {weights['per_day_waiting']:g}): {waiting_points:+g}"
    )
    group_weights = {
        g: float(weights["population_group"].get(g, 0)) for g in candidate.population_groups
    }
    if group_weights:
        group, points = max(group_weights.items(), key=lambda kv: (kv[1], kv[0]))
        if points:
            total += points
            parts.append(f"population group {PopulationGroup(group).label.lower()}: {points:+g}")
    return round(total, 2), parts


def rank(
    candidates: Iterable[Candidate], weights: Mapping[str, Any], *, now: dt.datetime
) -> list[Ranked]:
    scored = [(c, *score(c, weights, now=now)) for c in candidates]
    scored.sort(key=lambda item: (-item[1], item[0].added_at, item[0].referral_id))
    return [
        Ranked(candidate=c, position=i, score=s, explanation=parts)
        for i, (c, s, parts) in enumerate(scored, start=1)
    ]


def candidates_for(service_id: int) -> list[Candidate]:
    """The service's waiting entries with what the score reads (a few queries for any
    number of entries). No access check: callers are the services (offering a freed slot)
    and the waitlist selector, which checks the actor works for the service."""
    from wraparound.assessments.models import AssessmentStatus, Need
    from wraparound.assessments.selectors import latest_tier_subquery
    from wraparound.people.models import PersonPopulationGroup
    from wraparound.referrals.models import WaitlistEntry, WaitlistStatus

    rows = list(
        WaitlistEntry.objects.filter(service_id=service_id, status=WaitlistStatus.WAITING)
        .annotate(tier=latest_tier_subquery("referral__person_id"))
        .values(
            "pk",
            "referral_id",
            "added_at",
            "tier",
            "referral__urgency",
            "referral__need",
            "referral__person_id",
        )
    )
    person_ids = {r["referral__person_id"] for r in rows}
    groups: dict[int, list[str]] = {}
    for person_id, group in PersonPopulationGroup.objects.filter(
        person_id__in=person_ids
    ).values_list("person_id", "group"):
        groups.setdefault(person_id, []).append(group)
    severities: dict[tuple[int, str], str] = {}
    latest: dict[int, int] = {}
    # Newest completed assessment first: only the needs of each person's latest one count.
    for person_id, assessment_id, category, severity in (
        Need.objects.filter(person_id__in=person_ids, assessment__status=AssessmentStatus.COMPLETED)
        .order_by("-assessment__completed_at", "-assessment_id")
        .values_list("person_id", "assessment_id", "category", "severity")
    ):
        if latest.setdefault(person_id, assessment_id) == assessment_id:
            severities[(person_id, category)] = severity
    return [
        Candidate(
            entry_id=r["pk"],
            referral_id=r["referral_id"],
            added_at=r["added_at"],
            tier=r["tier"],
            urgency=r["referral__urgency"],
            severity=severities.get((r["referral__person_id"], r["referral__need"])),
            population_groups=tuple(sorted(groups.get(r["referral__person_id"], []))),
        )
        for r in rows
    ]
