"""The reviewer's decision on a grey-zone pair."""

from __future__ import annotations

from django import forms

from wraparound.core.forms import ServiceForm
from wraparound.linkage.models import ReviewLabel


class ReviewDecisionForm(ServiceForm):
    label = forms.ChoiceField(
        label="Are these the same person?",
        choices=ReviewLabel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether these are the same person"},
    )
    reason = forms.CharField(
        label="Reason",
        help_text="What decided it, for whoever reads this later (kept with the decision).",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Give a reason for the decision"},
    )
