"""Forms of the dashboards: the filters (choices from the network's reference data) and the
network's reporting configuration (targets, crisis unit costs)."""

from __future__ import annotations

from typing import Any

from django import forms

from wraparound.analytics.models import TargetDirection
from wraparound.analytics.outcomes import OUTCOMES
from wraparound.assessments.models import Tier
from wraparound.crisis.models import CrisisKind
from wraparound.people.choices import PopulationGroup


class FiltersForm(forms.Form):
    """Shown for the filter controls; the values are checked by ``filters.parse_filters``."""

    area = forms.ChoiceField(required=False, label="Area")
    group = forms.ChoiceField(
        required=False,
        label="Population group",
        choices=[("", "All groups"), *PopulationGroup.choices],
    )
    organisation = forms.ChoiceField(required=False, label="Organisation")
    tier = forms.ChoiceField(
        required=False, label="Tier", choices=[("", "All tiers"), *Tier.choices]
    )

    def __init__(self, data: Any = None, *, network_id: int) -> None:
        from wraparound.core.models import Area
        from wraparound.directory.models import Organisation

        super().__init__(data)
        self.period = {"from": self.data.get("from", ""), "to": self.data.get("to", "")}
        self.fields["area"].choices = [("", "All areas")] + [  # type: ignore[attr-defined]
            (a.code, f"{a.name} ({a.get_level_display().lower()})")
            for a in Area.objects.filter(network_id=network_id).order_by("level", "name")
        ]
        self.fields["organisation"].choices = [("", "All organisations")] + [  # type: ignore[attr-defined]
            (str(pk), name)
            for pk, name in Organisation.objects.filter(network_id=network_id)
            .order_by("name")
            .values_list("pk", "name")
        ]


class TargetForm(forms.Form):
    code = forms.SlugField(max_length=60, help_text="Short name, e.g. housing-6m-intensive")
    title = forms.CharField(max_length=200)
    outcome = forms.ChoiceField(choices=[(o.code, o.title) for o in OUTCOMES])
    tier = forms.ChoiceField(required=False, choices=[("", "All tiers"), *Tier.choices])
    direction = forms.ChoiceField(choices=TargetDirection.choices, initial=TargetDirection.AT_LEAST)
    target_percent = forms.DecimalField(
        min_value=0, max_value=100, decimal_places=1, label="Target (%)"
    )
    due_on = forms.DateField(
        required=False, label="Due by", widget=forms.DateInput({"type": "date"})
    )
    note = forms.CharField(max_length=300, required=False)
    retired = forms.BooleanField(required=False, label="Retire this target")


class UnitCostsForm(forms.Form):
    source = forms.CharField(max_length=500, label="Source of the figures")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in CrisisKind:
            self.fields[f"cost_{kind.value}"] = forms.DecimalField(
                min_value=0, decimal_places=2, label=f"{kind.label} (£ each)"
            )

    def costs(self) -> dict[str, float]:
        return {kind.value: float(self.cleaned_data[f"cost_{kind.value}"]) for kind in CrisisKind}
