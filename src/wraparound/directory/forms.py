"""Forms of the staff directory."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from wraparound.core.models import Area
from wraparound.directory.needs import NeedCategory


class DirectorySearchForm(forms.Form):
    q = forms.CharField(
        label="Words",
        required=False,
        max_length=200,
        help_text="Any part of the service's or the organisation's name or description",
    )
    need = forms.ChoiceField(
        label="Need",
        required=False,
        choices=[("", "Any need"), *NeedCategory.choices],
    )
    area = forms.ModelChoiceField(
        label="Area",
        required=False,
        queryset=Area.objects.none(),
        empty_label="Anywhere in the network",
    )
    open_now = forms.BooleanField(label="Open now", required=False)
    person = forms.IntegerField(
        label="Eligible for person (record number)",
        required=False,
        min_value=1,
        help_text="Show only services this person is likely eligible for",
    )

    def __init__(self, *args: Any, areas: QuerySet[Area], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.ModelChoiceField)
        area_field.queryset = areas
