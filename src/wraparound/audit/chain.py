"""The hash chain over audit events.

Each event's hash is SHA-256 over the previous event's hash and a canonical JSON rendering of
the event's content, so changing, removing or inserting any event breaks every hash after
it. ``verify_chain`` recomputes the chain and names the first event that does not fit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection

from wraparound.audit.models import AuditEvent

GENESIS_HASH = "0" * 64

# The fields a hash covers: everything but the database id and the hashes themselves.
HASHED_FIELDS = (
    "sequence",
    "occurred_at",
    "kind",
    "action",
    "summary",
    "actor_user_id",
    "actor_label",
    "organisation_id",
    "organisation_name",
    "role",
    "via",
    "network_id",
    "person_id",
    "object_type",
    "object_id",
    "categories",
    "purpose",
    "decision",
    "decision_reason",
    "changes",
    "request_id",
    "ip_address",
    "break_glass",
)


def _canonical(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def event_hash(event: AuditEvent, prev_hash: str) -> str:
    content = {name: _canonical(getattr(event, name)) for name in HASHED_FIELDS}
    payload = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def lock_chain_head() -> tuple[int, str]:
    """The last (sequence, hash), with appends serialised until this transaction ends.

    PostgreSQL: a transaction-level advisory lock. SQLite: write transactions are already
    serialised (IMMEDIATE mode), so nothing more is needed.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x57A0_A0D1])
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    return last if last is not None else (0, GENESIS_HASH)


@dataclass(frozen=True)
class ChainBreak:
    sequence: int
    event_id: int
    reason: str

    def __str__(self) -> str:
        return f"event #{self.sequence} (id {self.event_id}): {self.reason}"


def verify_chain(*, batch_size: int = 2000) -> Iterator[int | ChainBreak]:
    """Yield the number of events checked so far every batch, and a ChainBreak at the first
    event that does not fit (then stop)."""
    expected_sequence = 1
    prev_hash = GENESIS_HASH
    checked = 0
    last_sequence = 0
    while True:
        batch = list(
            AuditEvent.objects.filter(sequence__gt=last_sequence).order_by("sequence")[:batch_size]
        )
        if not batch:
            return
        for event in batch:
            if event.sequence != expected_sequence:
                yield ChainBreak(
                    event.sequence,
                    event.pk,
                    f"expected event #{expected_sequence} here: events are missing",
                )
                return
            if event.prev_hash != prev_hash:
                yield ChainBreak(event.sequence, event.pk, "does not follow the event before it")
                return
            if event_hash(event, prev_hash) != event.hash:
                yield ChainBreak(event.sequence, event.pk, "its content was changed")
                return
            prev_hash = event.hash
            expected_sequence += 1
            checked += 1
        last_sequence = batch[-1].sequence
        yield checked
