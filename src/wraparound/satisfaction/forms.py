from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wraparound.core.forms import ServiceForm
from wraparound.satisfaction.models import AGREEMENT, QUESTIONS, SCALES

ERRORS = {
    AGREEMENT: _("Select how much you agree, from strongly disagree to strongly agree"),
    "satisfaction": _("Select how satisfied you are, from very dissatisfied to very satisfied"),
}


class SurveyForm(ServiceForm):
    """The four questions as radios from 1 to 5 with words; only ``overall`` must be
    answered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, question, scale in QUESTIONS:
            required = name == "overall"
            self.fields[name] = forms.TypedChoiceField(
                label=question,
                choices=SCALES[scale],
                coerce=int,
                empty_value=None,
                required=required,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Select how satisfied you are with the support overall"),
                    "invalid_choice": ERRORS[scale],
                },
            )

    def answers(self) -> dict[str, int]:
        return {k: v for k, v in self.cleaned_data.items() if v is not None}
