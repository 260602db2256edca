from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from wraparound.accounts.models import Membership
from wraparound.cases.models import MAX_NOTE_LENGTH, NOTE_CATEGORIES, ClosureReason, EntryRoute
from wraparound.consent.categories import DataCategory
from wraparound.core.forms import GovukDateField, ServiceForm


def _worker_choices(memberships: QuerySet[Membership], *, blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [
        (str(m.user_id), f"{m.user.name} ({m.get_role_display()})") for m in memberships
    ]


class OpenCaseForm(ServiceForm):
    entry_route = forms.ChoiceField(
        label="How did they come to us?",
        choices=EntryRoute.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the person came to us"},
    )
    whole_household = forms.BooleanField(
        label="Support the whole household",
        required=False,
        help_text="The case covers everyone in the person's household",
    )
    key_worker = forms.ChoiceField(label="Key worker", required=False, choices=[])
    opened_on = GovukDateField(
        label="Date opened", required=False, help_text="Leave blank for today"
    )

    def __init__(self, *args: Any, workers: QuerySet[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["key_worker"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _worker_choices(workers, blank="Assign later")


class KeyWorkerForm(ServiceForm):
    key_worker = forms.ChoiceField(
        label="New key worker", choices=[], error_messages={"required": "Choose a key worker"}
    )

    def __init__(self, *args: Any, workers: QuerySet[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["key_worker"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _worker_choices(workers, blank="Choose a key worker")


class StepDownForm(ServiceForm):
    service_field_map = {"stepped_down_on": "on"}

    on = GovukDateField(
        label="Date stepped down", required=False, help_text="Leave blank for today"
    )


class CloseCaseForm(ServiceForm):
    service_field_map = {"closed_on": "on"}

    closure_reason = forms.ChoiceField(
        label="Why is the case closing?",
        choices=ClosureReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the case is closing"},
    )
    closure_note = forms.CharField(
        label="Notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the reason is 'Other'",
    )
    on = GovukDateField(label="Date closed", required=False, help_text="Leave blank for today")


class CaseNoteForm(ServiceForm):
    text = forms.CharField(
        label="Note",
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Enter the note",
            "max_length": f"The note must be {MAX_NOTE_LENGTH:,} characters or fewer",
        },
    )
    category = forms.ChoiceField(
        label="What is the note about?",
        choices=[
            (DataCategory.CASE_NOTES.value, "General casework"),
            *((c.value, c.label) for c in NOTE_CATEGORIES if c != DataCategory.CASE_NOTES),
        ],
        initial=DataCategory.CASE_NOTES.value,
        widget=forms.RadioSelect,
        help_text=(
            "A note about health, mental health, substance use, legal matters or safety is "
            "shared only with organisations the person has agreed can see that kind of "
            "information"
        ),
        error_messages={"required": "Choose what the note is about"},
    )
