"""The nightly refresh, run by ``run_periodic`` every few minutes: it refreshes only once
the current snapshot is older than ``ANALYTICS_REFRESH_HOURS`` (24 by default)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings

from wraparound.analytics.store import RefreshResult, StoreNotReady, current_snapshot, refresh_store


def refresh_if_due() -> RefreshResult | None:
    hours = float(getattr(settings, "ANALYTICS_REFRESH_HOURS", 24))
    try:
        snapshot = current_snapshot()
    except StoreNotReady:
        return refresh_store()
    made = datetime.strptime(snapshot.name, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    if datetime.now(UTC) - made >= timedelta(hours=hours):
        return refresh_store()
    return None
