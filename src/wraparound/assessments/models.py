"""Assessments: instruments as versioned data, a person's answers, scores, tier and needs.

Instruments, tier rules and need-ordering templates are configuration held as versioned
data (loaded by ``wraparound load_instruments``); an assessment always points at the exact
instrument version and tier-rule version it was taken and tiered with. See ADR 0012.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.core.models import Network, TimeStampedModel
from wraparound.directory.models import Organisation
from wraparound.directory.needs import NeedCategory, PriorityClass
from wraparound.people.models import Person


class InstrumentKind(models.TextChoices):
    MATRIX = "matrix", "Outcome matrix (domains scored 1 to 5)"
    SCREEN = "screen", "Screening questionnaire (positive or negative)"


class Tier(models.TextChoices):
    """The band of support, from self-service to intensive (lowest to highest)."""

    SELF_SERVICE = "self_service", "Self-service"
    LIGHT_TOUCH = "light_touch", "Light touch"
    SUPPORTED = "supported", "Supported"
    INTENSIVE = "intensive", "Intensive"


TIER_RANK: dict[str, int] = {tier.value: rank for rank, tier in enumerate(Tier)}


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    COMPLETED = "completed", "Completed"


# The only moves an assessment may make: a completed assessment is never edited (a new one
# is taken), its tier may only be overridden.
ASSESSMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    AssessmentStatus.DRAFT: frozenset({AssessmentStatus.COMPLETED}),
    AssessmentStatus.COMPLETED: frozenset(),
}


class AnswerStatus(models.TextChoices):
    """An answer given, or one of the two kinds of no answer (distinct from missing, which
    has no row at all)."""

    ANSWERED = "answered", "Answered"
    DECLINED = "declined", "Declined to answer"
    DONT_KNOW = "dont_know", "Does not know"


class Severity(models.TextChoices):
    CRISIS = "crisis", "Crisis"
    HIGH = "high", "High"
    MODERATE = "moderate", "Moderate"


SEVERITY_RANK: dict[str, int] = {
    Severity.CRISIS: 3,
    Severity.HIGH: 2,
    Severity.MODERATE: 1,
}


class Instrument(TimeStampedModel):
    """An assessment tool (the self-sufficiency matrix, the AHC HRSN screen)."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=InstrumentKind.choices)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InstrumentVersion(models.Model):
    """One published version of an instrument: its whole definition as data."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    definition = models.JSONField(help_text="Sections, questions, options, scoring, needs.")
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the canonical definition.")
    is_current = models.BooleanField(default=False)
    loaded_at = models.DateTimeField(auto_now_add=True)
    loaded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["instrument", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "version"], name="instrument_version_unique"
            ),
            models.UniqueConstraint(
                fields=["instrument"],
                condition=Q(is_current=True),
                name="instrument_one_current_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} v{self.version}"


class TierRuleSet(models.Model):
    """Ordered tier rules (CEL over scores and screen results), first match wins."""

    version = models.PositiveIntegerField(unique=True)
    rules = models.JSONField(help_text="[{tier, when, reason}], in order; the last is a default.")
    checksum = models.CharField(max_length=64)
    is_current = models.BooleanField(default=False)
    loaded_at = models.DateTimeField(auto_now_add=True)
    loaded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="tier_rules_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"Tier rules v{self.version}"


class NeedOrderTemplate(models.Model):
    """The order in which needs are met for people in some population groups, as data."""

    code = models.SlugField(max_length=60)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    groups = models.JSONField(
        default=list, help_text="Population groups a person must all be in; [] is the default."
    )
    order = models.JSONField(help_text="Need categories, first met first.")
    precedence = models.PositiveIntegerField(help_text="Lower wins a tie when templates merge.")
    is_current = models.BooleanField(default=False)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["precedence", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="need_template_version"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(is_current=True), name="need_template_one_current"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Assessment(TimeStampedModel):
    personal_data = PersonalData(DataCategory.ASSESSMENTS)

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assessments")
    instrument_version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(
        max_length=10, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", help_text="Who recorded it."
    )
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Resuming a draft: the section the worker was on.
    current_section = models.CharField(max_length=60, blank=True)
    # Set on completion.
    tier = models.CharField(
        max_length=20, choices=Tier.choices, blank=True, help_text="In force (after override)."
    )
    computed_tier = models.CharField(max_length=20, choices=Tier.choices, blank=True)
    tier_reason = models.CharField(max_length=500, blank=True)
    tier_rules = models.ForeignKey(
        TierRuleSet, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-completed_at", "-id"]
        indexes = [
            models.Index(fields=["person", "status", "-completed_at"], name="assessment_latest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=AssessmentStatus.DRAFT)
                | (Q(completed_at__isnull=False) & ~Q(tier="")),
                name="assessment_completed_has_tier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_version} for {self.person_id}"

    @property
    def reference(self) -> str:
        return f"A-{self.pk:06d}" if self.pk else "A-new"

    @property
    def is_draft(self) -> bool:
        return self.status == AssessmentStatus.DRAFT


class Answer(models.Model):
    personal_data = PersonalData(DataCategory.ASSESSMENTS)

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question = models.CharField(max_length=60)
    status = models.CharField(max_length=10, choices=AnswerStatus.choices)
    value = models.JSONField(null=True, blank=True, help_text="The option value, if answered.")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "question"], name="answer_unique"),
            models.CheckConstraint(
                condition=Q(status=AnswerStatus.ANSWERED, value__isnull=False)
                | (~Q(status=AnswerStatus.ANSWERED) & Q(value__isnull=True)),
                name="answer_value_iff_answered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question}={self.value!r} ({self.status})"


class DomainScore(models.Model):
    """A matrix domain's score (1 in crisis … 5 empowered) on one completed assessment."""

    personal_data = PersonalData(DataCategory.ASSESSMENTS)

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    domain = models.CharField(max_length=60)
    score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="None: no answer.")
    answer_status = models.CharField(max_length=10, choices=AnswerStatus.choices, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "domain"], name="domain_score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.domain}={self.score}"


class ScreenResult(models.Model):
    """A screen's rule outcome (e.g. interpersonal safety: total 12 > 10, positive)."""

    personal_data = PersonalData(DataCategory.ASSESSMENTS)

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="screen_results"
    )
    code = models.CharField(max_length=60)
    positive = models.BooleanField()
    total = models.IntegerField(null=True, blank=True)
    explanation = models.CharField(max_length=300)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "code"], name="screen_result_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code}: {'positive' if self.positive else 'negative'}"


class TierOverride(models.Model):
    """A worker's decision to put a person in another tier than the rules gave, and why."""

    personal_data = PersonalData(DataCategory.ASSESSMENTS)

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="overrides")
    from_tier = models.CharField(max_length=20, choices=Tier.choices)
    to_tier = models.CharField(max_length=20, choices=Tier.choices)
    reason = models.CharField(max_length=1000)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-made_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_tier} → {self.to_tier}"


class Need(models.Model):
    """A need found by an assessment, in the order it should be met (position 1 first)."""

    personal_data = PersonalData(DataCategory.ASSESSMENTS)

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="needs")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="needs")
    category = models.CharField(max_length=40, choices=NeedCategory.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    priority_class = models.CharField(max_length=12, choices=PriorityClass.choices)
    position = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=60, help_text="The domain or screen rule that found it.")
    evidence = models.CharField(max_length=300, help_text="e.g. 'housing scored 1 (in crisis)'.")
    explanation = models.CharField(max_length=500, help_text="Why it is at this position.")

    class Meta:
        ordering = ["assessment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "position"], name="need_position"),
            models.UniqueConstraint(fields=["assessment", "category"], name="need_category"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.get_category_display()}"
