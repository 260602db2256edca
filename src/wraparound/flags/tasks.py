"""The periodic flag refresh: gaps appear with time alone, not with a write."""

from __future__ import annotations

from wraparound.core.models import Network
from wraparound.flags.services import flags_refresh_network


def refresh_all() -> dict[str, int]:
    raised = resolved = 0
    for network_id in Network.objects.values_list("pk", flat=True):
        r, s = flags_refresh_network(network_id=network_id)
        raised, resolved = raised + r, resolved + s
    return {"raised": raised, "resolved": resolved}
