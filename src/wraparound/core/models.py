"""Shared base models and the two things every other app hangs from: networks and areas."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Network(TimeStampedModel):
    """A partnership of agencies: the tenancy boundary. Nothing crosses networks."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    break_glass_minutes = models.PositiveIntegerField(
        default=60, help_text="How long an emergency (break-glass) access lasts."
    )

    def __str__(self) -> str:
        return self.name


class AreaLevel(models.TextChoices):
    REGION = "region", "Region"
    DISTRICT = "district", "District"
    NEIGHBOURHOOD = "neighbourhood", "Neighbourhood"


# Which level each level may sit under (regions are roots).
AREA_PARENT_LEVEL: dict[str, str | None] = {
    AreaLevel.REGION: None,
    AreaLevel.DISTRICT: AreaLevel.REGION,
    AreaLevel.NEIGHBOURHOOD: AreaLevel.DISTRICT,
}


class Area(TimeStampedModel):
    """A place in the region > district > neighbourhood hierarchy, with an official code."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="areas")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    level = models.CharField(max_length=20, choices=AreaLevel.choices)
    code = models.CharField(max_length=20, help_text="Official code, e.g. an ONS code.")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "code"], name="area_code_unique_in_network"),
            models.CheckConstraint(
                condition=Q(level=AreaLevel.REGION, parent__isnull=True)
                | (~Q(level=AreaLevel.REGION) & Q(parent__isnull=False)),
                name="area_only_regions_are_roots",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def lineage(self) -> list[Area]:
        """This area and its ancestors, nearest first."""
        chain: list[Area] = []
        node: Area | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain
