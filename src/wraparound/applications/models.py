"""Applications made in the portal: one form for many programmes, then one application per
programme, routed to the organisation that runs it, with a status the person sees."""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.core.crypto import EncryptedTextField, encrypt_str
from wraparound.core.models import Network
from wraparound.directory.models import Organisation, Program, Service
from wraparound.people.models import Person


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    MORE_INFORMATION = "more_information", _("More information needed")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = ApplicationStatus
# Who may make each move: the agency ("agency") or the person ("person").
TRANSITIONS: dict[str, dict[str, str]] = {
    S.SUBMITTED: {S.IN_REVIEW: "agency", S.WITHDRAWN: "person", S.DECLINED: "agency"},
    S.IN_REVIEW: {
        S.MORE_INFORMATION: "agency",
        S.APPROVED: "agency",
        S.DECLINED: "agency",
        S.WITHDRAWN: "person",
    },
    S.MORE_INFORMATION: {S.IN_REVIEW: "agency", S.DECLINED: "agency", S.WITHDRAWN: "person"},
    S.APPROVED: {},
    S.DECLINED: {},
    S.WITHDRAWN: {},
}
OPEN_STATUSES = frozenset({S.SUBMITTED, S.IN_REVIEW, S.MORE_INFORMATION})


class DeclineReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", _("Does not meet the rules")
    INCOMPLETE = "incomplete", _("Information or documents missing")
    NO_CAPACITY = "no_capacity", _("No places available")
    DUPLICATE = "duplicate", _("Already applied or already receiving it")
    OTHER = "other", _("Another reason")


class JsonText(EncryptedTextField):
    """A JSON document encrypted at rest."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        text = super().from_db_value(value, expression, connection)
        return json.loads(text) if text else {}

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value else {}
        return value

    def get_prep_value(self, value: Any) -> Any:
        return encrypt_str(json.dumps(value or {}, sort_keys=True))


class ApplicationDraft(models.Model):
    """What the person has typed so far; saved on every page, so nothing is lost."""

    personal_data = PersonalData(DataCategory.FINANCES)

    account = models.ForeignKey(
        "portal.CitizenAccount", on_delete=models.CASCADE, related_name="drafts"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    programmes = models.JSONField(default=list, help_text="References: S-000012, PG-000003.")
    answers = JsonText(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"Draft application {self.pk}"


class Application(models.Model):
    """One programme's application. Its answers are a snapshot: later changes to the
    person's record do not rewrite what they applied with."""

    personal_data = PersonalData(DataCategory.FINANCES)

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "portal.CitizenAccount", on_delete=models.PROTECT, related_name="applications"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    on_behalf = models.BooleanField(
        default=False, help_text="Made by someone the person allowed to act for them."
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="applications"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    programme_ref = models.CharField(max_length=20)
    programme_name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=ApplicationStatus.choices, default=S.SUBMITTED)
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    status_note = EncryptedTextField(blank=True, help_text="Shown to the person with the status.")
    answers = JsonText(default=dict)
    submitted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(
                fields=["organisation", "status", "submitted_at"], name="application_inbox"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(service__isnull=False) | Q(program__isnull=False),
                name="application_names_a_programme",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="application_decline_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Application {self.pk} for {self.programme_name}"

    @property
    def applicant_name(self) -> str:
        contact = self.answers.get("contact", {})
        return f"{contact.get('given_name', '')} {contact.get('family_name', '')}".strip()


class ApplicationTransition(models.Model):
    """Every status change, never updated in place."""

    personal_data = PersonalData(DataCategory.FINANCES)

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="transitions"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, choices=ApplicationStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    by_user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by_account = models.ForeignKey(
        "portal.CitizenAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["application", "at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} → {self.to_status}"
