from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wraparound.applications.models import ApplicationStatus, DeclineReason
from wraparound.core.forms import GovukDateField, ServiceForm


class ContactForm(ServiceForm):
    given_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        error_messages={"required": _("Enter your first name")},
    )
    family_name = forms.CharField(
        label=_("Last name"), max_length=100, error_messages={"required": _("Enter your last name")}
    )
    date_of_birth = GovukDateField(
        label=_("Date of birth"),
        help_text=_("For example, 27 3 1990"),
        error_messages={"required": _("Enter your date of birth")},
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        error_messages={
            "invalid": _("Enter an e-mail address in the correct format, like name@example.com")
        },
    )
    phone = forms.CharField(label=_("Phone number"), max_length=20, required=False)


class StaffMoveForm(ServiceForm):
    to = forms.ChoiceField(
        label="What happens next",
        choices=[c for c in ApplicationStatus.choices if c[0] not in {"submitted", "withdrawn"}],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what happens next"},
    )
    decline_reason = forms.ChoiceField(
        label="Reason (when declining)",
        choices=[("", "Choose a reason"), *DeclineReason.choices],
        required=False,
    )
    note = forms.CharField(
        label="Message to the person",
        help_text="Shown to them with the status. Needed when asking for more or declining.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
