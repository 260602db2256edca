"""The audit trail is tamper-evident (hash chain) and append-only (database triggers)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from wraparound.accounts.actor import Actor
from wraparound.audit.append_only import audit_maintenance, installed_triggers
from wraparound.audit.chain import GENESIS_HASH, event_hash
from wraparound.audit.models import AuditEvent
from wraparound.audit.services import PersonRead, audit_reads, audit_record

pytestmark = pytest.mark.django_db


def record(n: int) -> list[AuditEvent]:
    actor = Actor.system("test")
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                audit_record(actor=actor, action="test.write", summary=f"event {i}", person_id=i)
            )
    return events


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def test_events_form_a_chain():
    first, second, third = record(3)
    assert (first.sequence, second.sequence, third.sequence) == (1, 2, 3)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.hash == event_hash(third, second.hash)
    assert "intact: 3 events" in verify()


def test_bulk_reads_continue_the_chain():
    record(1)
    audit_reads(
        actor=Actor.system("test"),
        action="person.list",
        purpose="care_coordination",
        summary="Listed",
        reads=[PersonRead(i, ["identity"], "test") for i in range(5)],
    )
    assert list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    assert "intact: 6 events" in verify()


@pytest.mark.django_db(transaction=True)
def test_writes_must_be_inside_the_write_transaction():
    with pytest.raises(RuntimeError, match="inside the write's transaction"):
        audit_record(actor=Actor.system("test"), action="x.y", summary="outside")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET summary = 'nothing happened'",
        "DELETE FROM audit_auditevent",
    ],
)
def test_the_database_refuses_changes(statement):
    record(2)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.count() == 2


def test_orm_updates_and_deletes_are_refused_too():
    (event,) = record(1)
    event.summary = "forged"
    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()


def test_triggers_are_installed():
    expected = (
        {"audit_event_no_update", "audit_event_no_delete"}
        if connection.vendor == "sqlite"
        else {"audit_event_append_only", "audit_event_no_truncate"}
    )
    assert installed_triggers() == expected


def tamper(sql: str, params: list) -> None:
    """What an attacker with the power to bypass the triggers could do."""
    with audit_maintenance(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_forged_content_breaks_verify():
    events = record(4)
    tamper("UPDATE audit_auditevent SET summary = %s WHERE id = %s", ["forged", events[2].pk])
    with pytest.raises(CommandError, match=r"event #3 .* its content was changed"):
        verify()


def test_deleted_event_breaks_verify():
    events = record(4)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError, match=r"event #3 .*expected event #2"):
        verify()


def test_forged_row_with_recomputed_own_hash_breaks_verify():
    events = record(3)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.summary = "forged"
    forged.hash = event_hash(forged, forged.prev_hash)  # the forger recomputes its own hash…
    tamper(
        "UPDATE audit_auditevent SET summary = %s, hash = %s WHERE id = %s",
        [forged.summary, forged.hash, forged.pk],
    )
    # …but the next event still points at the original.
    with pytest.raises(CommandError, match=r"event #3 .*does not follow"):
        verify()
