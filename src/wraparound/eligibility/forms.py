"""Staff forms: circumstances, rules, parameters. Parsing here; rules in the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from wraparound.core.forms import GovukDateField, ServiceForm
from wraparound.directory.needs import NeedCategory
from wraparound.eligibility.engine import ParamUnit
from wraparound.eligibility.facts import (
    Benefit,
    EmploymentStatus,
    HousingStatus,
    IncomeSource,
)
from wraparound.eligibility.models import Circumstances
from wraparound.eligibility.services import FIELD_CATEGORIES, CircumstancesInput

YES_NO_UNKNOWN = [("", "Not asked"), ("yes", "Yes"), ("no", "No")]


def _tristate(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class CircumstancesForm(ServiceForm):
    income_monthly = forms.DecimalField(
        label="Their own monthly income, in pounds",
        required=False,
        min_value=Decimal(0),
        max_digits=10,
        decimal_places=2,
        help_text="Leave empty if not known. Household income is the sum of every member's.",
        error_messages={"invalid": "Enter the monthly income as a number, like 1420 or 1420.50"},
    )
    income_sources = forms.MultipleChoiceField(
        label="Where their income comes from",
        required=False,
        choices=IncomeSource.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    benefits = forms.MultipleChoiceField(
        label="Benefits they receive",
        required=False,
        choices=Benefit.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    housing_status = forms.ChoiceField(
        label="Housing", required=False, choices=[("", "Not asked"), *HousingStatus.choices]
    )
    employment_status = forms.ChoiceField(
        label="Employment",
        required=False,
        choices=[("", "Not asked"), *EmploymentStatus.choices],
    )
    disabled = forms.ChoiceField(
        label="Do they have a disability or long-term condition?",
        required=False,
        choices=YES_NO_UNKNOWN,
        widget=forms.RadioSelect,
    )
    carer = forms.ChoiceField(
        label="Do they look after someone who is ill, disabled or older?",
        required=False,
        choices=YES_NO_UNKNOWN,
        widget=forms.RadioSelect,
    )
    needs = forms.MultipleChoiceField(
        label="Assessed needs",
        required=False,
        choices=NeedCategory.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    services_received = forms.CharField(
        label="Services and programmes they already receive",
        required=False,
        max_length=2000,
        help_text="References, one per line, for example S-000012 or PG-000003",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, hidden: set[str] | frozenset[str] = frozenset(), **kwargs: Any):
        super().__init__(*args, **kwargs)
        # What the worker may not see is not on the form at all (and is kept as it was).
        for name in hidden:
            del self.fields[name]

    @staticmethod
    def initial_from(row: Circumstances | None) -> dict[str, Any]:
        if row is None:
            return {}

        def tri(value: bool | None) -> str:
            return "" if value is None else ("yes" if value else "no")

        return {
            "income_monthly": row.income_monthly,
            "income_sources": row.income_sources or [],
            "benefits": row.benefits or [],
            "housing_status": row.housing_status,
            "employment_status": row.employment_status,
            "disabled": tri(row.disabled),
            "carer": tri(row.carer),
            "needs": row.needs or [],
            "services_received": "\n".join(row.services_received or []),
        }

    def to_input(self) -> CircumstancesInput:
        data = self.cleaned_data
        shown = set(self.fields)

        def get(name: str, default: Any = None) -> Any:
            return data.get(name, default) if name in shown else None

        return CircumstancesInput(
            income_monthly=get("income_monthly"),
            income_sources=list(get("income_sources") or []) if "income_sources" in shown else None,
            benefits=list(get("benefits") or []) if "benefits" in shown else None,
            housing_status=get("housing_status") or "",
            employment_status=get("employment_status") or "",
            disabled=_tristate(get("disabled") or ""),
            carer=_tristate(get("carer") or ""),
            needs=list(get("needs") or []) if "needs" in shown else None,
            services_received=(
                [r for r in (get("services_received") or "").splitlines() if r.strip()]
                if "services_received" in shown
                else None
            ),
        )


CIRCUMSTANCES_FIELDS = tuple(FIELD_CATEGORIES)


class RuleForm(ServiceForm):
    expression = forms.CharField(
        label="Rule",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "wa-code"}),
        help_text="A CEL expression over the facts, for example: "
        'household.income_monthly <= param("low_income_threshold", household.size)',
        error_messages={"required": "Enter the rule"},
    )
    summary = forms.CharField(
        label="The rule in a sentence",
        required=False,
        max_length=300,
        help_text="For people to read, e.g. 'Low-income households with a food need'",
    )


class ParameterForm(ServiceForm):
    name = forms.CharField(
        label="Name used in rules",
        max_length=60,
        help_text="Letters, digits and underscores, e.g. low_income_threshold",
        error_messages={"required": "Enter the name rules use"},
    )
    label = forms.CharField(
        label="Plain words",
        max_length=120,
        help_text="How explanations say it, e.g. 'low income threshold'",
        error_messages={"required": "Enter the plain words explanations use"},
    )
    unit = forms.ChoiceField(
        label="Unit", choices=[(u.value, u.name.title()) for u in ParamUnit], initial="money"
    )
    key_label = forms.CharField(
        label="For a table: how a key reads",
        required=False,
        max_length=120,
        help_text="With {key} for the key, e.g. 'for a {key}-person household'. "
        "Leave empty for a single value.",
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ParameterValueForm(ServiceForm):
    key = forms.IntegerField(
        label="Key",
        required=False,
        min_value=0,
        max_value=1000,
        help_text="For a table, e.g. the household size; the largest key applies to larger ones",
    )
    value = forms.DecimalField(
        label="Value",
        max_digits=12,
        decimal_places=2,
        error_messages={"required": "Enter the value", "invalid": "Enter a number, like 1600"},
    )
    effective_from = GovukDateField(
        label="In force from", help_text="For example, 1 4 2026", required=True
    )
    effective_to = GovukDateField(
        label="Last day in force", required=False, help_text="Leave empty for no end date"
    )


class ScreeningDateForm(forms.Form):
    on = GovukDateField(label="Screen as on", required=False, help_text="For example, 1 4 2026")
