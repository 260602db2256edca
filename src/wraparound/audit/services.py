"""Writing audit events. Callers are inside their own atomic block: the event commits with
the change it records, or not at all."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models, transaction

from wraparound.accounts.actor import Actor
from wraparound.audit.models import AuditEvent, AuditKind, Decision


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return str(value)
    return str(value)


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields whose value changed, as {field: [before, after]}."""
    return {
        name: [_jsonable(before.get(name)), _jsonable(value)]
        for name, value in after.items()
        if before.get(name) != value
    }


def audit_record(
    *,
    actor: Actor,
    action: str,
    summary: str,
    kind: str = AuditKind.WRITE,
    person_id: int | None = None,
    target: models.Model | None = None,
    categories: Iterable[str] = (),
    purpose: str = "",
    decision: str = Decision.ALLOWED,
    decision_reason: str = "",
    changes: dict[str, list[Any]] | None = None,
) -> AuditEvent:
    if kind == AuditKind.WRITE and not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"audit_record({action}) must run inside the write's transaction")
    organisation = actor.organisation
    return AuditEvent.objects.create(
        kind=kind,
        action=action,
        summary=summary[:300],
        actor_user=actor.user,
        actor_label=actor.display[:150],
        organisation_id=organisation.pk if organisation else None,
        organisation_name=organisation.name if organisation else "",
        role=actor.role,
        via=actor.via,
        network_id=organisation.network_id if organisation else None,
        person_id=person_id,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        categories=sorted(set(categories)),
        purpose=purpose,
        decision=decision,
        decision_reason=decision_reason[:300],
        changes=changes or {},
        request_id=actor.request_id,
        ip_address=actor.ip_address,
    )
