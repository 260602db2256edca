"""Network configuration for referrals, edited by network administrators in the admin:
the working calendar and the waitlist policy are versioned (a change is a new version, the
newest applies; old versions are never edited), holidays are a list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from wraparound.referrals.models import Holiday, WaitlistPolicy, WorkingCalendar
from wraparound.referrals.waitlist import check_weights


class VersionedAdmin(admin.ModelAdmin):
    """New versions only: a saved version is history."""

    readonly_fields = ["version", "created_at", "created_by"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        latest = type(obj).objects.filter(network=obj.network).order_by("-version").first()
        obj.version = (latest.version if latest else 0) + 1
        obj.created_by = request.user
        super().save_model(request, obj, form, change)


class WorkingCalendarForm(forms.ModelForm):
    working_days = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=[
            (1, "Monday"),
            (2, "Tuesday"),
            (3, "Wednesday"),
            (4, "Thursday"),
            (5, "Friday"),
            (6, "Saturday"),
            (7, "Sunday"),
        ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one working day"},
    )

    class Meta:
        model = WorkingCalendar
        fields = ["network", "day_starts", "day_ends", "working_days", "note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("day_starts"), data.get("day_ends")
        if starts and ends and ends <= starts:
            self.add_error("day_ends", "The working day must end after it starts")
        return data


@admin.register(WorkingCalendar)
class WorkingCalendarAdmin(VersionedAdmin):
    form = WorkingCalendarForm
    list_display = ["network", "version", "day_starts", "day_ends", "working_days", "created_at"]
    list_filter = ["network"]


class WaitlistPolicyForm(forms.ModelForm):
    class Meta:
        model = WaitlistPolicy
        fields = ["network", "weights", "note"]

    def clean_weights(self) -> Any:
        try:
            return check_weights(self.cleaned_data["weights"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["weights"]) from error


@admin.register(WaitlistPolicy)
class WaitlistPolicyAdmin(VersionedAdmin):
    form = WaitlistPolicyForm
    list_display = ["network", "version", "note", "created_at"]
    list_filter = ["network"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["network", "on", "name"]
    list_filter = ["network"]
    ordering = ["-on"]
