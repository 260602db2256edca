"""Portal forms: every label and message is translated; what was typed is kept on errors."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from wraparound.consent.categories import DataCategory
from wraparound.consent.models import Purpose, RecipientKind
from wraparound.core.forms import GovukDateField, ServiceForm
from wraparound.directory.models import Organisation
from wraparound.portal.models import IntermediaryRelationship

EMAIL_ERRORS = {
    "required": _("Enter your e-mail address"),
    "invalid": _("Enter an e-mail address in the correct format, like name@example.com"),
}


class EmailForm(ServiceForm):
    email = forms.EmailField(label=_("E-mail address"), max_length=254, error_messages=EMAIL_ERRORS)


class CodeForm(ServiceForm):
    code = forms.CharField(
        label=_("Sign-in code"),
        max_length=12,
        help_text=_("The 6-digit code in the e-mail we sent you"),
        error_messages={"required": _("Enter the 6-digit code from the e-mail")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasswordSignInForm(ServiceForm):
    email = forms.EmailField(label=_("E-mail address"), max_length=254, error_messages=EMAIL_ERRORS)
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password")},
    )


DOB_ERRORS = {"required": _("Enter your date of birth")}


class LinkCodeForm(ServiceForm):
    code = forms.CharField(
        label=_("Link code"),
        max_length=20,
        help_text=_("The code your key worker gave you, like 3F2A-91BC-07DE"),
        error_messages={"required": _("Enter the link code your key worker gave you")},
    )
    date_of_birth = GovukDateField(
        label=_("Date of birth"),
        help_text=_("For example, 27 3 1990"),
        error_messages=DOB_ERRORS,
    )


class LinkRequestForm(ServiceForm):
    given_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        error_messages={"required": _("Enter your first name")},
    )
    family_name = forms.CharField(
        label=_("Last name"), max_length=100, error_messages={"required": _("Enter your last name")}
    )
    date_of_birth = GovukDateField(
        label=_("Date of birth"), help_text=_("For example, 27 3 1990"), error_messages=DOB_ERRORS
    )
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=20, required=False)


class AccountForm(ServiceForm):
    display_name = forms.CharField(
        label=_("What should we call you?"), max_length=120, required=False
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("The language of my browser")), *settings.LANGUAGES],
        required=False,
        error_messages={"invalid_choice": _("Choose a language from the list")},
    )


class PasswordForm(ServiceForm):
    password = forms.CharField(
        label=_("New password"),
        help_text=_("At least 12 characters. You can still sign in with a code instead."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Enter a password")},
    )


class IntermediaryForm(ServiceForm):
    email = forms.EmailField(
        label=_("Their e-mail address"),
        help_text=_("The address they use to sign in to this portal"),
        error_messages=EMAIL_ERRORS,
    )
    relationship = forms.ChoiceField(
        label=_("Who are they?"),
        choices=IntermediaryRelationship.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose who they are")},
    )


class ChangeRequestForm(ServiceForm):
    kind = forms.ChoiceField(
        label=_("What would you like to do?"),
        choices=[("change", _("Change the time")), ("cancel", _("Cancel it"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether to change or cancel it")},
    )
    note = forms.CharField(
        label=_("Anything the agency should know"),
        help_text=_("If you want a new time, say which days and times suit you."),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("The note must be 500 characters or fewer")},
    )


class ActionUpdateForm(ServiceForm):
    done = forms.BooleanField(label=_("I have done this"), required=False)
    note = forms.CharField(
        label=_("Add a note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("The note must be 500 characters or fewer")},
    )


def category_choices() -> list[tuple[str, str]]:
    return [(c.value, str(c.label)) for c in DataCategory]


class ConsentGiveForm(ServiceForm):
    """Share with one organisation, for coordinating support, chosen categories."""

    recipient_organisation = forms.ModelChoiceField(
        label=_("Who may see it?"),
        queryset=Organisation.objects.none(),
        empty_label=_("Choose an organisation"),
        error_messages={
            "required": _("Choose the organisation"),
            "invalid_choice": _("Choose the organisation"),
        },
    )
    categories = forms.MultipleChoiceField(
        label=_("What may they see?"),
        help_text=_(
            "Health, mental health, substance use, safety and legal matters are shared only if "
            "you choose them here."
        ),
        choices=category_choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one kind of information")},
    )

    def __init__(self, *args: object, network_id: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["recipient_organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            network_id=network_id
        ).order_by("name")

    @property
    def purpose(self) -> str:
        return Purpose.CARE_COORDINATION

    @property
    def recipient_kind(self) -> str:
        return RecipientKind.ORGANISATION
