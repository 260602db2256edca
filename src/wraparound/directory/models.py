"""The service directory. For now: organisations (the HSDS `organization`)."""

from __future__ import annotations

from django.db import models

from wraparound.core.models import Network, TimeStampedModel


class Sector(models.TextChoices):
    HOUSING = "housing", "Housing"
    HEALTH = "health", "Health"
    MENTAL_HEALTH = "mental_health", "Mental health"
    SUBSTANCE_USE = "substance_use", "Substance use"
    LEGAL = "legal", "Legal"
    SOCIAL_SERVICES = "social_services", "Social services"
    EMPLOYMENT = "employment", "Employment"
    EDUCATION = "education", "Education"
    CHILD_AND_FAMILY = "child_and_family", "Child and family"
    DISABILITY = "disability", "Disability"
    INCOME_AND_BENEFITS = "income_and_benefits", "Income and benefits"
    FOOD = "food", "Food"
    JUSTICE = "justice", "Justice"
    OTHER = "other", "Other"


class OrganisationKind(models.TextChoices):
    PUBLIC = "public", "Public body"
    NON_PROFIT = "non_profit", "Non-profit"
    PRIVATE = "private", "Private"


class Organisation(TimeStampedModel):
    """An agency in a network. Later issues extend this into the full HSDS organization."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="organisations")
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=200)
    sector = models.CharField(max_length=30, choices=Sector.choices)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    is_lead = models.BooleanField(
        default=False, help_text="Runs the one-stop centre and holds case management."
    )
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "slug"], name="organisation_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.name
