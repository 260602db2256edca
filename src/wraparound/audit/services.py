"""Writing audit events, chained (see ``audit/chain.py``).

A write's event is written inside the write's own transaction: it commits with the change it
records, or not at all. Reads are recorded in a transaction of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from wraparound.accounts.actor import Actor
from wraparound.audit.chain import event_hash, lock_chain_head
from wraparound.audit.models import AuditEvent, AuditKind, Decision


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields whose value changed, as {field: [before, after]}."""
    return {
        name: [_jsonable(before.get(name)), _jsonable(value)]
        for name, value in after.items()
        if before.get(name) != value
    }


@dataclass(frozen=True)
class PersonRead:
    """One person's data shown to an actor: what, why, and on what grounds."""

    person_id: int
    categories: Sequence[str]
    decision_reason: str
    break_glass: bool = False
    withheld: Sequence[str] = field(default_factory=tuple)


def _event(
    actor: Actor,
    *,
    kind: str,
    action: str,
    summary: str,
    person_id: int | None,
    target: models.Model | None,
    categories: Iterable[str],
    purpose: str,
    decision: str,
    decision_reason: str,
    changes: dict[str, list[Any]] | None,
    break_glass: bool,
) -> AuditEvent:
    organisation = actor.organisation
    return AuditEvent(
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
        break_glass=break_glass,
    )


def _append(events: list[AuditEvent]) -> list[AuditEvent]:
    """Chain and insert events; the caller holds a transaction."""
    sequence, prev_hash = lock_chain_head()
    for event in events:
        sequence += 1
        event.sequence = sequence
        event.prev_hash = prev_hash
        event.hash = prev_hash = event_hash(event, event.prev_hash)
    return AuditEvent.objects.bulk_create(events)


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
    break_glass: bool = False,
) -> AuditEvent:
    if kind == AuditKind.WRITE and not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"audit_record({action}) must run inside the write's transaction")
    event = _event(
        actor,
        kind=kind,
        action=action,
        summary=summary,
        person_id=person_id,
        target=target,
        categories=categories,
        purpose=purpose,
        decision=decision,
        decision_reason=decision_reason,
        changes=changes,
        break_glass=break_glass,
    )
    with transaction.atomic():
        [saved] = _append([event])
    return saved


def audit_reads(
    *, actor: Actor, action: str, reads: Sequence[PersonRead], purpose: str, summary: str
) -> None:
    """One read event per person shown (a record page, an API get, each row of a list, an
    export), in one transaction."""
    if not reads:
        return
    events = [
        _event(
            actor,
            kind=AuditKind.READ,
            action=action,
            summary=summary,
            person_id=read.person_id,
            target=None,
            categories=read.categories,
            purpose=purpose,
            decision=Decision.ALLOWED,
            decision_reason=read.decision_reason,
            changes={"withheld": list(read.withheld)} if read.withheld else None,
            break_glass=read.break_glass,
        )
        for read in reads
    ]
    with transaction.atomic():
        _append(events)


def audit_denied(
    *,
    actor: Actor,
    action: str,
    person_id: int | None,
    categories: Iterable[str],
    purpose: str,
    reason: str,
) -> None:
    """A refused access, recorded for the privacy officer (the user sees a plain 404)."""
    audit_record(
        actor=actor,
        kind=AuditKind.READ,
        action=action,
        person_id=person_id,
        summary="Access refused",
        categories=categories,
        purpose=purpose,
        decision=Decision.DENIED,
        decision_reason=reason,
    )
