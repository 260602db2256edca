from __future__ import annotations

from django import forms

from wraparound.core.forms import GovukDateField, ServiceForm
from wraparound.enrolments.models import DeliveryMode, EndReason, EventType


class ServiceEventForm(ServiceForm):
    on = GovukDateField(label="Date", error_messages={"required": "Enter the date"})
    event_type = forms.ChoiceField(
        label="What was delivered",
        choices=[("", "Choose"), *EventType.choices],
        error_messages={"required": "Choose what kind of service was delivered"},
    )
    mode = forms.ChoiceField(
        label="How",
        choices=DeliveryMode.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how it was delivered"},
    )
    units = forms.DecimalField(
        label="Units",
        initial=1,
        min_value=0.01,
        max_digits=8,
        decimal_places=2,
        error_messages={
            "required": "Enter the units delivered",
            "invalid": "Units must be a number",
        },
    )
    duration_minutes = forms.IntegerField(
        label="Duration in minutes (optional)",
        required=False,
        error_messages={"invalid": "Enter the duration as a whole number of minutes"},
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=500)


class EndEnrolmentForm(ServiceForm):
    service_field_map = {"end_note": "note"}

    ended_on = GovukDateField(label="Date it ended", error_messages={"required": "Enter the date"})
    end_reason = forms.ChoiceField(
        label="Why did it end?",
        choices=EndReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the enrolment ended"},
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=500)
