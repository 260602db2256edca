"""Staff forms of the trust layer: consents, withdrawals, legal bases, emergency access and its
review, and withholding an address. Parsing here; the rules are in the services."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from wraparound.accounts.models import Membership, User
from wraparound.consent.categories import SENSITIVE_CATEGORIES, STANDARD_CATEGORIES, DataCategory
from wraparound.consent.models import (
    BreakGlassReason,
    Evidence,
    LegalBasisKind,
    Purpose,
    RecipientKind,
    Review,
)
from wraparound.consent.services import LEGAL_BASIS_MAX_DAYS, MIN_JUSTIFICATION
from wraparound.core.forms import GovukDateField, ServiceForm
from wraparound.core.models import Network
from wraparound.directory.models import Organisation, Sector

SENSITIVE_CHOICES = [(c.value, c.label) for c in DataCategory if c in SENSITIVE_CATEGORIES]
STANDARD_CHOICES = [(c.value, c.label) for c in STANDARD_CATEGORIES]
UNKNOWN_CATEGORY = {"invalid_choice": "Unknown category: %(value)s"}


def start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day``, local time."""
    return timezone.make_aware(datetime.combine(day, time.min))


def end_of_day(day: date) -> datetime:
    """The last moment of ``day``, local time: a consent 'until 31 March' covers that day."""
    return timezone.make_aware(datetime.combine(day, time.max))


def organisation_choices(network: Network, *, blank: str) -> list[tuple[str, str]]:
    organisations = Organisation.objects.filter(network=network).order_by("name")
    return [("", blank)] + [(str(o.pk), o.name) for o in organisations]


def _set_choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class _SharingForm(ServiceForm):
    """What the consent and legal-basis forms share: a recipient organisation of the network
    and the categories of information, standard and sensitive."""

    organisation_blank = "Choose one"

    categories = forms.MultipleChoiceField(
        label="Standard information",
        required=False,
        choices=STANDARD_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages=UNKNOWN_CATEGORY,
    )
    sensitive_categories = forms.MultipleChoiceField(
        label="Sensitive information",
        required=False,
        choices=SENSITIVE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Sensitive: shared only when named here",
        error_messages=UNKNOWN_CATEGORY,
    )

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.network = network
        _set_choices(
            self,
            "recipient_organisation",
            organisation_choices(network, blank=self.organisation_blank),
        )

    def organisation(self) -> Organisation | None:
        """The chosen organisation, looked up within the network."""
        value = self.cleaned_data.get("recipient_organisation")
        if not value:
            return None
        return Organisation.objects.filter(pk=int(value), network=self.network).first()

    def all_categories(self) -> list[str]:
        data = self.cleaned_data
        return [*data["categories"], *data["sensitive_categories"]]


class ConsentForm(_SharingForm):
    field_order = [
        "recipient_kind", "recipient_organisation", "recipient_sector", "purpose",
        "purpose_detail", "categories", "sensitive_categories", "valid_from", "valid_until",
        "evidence", "evidence_note",
    ]  # fmt: skip
    recipient_kind = forms.ChoiceField(
        label="Who may the information be shared with?",
        choices=RecipientKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who the information may be shared with"},
    )
    recipient_organisation = forms.ChoiceField(
        label="Organisation",
        required=False,
        choices=[],
        help_text="When the consent is for one organisation",
        error_messages={"invalid_choice": "That organisation is not in this network"},
    )
    recipient_sector = forms.ChoiceField(
        label="Sector",
        required=False,
        choices=[("", "Choose a sector"), *Sector.choices],
        help_text="When the consent is for every organisation of a sector",
        error_messages={"invalid_choice": "Choose a sector from the list"},
    )
    purpose = forms.ChoiceField(
        label="What may the information be used for?",
        choices=Purpose.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the information may be used for"},
    )
    purpose_detail = forms.CharField(
        label="Which referral?",
        required=False,
        max_length=200,
        help_text="Needed when the consent is for a specific referral",
    )
    valid_from = GovukDateField(
        label="Valid from",
        help_text="For example, 27 3 2026",
        error_messages={"required": "Enter the date the consent starts"},
    )
    valid_until = GovukDateField(
        label="Valid until",
        required=False,
        help_text="Leave blank if the consent has no end date. It lasts to the end of that day.",
    )
    evidence = forms.ChoiceField(
        label="How was the consent given?",
        choices=Evidence.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say how the consent was given"},
    )
    evidence_note = forms.CharField(
        label="Note about the evidence",
        required=False,
        max_length=300,
        help_text="For example, where the signed form is filed",
    )

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, network=network, **kwargs)
        self.fields["sensitive_categories"].help_text = (
            "Sensitive: shared only when named here. Substance use can only be shared "
            "with one named organisation."
        )

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "recipient_kind": data["recipient_kind"],
            "recipient_organisation": self.organisation(),
            "recipient_sector": data["recipient_sector"],
            "purpose": data["purpose"],
            "purpose_detail": data["purpose_detail"],
            "categories": self.all_categories(),
            "valid_from": start_of_day(data["valid_from"]),
            "valid_until": end_of_day(data["valid_until"]) if data["valid_until"] else None,
            "evidence": data["evidence"],
            "evidence_note": data["evidence_note"],
        }


class WithdrawConsentForm(ServiceForm):
    reason = forms.CharField(
        label="Why is the consent withdrawn?",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, what the person said",
    )


class LegalBasisForm(_SharingForm):
    organisation_blank = "Choose an organisation"
    field_order = [
        "kind", "recipient_organisation", "categories", "sensitive_categories", "reason",
        "valid_until",
    ]  # fmt: skip

    kind = forms.ChoiceField(
        label="Legal basis",
        choices=LegalBasisKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the legal basis"},
    )
    recipient_organisation = forms.ChoiceField(
        label="Organisation that may see the information",
        choices=[],
        error_messages={
            "required": "Choose the organisation",
            "invalid_choice": "That organisation is not in this network",
        },
    )
    reason = forms.CharField(
        label="Reason for sharing without consent",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"At least {MIN_JUSTIFICATION} characters: the risk, and who reported it",
        error_messages={"required": "Explain the reason for sharing without consent"},
    )
    valid_until = GovukDateField(
        label="Valid until",
        help_text=f"At most {LEGAL_BASIS_MAX_DAYS} days from today",
        error_messages={"required": "Enter the date the sharing ends"},
    )

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        organisation = self.organisation()
        assert organisation is not None  # a required choice among the network's organisations
        return {
            "kind": data["kind"],
            "recipient_organisation": organisation,
            "categories": self.all_categories(),
            "reason": data["reason"],
            "valid_until": self.legal_basis_end(data["valid_until"]),
        }

    @staticmethod
    def legal_basis_end(day: date) -> datetime:
        """The end of ``day``; on the last day allowed, the moment the maximum runs out (the
        end of that day would be a few hours too long)."""
        latest = timezone.now() + timedelta(days=LEGAL_BASIS_MAX_DAYS)
        if day <= timezone.localdate(latest):
            return min(end_of_day(day), latest)
        return end_of_day(day)


class BreakGlassForm(ServiceForm):
    reference = forms.CharField(
        label="Record number or identifier",
        max_length=60,
        help_text="For example P-000123, an NHS number or a National Insurance number",
        error_messages={"required": "Enter the record number or an identifier"},
    )
    reason = forms.ChoiceField(
        label="What is the emergency?",
        choices=BreakGlassReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the emergency"},
    )
    justification = forms.CharField(
        label="Why do you need the record now?",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"At least {MIN_JUSTIFICATION} characters. The privacy officer reads this.",
        error_messages={"required": "Explain why you need the record now"},
    )

    def clean_justification(self) -> str:
        value: str = self.cleaned_data["justification"].strip()
        if len(value) < MIN_JUSTIFICATION:
            raise forms.ValidationError(
                f"Explain why you need the record now, in at least {MIN_JUSTIFICATION} characters"
            )
        return value


class ReviewForm(ServiceForm):
    outcome = forms.ChoiceField(
        label="Was the access justified?",
        choices=[(Review.JUSTIFIED, "Justified"), (Review.NOT_JUSTIFIED, "Not justified")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose justified or not justified"},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the access was not justified",
    )


def staff_choices(network: Network) -> list[tuple[str, str]]:
    """Active staff of the network's organisations, by organisation then name."""
    memberships = (
        Membership.objects.filter(
            is_active=True, user__is_active=True, organisation__network=network
        )
        .select_related("user", "organisation")
        .order_by("id")
    )
    first: dict[int, Membership] = {}
    for m in memberships:
        first.setdefault(m.user_id, m)
    ordered = sorted(first.values(), key=lambda m: (m.organisation.name, m.user.name.lower()))
    return [
        (str(m.user_id), f"{m.user.name} ({m.get_role_display()}, {m.organisation.name})")
        for m in ordered
    ]


class AddressWithholdingForm(ServiceForm):
    withheld = forms.BooleanField(
        label="Withhold the address for the person's safety",
        required=False,
        help_text="Only the workers named below will see it",
    )
    visible_to = forms.MultipleChoiceField(
        label="Workers who may see the address",
        required=False,
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose workers from the list"},
    )

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "visible_to", staff_choices(network))

    def chosen_workers(self) -> list[User]:
        ids = [int(v) for v in self.cleaned_data["visible_to"]]
        return list(User.objects.filter(pk__in=ids).order_by("pk"))
