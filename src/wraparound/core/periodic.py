"""Periodic jobs: idempotent functions run every few minutes by ``wraparound run_periodic``
(from cron, a systemd timer, or its own ``--loop``). See ADR 0014."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string

# Dotted paths, so the registry imports nothing until run.
JOBS: tuple[str, ...] = (
    "wraparound.referrals.tasks.referral_sla_check",
    "wraparound.flags.tasks.refresh_all",
    "wraparound.analytics.tasks.refresh_if_due",
)


def jobs() -> list[tuple[str, Callable[[], Any]]]:
    return [(path, import_string(path)) for path in JOBS]
