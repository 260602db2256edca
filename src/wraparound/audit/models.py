"""The audit trail: one append-only row for every read of personal data and every write.

Tamper-evident: each event carries its position in the chain (``sequence``), the hash of the
event before it and its own hash over its content (see ``audit/chain.py``). Database
triggers refuse UPDATE and DELETE (migration 0002). Person and object ids are plain values,
not foreign keys, so the trail outlives merges and deletions and never blocks them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditKind(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"


class Decision(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    DENIED = "denied", "Denied"


class AuditEvent(models.Model):
    sequence = models.BigIntegerField(unique=True, help_text="Position in the hash chain.")
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=10, choices=AuditKind.choices)
    action = models.CharField(max_length=60, help_text="noun.verb, e.g. case.open")
    summary = models.CharField(max_length=300, help_text="What happened, in plain words.")
    # No database constraint: a user's deletion must neither cascade into nor update the trail.
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150)
    organisation_id = models.BigIntegerField(null=True, blank=True)
    organisation_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=30, blank=True)
    via = models.CharField(max_length=10, help_text="web, api, cli or task")
    network_id = models.BigIntegerField(null=True, blank=True)
    person_id = models.BigIntegerField(null=True, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    categories = models.JSONField(default=list, blank=True)
    purpose = models.CharField(max_length=60, blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.ALLOWED)
    decision_reason = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(
        default=dict, blank=True, help_text="Field: [before, after] for edits."
    )
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    break_glass = models.BooleanField(
        default=False, help_text="The access was allowed only by an emergency (break-glass)."
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["person_id", "kind", "-occurred_at"], name="audit_person_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label}: {self.summary}"
