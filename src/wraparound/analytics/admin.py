"""Read-only history of the reporting configuration (changes are made on the dashboards'
configuration page, as new versions)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from wraparound.analytics.models import CrisisUnitCosts, SharedTarget


class HistoryAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SharedTarget)
class SharedTargetAdmin(HistoryAdmin):
    list_display = ["network", "code", "version", "title", "outcome", "tier", "target_percent"]
    list_filter = ["network"]


@admin.register(CrisisUnitCosts)
class CrisisUnitCostsAdmin(HistoryAdmin):
    list_display = ["network", "version", "source", "created_at"]
    list_filter = ["network"]
