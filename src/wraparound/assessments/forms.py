"""Forms for assessments: one page per instrument section, built from the definition."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wraparound.assessments.definition import DECLINED, DONT_KNOW, Section
from wraparound.assessments.models import Tier
from wraparound.core.forms import ServiceForm

NO_ANSWER_CHOICES = [(DECLINED, _("Declined to answer")), (DONT_KNOW, _("Does not know"))]


class SectionForm(ServiceForm):
    """The questions of one section. Nothing is required here: a draft may be saved part
    done; completing the assessment checks that required questions are answered."""

    def __init__(self, data: Any = None, *, section: Section, initial: dict[str, Any]) -> None:
        super().__init__(data, initial=initial)
        self.section = section
        for q in section.questions:
            choices = [(str(o.value), o.label) for o in q.options] + NO_ANSWER_CHOICES
            field: forms.Field
            if q.multiple:
                field = forms.MultipleChoiceField(
                    choices=choices, required=False, widget=forms.CheckboxSelectMultiple
                )
            else:
                field = forms.ChoiceField(choices=choices, required=False, widget=forms.RadioSelect)
            field.label = q.text
            hint = [] if q.required else [str(_("Optional: leave blank if it does not apply."))]
            if q.loinc:
                hint.append(f"LOINC {q.loinc}")
            field.help_text = " ".join(hint)
            self.fields[q.code] = field

    def answers(self) -> dict[str, object]:
        """The section's answers for the services: option values, a no-answer value, a list
        for a multiple question, or "" to clear."""
        answers: dict[str, object] = {}
        for q in self.section.questions:
            value = self.cleaned_data.get(q.code)
            if q.multiple:
                chosen = list(value or [])
                no_answer = [v for v in chosen if v in (DECLINED, DONT_KNOW)]
                if no_answer and len(chosen) == 1:
                    answers[q.code] = no_answer[0]
                else:
                    answers[q.code] = chosen or ""
            else:
                answers[q.code] = value or ""
        return answers


def initial_answers(section: Section, saved: dict[str, Any]) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for q in section.questions:
        if q.code not in saved:
            continue
        value = saved[q.code]
        if q.multiple:
            initial[q.code] = [str(v) for v in value] if isinstance(value, list) else [value]
        else:
            initial[q.code] = str(value)
    return initial


class StartForm(forms.Form):
    instrument = forms.ChoiceField(label=_("Instrument"), widget=forms.RadioSelect)

    def __init__(self, data: Any = None, *, choices: list[tuple[str, str]]) -> None:
        super().__init__(data)
        self.fields["instrument"].choices = choices  # type: ignore[attr-defined]


class OverrideForm(ServiceForm):
    tier = forms.ChoiceField(label=_("New tier"), choices=Tier.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Why is the tier being changed?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Managers see every change of tier and its reason."),
    )
