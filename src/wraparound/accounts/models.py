"""Staff users, their memberships of organisations (with a role) and API tokens."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from wraparound.core.models import TimeStampedModel
from wraparound.directory.models import Organisation


class Role(models.TextChoices):
    KEY_WORKER = "key_worker", "Key worker"
    PRACTITIONER = "practitioner", "Practitioner"
    INTAKE_OFFICER = "intake_officer", "Intake officer"
    MANAGER = "manager", "Manager"
    NETWORK_ADMIN = "network_admin", "Network administrator"
    ANALYST = "analyst", "Analyst"
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"


# Roles that work with people's records day to day (as opposed to configuring or auditing).
CASEWORK_ROLES = frozenset({Role.KEY_WORKER, Role.PRACTITIONER, Role.INTAKE_OFFICER, Role.MANAGER})
# Roles that may open a case and register people.
CASE_OPENING_ROLES = frozenset({Role.KEY_WORKER, Role.INTAKE_OFFICER, Role.MANAGER})


class User(AbstractUser):
    """A member of staff. Citizens get their own accounts in the portal (a later issue)."""

    display_name = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def name(self) -> str:
        return str(self)


class Membership(TimeStampedModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=30, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organisation}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiToken(TimeStampedModel):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the raw value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise it.")
    token_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"{self.prefix}… ({self.user}, {state})"

    def touch(self) -> None:
        ApiToken.objects.filter(pk=self.pk).update(last_used_at=timezone.now())
