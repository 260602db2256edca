"""Form pieces shared by every app: the GOV.UK date input and a form base that copes with
errors raised by services."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _


class GovukDateWidget(forms.MultiWidget):
    """Day, month and year boxes (the design system's date input)."""

    template_name = "govuk/widgets/date.html"
    subwidget_names = ("day", "month", "year")

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        widgets = [
            forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-2"}),
            forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-2"}),
            forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-4"}),
        ]
        super().__init__(widgets, attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_0" if id_ else id_


class GovukDateField(forms.MultiValueField):
    """A date typed as three numbers, with the design system's error messages."""

    widget = GovukDateWidget

    def __init__(self, **kwargs: Any) -> None:
        fields = (forms.CharField(), forms.CharField(), forms.CharField())
        kwargs.setdefault("require_all_fields", False)
        super().__init__(fields=fields, **kwargs)

    def compress(self, data_list: list[str]) -> date | None:
        if not data_list or not any(data_list):
            return None
        day, month, year = (part.strip() if part else "" for part in data_list)
        label = str(self.label or _("date")).lower()
        parts = {"day": _("day"), "month": _("month"), "year": _("year")}
        missing = [
            str(parts[name])
            for name, part in zip(("day", "month", "year"), (day, month, year), strict=True)
            if not part
        ]
        if missing:
            raise ValidationError(
                _("The %(label)s must include a %(missing)s")
                % {"label": label, "missing": _(" and ").join(missing)}
            )
        if not (day.isdigit() and month.isdigit() and year.isdigit()):
            raise ValidationError(
                _("The %(label)s must be a real date, in numbers") % {"label": label}
            )
        if len(year) != 4:
            raise ValidationError(_("Year must include 4 numbers"))
        try:
            return date(int(year), int(month), int(day))
        except ValueError as exc:
            raise ValidationError(
                _("The %(label)s must be a real date") % {"label": label}
            ) from exc


class ServiceForm(forms.Form):
    """A form whose submission is done by a service; the service's field errors land on the
    form's fields (or at the top when no field matches)."""

    # Service field name -> form field name, where they differ.
    service_field_map: dict[str, str] = {}

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for name, errors in error.message_dict.items():
            target = self.service_field_map.get(name, name)
            for message in errors:
                self.add_error(target if target in self.fields else None, message)


def posted(request: HttpRequest) -> QueryDict | None:
    """Form data for a POST (even an empty one), None for a GET: ``request.POST or None``
    would treat an empty POST as unbound and silently do nothing."""
    return request.POST if request.method == "POST" else None
