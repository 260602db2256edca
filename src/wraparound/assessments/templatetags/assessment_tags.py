"""The person record page's assessment summary: the tier in force, if the viewer may see it."""

from __future__ import annotations

from typing import Any

from django import template

from wraparound.accounts.actor import actor_from_request
from wraparound.assessments.models import Tier
from wraparound.assessments.selectors import current_tier

register = template.Library()


@register.simple_tag(takes_context=True)
def latest_tier(context: dict[str, Any], person: Any) -> str:
    """The label of the person's tier in force ("" if none or not for this viewer)."""
    request = context.get("request")
    if request is None:
        return ""
    tier = current_tier(actor=actor_from_request(request), person=person)
    return Tier(tier).label if tier else ""
