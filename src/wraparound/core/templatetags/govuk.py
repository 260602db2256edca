"""Template tags that render Django forms as GOV.UK Frontend components.

Loaded as a builtin: ``{% govuk_field form.name %}``, ``{% govuk_error_summary form %}``.
"""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.boundfield import BoundField
from django.http import HttpRequest
from django.utils.translation import gettext

from wraparound.core.forms import GovukDateWidget
from wraparound.core.pagination import page_query

register = template.Library()


def _kind(widget: forms.Widget) -> str:
    if isinstance(widget, GovukDateWidget):
        return "date"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return "input"


def first_input_id(field: BoundField) -> str:
    """Where an error summary link should land: the field's first focusable input."""
    kind = _kind(field.field.widget)
    if kind in {"date", "radios", "checkboxes"}:
        return f"{field.auto_id}_0"
    return field.auto_id


@register.inclusion_tag("govuk/field.html")
def govuk_field(
    field: BoundField,
    label_class: str = "govuk-label--s",
    width: str = "",
    heading: bool = False,
    inline: bool = False,
    mark_optional: bool = True,
) -> dict[str, Any]:
    kind = _kind(field.field.widget)
    return {
        "field": field,
        "kind": kind,
        "label_class": label_class,
        "legend_class": label_class.replace("label", "fieldset__legend"),
        "width": width,
        "heading": heading,
        "inline": inline,
        "mark_optional": mark_optional,
        "hint_id": f"{field.auto_id}-hint" if field.help_text else "",
        "error_id": f"{field.auto_id}-error" if field.errors else "",
        "first_id": first_input_id(field),
        "value": field.value(),
        "selected": _selected(field),
        "subwidgets": _date_parts(field) if kind == "date" else [],
    }


def _date_parts(field: BoundField) -> list[dict[str, Any]]:
    """Day, month and year boxes with what was typed in them (kept on errors)."""
    context = field.field.widget.get_context(field.html_name, field.value(), {"id": field.auto_id})
    return list(context["widget"]["subwidgets"])


def _selected(field: BoundField) -> set[str]:
    value = field.value()
    if value is None:
        return set()
    if isinstance(value, list | tuple):
        return {str(v) for v in value}
    return {str(value)}


@register.inclusion_tag("govuk/error_summary.html")
def govuk_error_summary(*forms_: forms.Form | forms.BaseFormSet) -> dict[str, Any]:
    errors: list[dict[str, str]] = []
    for form in forms_:
        if form is None:
            continue
        subforms = form.forms if isinstance(form, forms.BaseFormSet) else [form]
        if isinstance(form, forms.BaseFormSet):
            errors.extend({"text": str(e), "href": ""} for e in form.non_form_errors())
        for sub in subforms:
            errors.extend({"text": str(e), "href": ""} for e in sub.non_field_errors())
            for name in sub.errors:
                if name == NON_FIELD_ERRORS:
                    continue
                bound = sub[name]
                errors.extend(
                    {"text": e, "href": f"#{first_input_id(bound)}"} for e in bound.errors
                )
    return {"errors": errors}


@register.simple_tag(takes_context=True)
def page_url(context: dict[str, Any], number: int) -> str:
    request: HttpRequest = context["request"]
    return "?" + page_query(request, number)


@register.filter
def with_errors_prefix(title: str, form: forms.Form | None) -> str:
    """Page titles start with 'Error: ' when the form has errors, as the design system asks."""
    if form is not None and form.errors:
        return gettext("Error: %(title)s") % {"title": title}
    return title


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """A dictionary value by a key held in a variable."""
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def join_if_list(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
