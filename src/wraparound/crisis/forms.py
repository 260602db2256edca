from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.core.exceptions import ValidationError

from wraparound.core.forms import GovukDateField, ServiceForm
from wraparound.crisis.models import CrisisKind
from wraparound.crisis.services import MAX_DETAIL


class CrisisEventForm(ServiceForm):
    service_field_map = {"occurred_at": "occurred_on"}

    kind = forms.ChoiceField(
        label="What crisis service did the person use?",
        choices=CrisisKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what kind of crisis service the person used"},
    )
    occurred_on = GovukDateField(
        label="Date", error_messages={"required": "Enter the date it happened"}
    )
    occurred_time = forms.CharField(
        label="Time (optional)",
        required=False,
        max_length=5,
        help_text="24-hour clock, for example 14:30",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-4", "inputmode": "numeric"}),
    )
    detail = forms.CharField(
        label="Detail (optional)",
        required=False,
        max_length=MAX_DETAIL,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only what the key worker needs to follow up",
        error_messages={"max_length": f"The detail must be {MAX_DETAIL} characters or fewer"},
    )

    def clean_occurred_time(self) -> time | None:
        value = self.cleaned_data["occurred_time"].strip()
        if not value:
            return None
        try:
            return datetime.strptime(value, "%H:%M").time()
        except ValueError as exc:
            raise ValidationError("Enter the time as hours and minutes, like 14:30") from exc

    def occurred_at(self) -> datetime:
        return datetime.combine(
            self.cleaned_data["occurred_on"], self.cleaned_data["occurred_time"] or time(12, 0)
        )


class DismissAlertForm(ServiceForm):
    reason = forms.CharField(
        label="Why is no further support needed?",
        max_length=MAX_DETAIL,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Say why no further support is needed",
            "max_length": f"The reason must be {MAX_DETAIL} characters or fewer",
        },
    )
