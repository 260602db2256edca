"""Template filters for plans pages and the caseload."""

from __future__ import annotations

from django import template

from wraparound.assessments.models import Tier

register = template.Library()

TIER_LABELS = dict(Tier.choices)


@register.filter
def tier_label(code: str | None) -> str:
    """The tier's name ("Intensive"), or "" when the person has no assessed tier."""
    return str(TIER_LABELS.get(code or "", ""))
