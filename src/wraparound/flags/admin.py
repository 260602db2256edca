"""Flag thresholds, versioned network configuration (a change is a new version)."""

from __future__ import annotations

from django.contrib import admin

from wraparound.flags.models import FlagSettings
from wraparound.referrals.admin import VersionedAdmin


@admin.register(FlagSettings)
class FlagSettingsAdmin(VersionedAdmin):
    fields = [
        "network",
        "gap_days",
        "home_visits",
        "home_visit_window_days",
        "bounce_rejections",
        "note",
    ]
    list_display = [
        "network",
        "version",
        "gap_days",
        "home_visits",
        "home_visit_window_days",
        "bounce_rejections",
        "created_at",
    ]
    list_filter = ["network"]
