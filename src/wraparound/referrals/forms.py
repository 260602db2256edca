"""Referral forms: thin; the services decide what is allowed."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms

from wraparound.consent.categories import category_label
from wraparound.core.forms import ServiceForm
from wraparound.directory.models import Service
from wraparound.directory.needs import NeedCategory
from wraparound.referrals.models import (
    BUNDLE_CATEGORIES,
    REASONS_FOR,
    ReasonCode,
    ReferralStatus,
    Urgency,
)
from wraparound.referrals.services import MAX_TEXT


class ReferralForm(ServiceForm):
    service = forms.ModelChoiceField(
        label="Service",
        queryset=Service.objects.none(),
        error_messages={"required": "Choose the service to refer to"},
    )
    need = forms.ChoiceField(
        label="Need",
        choices=[("", "Choose the need"), *NeedCategory.choices],
        error_messages={"required": "Choose the need this referral is for"},
    )
    urgency = forms.ChoiceField(
        label="Urgency",
        choices=Urgency.choices,
        initial=Urgency.ROUTINE,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how urgent the referral is"},
    )
    reason = forms.CharField(
        label="Why are you referring the person?",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why you are referring the person"},
    )
    notes = forms.CharField(
        label="Notes for the service (optional)",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    bundle = forms.MultipleChoiceField(
        label="What to share with the service",
        help_text="Their name and contact details always go with a referral. Only what the "
        "person's consent covers can be shared.",
        required=False,
        choices=[(c.value, c.label) for c in BUNDLE_CATEGORIES],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        data: object = None,
        *,
        services: Sequence[Service],
        covered: Sequence[str] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(data, **kwargs)  # type: ignore[arg-type]
        field = self.fields["service"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Service.objects.filter(pk__in=[s.pk for s in services]).select_related(
            "organisation"
        )
        field.label_from_instance = _service_label  # type: ignore[method-assign,assignment]
        if covered:
            bundle = self.fields["bundle"]
            assert isinstance(bundle, forms.MultipleChoiceField)
            bundle.choices = [
                (c.value, f"{c.label}" + (" (consent covers it)" if c in covered else ""))
                for c in BUNDLE_CATEGORIES
            ]


def _service_label(service: Service) -> str:
    return f"{service.name} — {service.organisation.name}"


class TransitionForm(ServiceForm):
    """One move of the lifecycle; the reason fields are required by the service where the
    status needs them (the page shows them only then)."""

    status = forms.ChoiceField(choices=ReferralStatus.choices, widget=forms.HiddenInput)
    reason_code = forms.ChoiceField(
        label="Reason", required=False, choices=[("", "Choose a reason"), *ReasonCode.choices]
    )
    reason = forms.CharField(
        label="Explain",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    outcome = forms.CharField(
        label="What was provided",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def reason_choices(status: str) -> list[tuple[str, str]]:
    return [("", "Choose a reason")] + [
        (code, ReasonCode(code).label) for code in REASONS_FOR.get(status, ())
    ]


def bundle_labels(codes: Sequence[str]) -> list[str]:
    return [category_label(c) for c in codes]
