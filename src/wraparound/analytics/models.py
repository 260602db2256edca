"""Network configuration for reporting, kept as versioned data (a change is a new version,
the newest applies, old versions are history): shared targets and crisis unit costs."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wraparound.assessments.models import Tier
from wraparound.core.models import Network


class TargetDirection(models.TextChoices):
    AT_LEAST = "at_least", "At least (higher is better)"
    AT_MOST = "at_most", "At most (lower is better)"


class SharedTarget(models.Model):
    """A target the network sets for an outcome that depends on several agencies, e.g. "70%
    of people in the intensive tier with housing 3+ within 6 months" (outcome
    ``stable_housing_6m``, tier ``intensive``, 70). One row per version of a target code."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(max_length=60)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    outcome = models.CharField(max_length=60, help_text="An outcome code (analytics/outcomes.py)")
    tier = models.CharField(max_length=20, choices=Tier.choices, blank=True)
    target_percent = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    direction = models.CharField(
        max_length=10, choices=TargetDirection.choices, default=TargetDirection.AT_LEAST
    )
    due_on = models.DateField(null=True, blank=True, help_text="When the target should be met")
    retired = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["network", "code", "version"], name="shared_target_version"
            ),
            models.CheckConstraint(
                condition=Q(target_percent__gte=0) & Q(target_percent__lte=100),
                name="shared_target_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def met_by(self, percent: float | None) -> bool | None:
        """Whether a value meets the target (None when the value is suppressed)."""
        if percent is None:
            return None
        if self.direction == TargetDirection.AT_MOST:
            return percent <= float(self.target_percent)
        return percent >= float(self.target_percent)


class CrisisUnitCosts(models.Model):
    """What one crisis event of each kind costs the public purse, for cost-benefit
    figures; ``costs`` maps a crisis kind code to pounds, ``source`` says where the figures
    come from (printed beside every figure that uses them)."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    costs = models.JSONField()
    source = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "version"], name="crisis_costs_version"),
        ]

    def __str__(self) -> str:
        return f"crisis unit costs v{self.version}"
