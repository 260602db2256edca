from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wraparound.core.forms import ServiceForm
from wraparound.documents.models import DocumentKind


class UploadForm(ServiceForm):
    kind = forms.ChoiceField(
        label=_("What is it?"),
        choices=[("", _("Choose the kind of document")), *DocumentKind.choices],
        error_messages={"required": _("Choose what the document is")},
    )
    application = forms.TypedChoiceField(
        label=_("For which application?"), coerce=int, required=False, empty_value=None
    )
    file = forms.FileField(
        label=_("Choose a file"),
        help_text=_("A PDF, or a photo as PNG or JPEG. Up to 10MB."),
        error_messages={
            "required": _("Choose a file to send"),
            "empty": _("The selected file is empty"),
        },
    )

    def __init__(
        self, *args: object, applications: list[tuple[int, str]], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["application"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Not for a particular application")), *applications]


class RequestForm(ServiceForm):
    kind = forms.ChoiceField(label="Document needed", choices=DocumentKind.choices)
    note = forms.CharField(label="Note to the person", max_length=500, required=False)
