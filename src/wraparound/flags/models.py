"""Coordination flags: the same need served twice (duplication), many agencies visiting one
home in a week ("five cars in the drive"), a planned need with nothing arranged (gap), and
the same need rejected twice (bounce). Raised by detection, acted on by workers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.core.models import Network
from wraparound.people.models import Household, Person


class FlagKind(models.TextChoices):
    DUPLICATION = "duplication", "Duplicated service"
    FIVE_CARS = "five_cars", "Several agencies visiting one home"
    GAP = "gap", "Need with nothing arranged"
    BOUNCE = "bounce", "Need rejected more than once"


class Resolution(models.TextChoices):
    CONSOLIDATED = "consolidated", "Consolidated into one service"
    COORDINATED = "coordinated", "Agencies agreed how to coordinate"
    REFERRED = "referred", "Referred to a service"
    NOT_A_PROBLEM = "not_a_problem", "Checked: not a problem"
    RESOLVED_ITSELF = "resolved_itself", "No longer applies"


class Flag(models.Model):
    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="flags")
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="flags"
    )
    kind = models.CharField(max_length=20, choices=FlagKind.choices)
    key = models.CharField(
        max_length=200, help_text="What the flag is about, e.g. the need; one open flag per key."
    )
    summary = models.CharField(max_length=500)
    details = models.JSONField(default=dict)
    raised_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    resolution_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["person", "resolved_at"], name="flag_person"),
            models.Index(fields=["network", "kind", "resolved_at"], name="flag_network"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "key"],
                condition=Q(resolved_at__isnull=True),
                name="flag_one_open_per_key",
            ),
        ]

    def __str__(self) -> str:
        return self.summary


class FlagSettings(models.Model):
    """A network's thresholds for flags. Never edited: a change is a new version; the
    newest applies (defaults when there is none)."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    gap_days = models.PositiveIntegerField(
        default=14, help_text="A plan need with no referral or enrolment after this many days."
    )
    home_visits = models.PositiveIntegerField(
        default=3, help_text="Home visits by different organisations to one household..."
    )
    home_visit_window_days = models.PositiveIntegerField(
        default=7, help_text="...within this many days."
    )
    bounce_rejections = models.PositiveIntegerField(
        default=2, help_text="Rejections of referrals for the same need."
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "version"], name="flag_settings_version"),
        ]

    def __str__(self) -> str:
        return f"flag settings v{self.version}"
