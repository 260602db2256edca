from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from wraparound.appointments.models import Place
from wraparound.core.forms import GovukDateField, ServiceForm

TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _time(value: str, label: str) -> dt.time:
    match = TIME.match(value.strip())
    if not match:
        raise ValidationError(f"Enter the {label} as hours and minutes, for example 14:30")
    return dt.time(int(match.group(1)), int(match.group(2)))


class BookingForm(ServiceForm):
    service_field_map = {"starts_at": "starts", "ends_at": "ends"}

    day = GovukDateField(label="Date", error_messages={"required": "Enter the date"})
    starts = forms.CharField(label="Starts", max_length=5, help_text="For example 09:30")
    ends = forms.CharField(label="Ends", max_length=5, help_text="For example 10:30")
    place = forms.ChoiceField(
        label="Where",
        choices=Place.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the appointment is"},
    )
    place_detail = forms.CharField(
        label="Place details (optional)",
        required=False,
        max_length=300,
        help_text="Room, meeting point, call link or phone number",
    )
    purpose = forms.CharField(
        label="What is it for?",
        max_length=200,
        error_messages={"required": "Say what the appointment is for"},
    )
    acknowledge = forms.BooleanField(
        label="Book anyway: I have checked the conflicts shown", required=False
    )

    def clean_starts(self) -> dt.time:
        return _time(self.cleaned_data["starts"], "start time")

    def clean_ends(self) -> dt.time:
        return _time(self.cleaned_data["ends"], "end time")

    def moments(self) -> tuple[dt.datetime, dt.datetime]:
        day = self.cleaned_data["day"]
        return (
            timezone.make_aware(dt.datetime.combine(day, self.cleaned_data["starts"])),
            timezone.make_aware(dt.datetime.combine(day, self.cleaned_data["ends"])),
        )
