from __future__ import annotations

from typing import Any

from django import forms

from wraparound.core.forms import GovukDateField, ServiceForm
from wraparound.plans.models import ActionOwner, AgreementMethod
from wraparound.plans.services import MAX_TEXT


class CarePlanForm(ServiceForm):
    summary = forms.CharField(
        label="What this plan is for, in plain words",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "The summary must be 2,000 characters or fewer"},
    )
    review_on = GovukDateField(
        label="Review date", error_messages={"required": "Enter the review date"}
    )


class GoalForm(ServiceForm):
    need = forms.ChoiceField(
        label="Which need is this goal for?",
        choices=[],
        error_messages={"required": "Choose the assessed need this goal meets"},
    )
    what = forms.CharField(
        label="What does the person want to achieve?",
        max_length=MAX_TEXT,
        error_messages={"required": "Say what the person wants to achieve"},
    )
    measure = forms.CharField(
        label="How will you both know it is achieved?",
        max_length=MAX_TEXT,
        error_messages={"required": "Say how you will both know it is achieved"},
    )
    target_on = GovukDateField(
        label="Target date", error_messages={"required": "Enter the target date"}
    )

    def __init__(self, *args: Any, needs: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["need"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose a need"), *needs]


class ActionForm(ServiceForm):
    description = forms.CharField(
        label="What will be done?",
        max_length=MAX_TEXT,
        error_messages={"required": "Say what will be done"},
    )
    owner = forms.ChoiceField(
        label="Who will do it?",
        choices=ActionOwner.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who will do it"},
    )
    service = forms.ChoiceField(
        label="Service (for an agency)",
        required=False,
        choices=[],
        help_text="Recommended services for this need, priority services first",
    )
    due_on = GovukDateField(label="Due date", error_messages={"required": "Enter the due date"})

    def __init__(self, *args: Any, services: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "No particular service"), *services]


class AgreeForm(ServiceForm):
    agreement_method = forms.ChoiceField(
        label="How did the person agree the plan?",
        choices=AgreementMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the person agreed"},
    )
    agreed_on = GovukDateField(
        label="Date agreed", required=False, help_text="Leave blank for today"
    )
    agreement_note = forms.CharField(
        label="Notes (optional)",
        required=False,
        max_length=MAX_TEXT,
        help_text="For example, who else was there",
    )


class ExitPlanForm(ServiceForm):
    starts_on = GovukDateField(label="Start", required=False, help_text="Leave blank for today")
    intensive = forms.IntegerField(
        label="Weeks of intensive support", min_value=0, max_value=156, initial=0
    )
    supported = forms.IntegerField(
        label="Weeks of supported", min_value=0, max_value=156, initial=4
    )
    light_touch = forms.IntegerField(
        label="Weeks of light-touch support", min_value=0, max_value=156, initial=8
    )
    note = forms.CharField(
        label="Notes (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PlanSettingsForm(ServiceForm):
    max_exit_plan_weeks = forms.IntegerField(
        label="Longest exit plan, in weeks",
        min_value=1,
        max_value=156,
        error_messages={"required": "Enter the longest exit plan in weeks"},
    )
    representation_window_days = forms.IntegerField(
        label="Re-presentation window, in days",
        min_value=1,
        max_value=1095,
        help_text="A crisis event this many days after a step-down or closure alerts the worker",
        error_messages={"required": "Enter the re-presentation window in days"},
    )
    default_review_weeks = forms.IntegerField(
        label="Care plan review, weeks ahead",
        min_value=1,
        max_value=52,
        error_messages={"required": "Enter how many weeks ahead a review falls"},
    )
    note = forms.CharField(label="Why the change", max_length=300, required=False)
