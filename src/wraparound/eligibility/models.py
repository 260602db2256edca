"""Eligibility rules (CEL) and their dated parameters, and the circumstances they read.

Rules and parameters are network configuration, kept as versioned data: a rule's every edit
is a new ``RuleVersion`` (the latest is in force), a parameter's every change is a new dated
``ParameterValue`` row (the one whose dates cover the screening date applies). Circumstances
are personal data, versioned the same way: each recording is a new row, the latest counts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.core.models import Network, TimeStampedModel
from wraparound.directory.models import Organisation, Program, Service
from wraparound.eligibility.engine import ParamUnit
from wraparound.eligibility.facts import EmploymentStatus, HousingStatus
from wraparound.people.models import Person


class Parameter(TimeStampedModel):
    """A named value or table a rule reads with ``param("name"[, key])``."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    name = models.SlugField(
        max_length=60,
        help_text='How rules refer to it: param("low_income_threshold", household.size)',
    )
    label = models.CharField(
        max_length=120, help_text="Plain words for explanations, e.g. 'low income threshold'"
    )
    unit = models.CharField(max_length=10, choices=[(u.value, u.name.title()) for u in ParamUnit])
    key_label = models.CharField(
        max_length=120,
        blank=True,
        help_text="For a table: how a key reads, with {key} standing for it, e.g. "
        "'for a {key}-person household'. Empty for a single value.",
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "name"], name="parameter_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def keyed(self) -> bool:
        return bool(self.key_label)


class ParameterValue(models.Model):
    """One value of a parameter (for one key of a table), in force from a date to a date."""

    parameter = models.ForeignKey(Parameter, on_delete=models.CASCADE, related_name="values")
    key = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Table key (e.g. household size); the largest key not "
        "above the one asked for applies, so the last row reads 'or more'.",
    )
    value = models.DecimalField(max_digits=12, decimal_places=2)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Last day in force.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["parameter", "key", "effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="parameter_value_dates_in_order",
            ),
        ]
        indexes = [models.Index(fields=["parameter", "key", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.parameter.name}[{self.key}] = {self.value} from {self.effective_from}"


class Rule(TimeStampedModel):
    """The eligibility rule of one service or one programme; its text lives in versions."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    service = models.OneToOneField(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="eligibility_rule"
    )
    program = models.OneToOneField(
        Program, null=True, blank=True, on_delete=models.CASCADE, related_name="eligibility_rule"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(service__isnull=True, program__isnull=False)
                | Q(service__isnull=False, program__isnull=True),
                name="rule_for_one_service_or_programme",
            )
        ]

    def __str__(self) -> str:
        target = self.service or self.program
        return f"Rule for {target}"


class RuleVersion(models.Model):
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    expression = models.TextField()
    summary = models.CharField(
        max_length=300, blank=True, help_text="The rule in a sentence, for people to read."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rule", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "number"], name="rule_version_unique")
        ]

    def __str__(self) -> str:
        return f"v{self.number}: {self.expression}"


class Circumstances(models.Model):
    """What a worker recorded about a person's circumstances; the latest version counts.

    Lists are null when never recorded and empty when recorded as none; booleans are null
    when not asked.
    """

    personal_data = PersonalData(
        DataCategory.FINANCES,
        field_categories=(
            ("housing_status", DataCategory.HOUSEHOLD),
            ("employment_status", DataCategory.ASSESSMENTS),
            ("carer", DataCategory.ASSESSMENTS),
            ("needs", DataCategory.ASSESSMENTS),
            ("disabled", DataCategory.HEALTH),
            ("services_received", DataCategory.PLANS_REFERRALS),
        ),
    )

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="circumstances")
    version = models.PositiveIntegerField()
    income_monthly = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    income_sources = models.JSONField(null=True, blank=True)
    benefits = models.JSONField(null=True, blank=True)
    housing_status = models.CharField(max_length=30, choices=HousingStatus.choices, blank=True)
    employment_status = models.CharField(
        max_length=30, choices=EmploymentStatus.choices, blank=True
    )
    disabled = models.BooleanField(null=True, blank=True)
    carer = models.BooleanField(null=True, blank=True)
    needs = models.JSONField(null=True, blank=True)
    services_received = models.JSONField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    field_sources = models.JSONField(
        default=dict,
        blank=True,
        help_text="Field -> id of the organisation that recorded its value, for values kept "
        "from an earlier version recorded by another organisation.",
    )

    class Meta:
        ordering = ["person", "-version"]
        verbose_name_plural = "circumstances"
        constraints = [
            models.UniqueConstraint(fields=["person", "version"], name="circumstances_version")
        ]

    def __str__(self) -> str:
        return f"Circumstances v{self.version} of person {self.person_id}"

    def source_of(self, field_name: str) -> int | None:
        """The organisation that recorded this field's value (it may always see it)."""
        source = self.field_sources.get(field_name, self.recorded_by_organisation_id)
        return int(source) if source is not None else None
