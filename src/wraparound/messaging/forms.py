from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wraparound.core.forms import ServiceForm

BODY_ERRORS = {
    "required": _("Write your message"),
    "max_length": _("Your message must be 5,000 characters or fewer"),
}


class ReplyForm(ServiceForm):
    body = forms.CharField(
        label=_("Your message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages=BODY_ERRORS,
    )


class NewThreadForm(ServiceForm):
    organisation = forms.TypedChoiceField(
        label=_("Who do you want to message?"),
        coerce=int,
        error_messages={
            "required": _("Choose who to message"),
            "invalid_choice": _("Choose who to message"),
        },
    )
    subject = forms.CharField(
        label=_("What is it about?"),
        max_length=150,
        error_messages={"required": _("Say what your message is about")},
    )
    body = forms.CharField(
        label=_("Your message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages=BODY_ERRORS,
    )

    def __init__(
        self, *args: object, organisations: list[tuple[int, str]], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["organisation"].choices = [("", _("Choose an organisation")), *organisations]  # type: ignore[attr-defined]
