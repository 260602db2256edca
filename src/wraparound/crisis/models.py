"""Crisis events (use of a crisis service) and re-presentation alerts.

A crisis event is recorded by staff or imported from an agency's file. When one arrives for
someone whose case was stepped down or closed recently (the network's window), the case's
key worker — or, without one, the lead organisation — gets a re-presentation alert and can
reopen the case in one step.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wraparound.cases.models import Case, CaseStatus
from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.core.models import Network
from wraparound.directory.models import Organisation
from wraparound.people.models import Person


class CrisisKind(models.TextChoices):
    ED_ATTENDANCE = "ed_attendance", "Emergency department attendance"
    HOSPITAL_ADMISSION = "hospital_admission", "Hospital admission"
    SHELTER_NIGHT = "shelter_night", "Emergency shelter night"
    POLICE_CUSTODY = "police_custody", "Police custody"
    CRISIS_TEAM = "crisis_team", "Crisis team contact"


# What each kind of event reveals, and so who may see it (ADR 0013). Hospital and emergency
# department use is health; a crisis team is a mental health service; custody is justice.
# A night in emergency shelter says the person was homeless that night: housing support,
# shared like cases, plans and referrals.
KIND_CATEGORY: dict[str, DataCategory] = {
    CrisisKind.ED_ATTENDANCE: DataCategory.HEALTH,
    CrisisKind.HOSPITAL_ADMISSION: DataCategory.HEALTH,
    CrisisKind.SHELTER_NIGHT: DataCategory.PLANS_REFERRALS,
    CrisisKind.POLICE_CUSTODY: DataCategory.LEGAL,
    CrisisKind.CRISIS_TEAM: DataCategory.MENTAL_HEALTH,
}


class CrisisSource(models.TextChoices):
    STAFF = "staff", "Recorded by staff"
    IMPORT = "import", "Imported from an agency file"


class CrisisEvent(models.Model):
    """One use of a crisis service. Never edited: a correction is made at the source and
    re-imported (same source and local id), which is refused if it differs."""

    # The strictest of its kinds' categories; each row is decided on its own ``category``.
    personal_data = PersonalData(DataCategory.HEALTH)

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="crisis_events")
    kind = models.CharField(max_length=30, choices=CrisisKind.choices)
    category = models.CharField(
        max_length=30,
        choices=DataCategory.choices,
        help_text="Who may see it: derived from the kind (KIND_CATEGORY).",
    )
    occurred_at = models.DateTimeField()
    detail = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=10, choices=CrisisSource.choices)
    source_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    local_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="The source agency's own id for the event (imports: the idempotency key).",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_organisation", "local_id"],
                condition=~Q(local_id=""),
                name="crisis_event_unique_source_local_id",
            )
        ]
        indexes = [models.Index(fields=["person", "-occurred_at"], name="crisis_by_person")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_at:%Y-%m-%d}"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    REOPENED = "reopened", "Case reopened"
    DISMISSED = "dismissed", "Dismissed"


ALERT_TRANSITIONS: dict[str, frozenset[str]] = {
    AlertStatus.OPEN: frozenset({AlertStatus.REOPENED, AlertStatus.DISMISSED}),
    AlertStatus.REOPENED: frozenset(),
    AlertStatus.DISMISSED: frozenset(),
}


class RepresentationAlert(models.Model):
    """A stepped-down or closed case's person used a crisis service."""

    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    event = models.ForeignKey(CrisisEvent, on_delete=models.PROTECT, related_name="alerts")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="representation_alerts")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    key_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="representation_alerts",
        help_text="Empty: the lead organisation's caseworkers all see it.",
    )
    case_status = models.CharField(max_length=20, help_text="The case's status when alerted.")
    status = models.CharField(max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "case"], name="alert_one_per_event_and_case")
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "-created_at"], name="alert_by_org"),
            models.Index(fields=["key_worker", "status", "-created_at"], name="alert_by_worker"),
        ]

    def __str__(self) -> str:
        return f"Re-presentation alert #{self.pk} for case {self.case_id}"

    @property
    def case_status_label(self) -> str:
        return CaseStatus(self.case_status).label.lower()
