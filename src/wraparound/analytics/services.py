"""Writes of reporting configuration: shared targets and crisis unit costs, each a new
version (never an edit), by a network administrator or manager, audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import Role
from wraparound.analytics.models import CrisisUnitCosts, SharedTarget, TargetDirection
from wraparound.analytics.outcomes import OUTCOMES_BY_CODE
from wraparound.assessments.models import Tier
from wraparound.audit.services import audit_record
from wraparound.crisis.models import CrisisKind

CONFIG_ROLES = frozenset({Role.NETWORK_ADMIN, Role.MANAGER})


def _network_id(actor: Actor) -> int:
    membership = actor.require_membership()
    if membership.role not in CONFIG_ROLES:
        raise PermissionDenied("Targets and unit costs are set by managers and network admins")
    return membership.organisation.network_id


def _percent(value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"target_percent": f"'{value}' is not a number"}) from None
    if not Decimal(0) <= number <= Decimal(100):
        raise ValidationError({"target_percent": "A target is a percentage from 0 to 100"})
    return number.quantize(Decimal("0.1"))


@transaction.atomic
def target_define(
    *,
    actor: Actor,
    code: str,
    title: str,
    outcome: str,
    target_percent: Any,
    tier: str = "",
    direction: str = TargetDirection.AT_LEAST,
    due_on: dt.date | None = None,
    note: str = "",
    retired: bool = False,
) -> SharedTarget:
    """A new version of the shared target ``code`` (the first when new). Refuses an outcome
    that is not defined, a tier that does not exist and a percentage outside 0-100."""
    network_id = _network_id(actor)
    errors: dict[str, str] = {}
    if outcome not in OUTCOMES_BY_CODE:
        errors["outcome"] = (
            f"There is no outcome '{outcome}': choose one of {', '.join(sorted(OUTCOMES_BY_CODE))}"
        )
    if tier and tier not in Tier.values:
        errors["tier"] = f"There is no tier '{tier}'"
    if direction not in TargetDirection.values:
        errors["direction"] = "A target is either a floor (at least) or a ceiling (at most)"
    if not code.strip() or not title.strip():
        errors["title" if code.strip() else "code"] = "Give the target a code and a title"
    if errors:
        raise ValidationError(errors)
    percent = _percent(target_percent)
    latest = (
        SharedTarget.objects.select_for_update()
        .filter(network_id=network_id, code=code)
        .order_by("-version")
        .first()
    )
    target = SharedTarget.objects.create(
        network_id=network_id,
        code=code.strip(),
        version=(latest.version if latest else 0) + 1,
        title=title.strip(),
        outcome=outcome,
        tier=tier,
        direction=direction,
        target_percent=percent,
        due_on=due_on,
        note=note,
        retired=retired,
        created_by=actor.user if actor.user and actor.user.pk else None,
    )
    audit_record(
        actor=actor,
        action="analytics.target_define",
        target=target,
        summary=f"Shared target {target.code} v{target.version}: {percent}% on {outcome}",
    )
    return target


def current_targets(*, network_id: int) -> list[SharedTarget]:
    """The newest version of each target code, without retired ones (configuration)."""
    newest: dict[str, SharedTarget] = {}
    for target in SharedTarget.objects.filter(network_id=network_id).order_by("code", "version"):
        newest[target.code] = target
    return [t for t in newest.values() if not t.retired]


@transaction.atomic
def unit_costs_set(*, actor: Actor, costs: dict[str, Any], source: str) -> CrisisUnitCosts:
    """A new version of the crisis unit costs; every kind must be a known crisis kind with a
    non-negative amount, and the source of the figures must be said."""
    network_id = _network_id(actor)
    unknown = sorted(set(costs) - set(CrisisKind.values))
    if unknown:
        raise ValidationError({"costs": f"Unknown crisis kinds: {', '.join(unknown)}"})
    checked: dict[str, float] = {}
    for kind, amount in costs.items():
        try:
            value = float(amount)
        except (TypeError, ValueError):
            raise ValidationError({"costs": f"The cost of {kind} is not a number"}) from None
        if value < 0:
            raise ValidationError({"costs": f"The cost of {kind} cannot be negative"})
        checked[kind] = value
    if not source.strip():
        raise ValidationError({"source": "Say where the unit costs come from"})
    latest = (
        CrisisUnitCosts.objects.select_for_update()
        .filter(network_id=network_id)
        .order_by("-version")
        .first()
    )
    row = CrisisUnitCosts.objects.create(
        network_id=network_id,
        version=(latest.version if latest else 0) + 1,
        costs=checked,
        source=source.strip(),
        created_by=actor.user if actor.user and actor.user.pk else None,
    )
    audit_record(
        actor=actor,
        action="analytics.unit_costs_set",
        target=row,
        summary=f"Crisis unit costs v{row.version}",
    )
    return row


def current_unit_costs(*, network_id: int) -> CrisisUnitCosts | None:
    return CrisisUnitCosts.objects.filter(network_id=network_id).order_by("-version").first()
