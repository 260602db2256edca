"""The network's plan settings in force (versioned data; the newest version applies)."""

from __future__ import annotations

from wraparound.core.models import Network
from wraparound.plans.models import PlanSettings


def current_plan_settings(network: Network | int) -> PlanSettings:
    """The newest version for the network, or the defaults (unsaved, version 0) if none."""
    network_id = network if isinstance(network, int) else network.pk
    found = PlanSettings.objects.filter(network_id=network_id).order_by("-version").first()
    return found or PlanSettings(network_id=network_id, version=0)


def plan_settings_versions(*, network: Network) -> list[PlanSettings]:
    """Every saved version, newest first (configuration, not personal data)."""
    return list(
        PlanSettings.objects.filter(network=network)
        .select_related("created_by")
        .order_by("-version")
    )
