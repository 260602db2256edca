"""Cases: a support episode for a person (or a household), held by a lead organisation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wraparound.consent.categories import SENSITIVE_CATEGORIES, DataCategory, PersonalData
from wraparound.core.crypto import EncryptedTextField
from wraparound.core.models import Network, TimeStampedModel
from wraparound.directory.models import Organisation
from wraparound.people.models import Household, Person


class EntryRoute(models.TextChoices):
    CASE_MANAGEMENT = "case_management", "Through case management (assessed by a key worker)"
    LEAD_AGENCY = "lead_agency", "Through a lead agency"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    STEPPED_DOWN = "stepped_down", "Stepped down"
    CLOSED = "closed", "Closed"


# The only moves a case may make. Anything else is refused by the services.
CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.STEPPED_DOWN, CaseStatus.CLOSED}),
    CaseStatus.STEPPED_DOWN: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.OPEN}),
}


class ClosureReason(models.TextChoices):
    GOALS_MET = "goals_met", "Goals met"
    NO_LONGER_NEEDED = "no_longer_needed", "Support no longer needed"
    MOVED_AWAY = "moved_away", "Moved out of the area"
    TRANSFERRED = "transferred", "Transferred to another service"
    DISENGAGED = "disengaged", "Stopped engaging"
    DECLINED = "declined", "Declined further support"
    DIED = "died", "Died"
    OTHER = "other", "Other"


class Case(TimeStampedModel):
    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="cases")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        help_text="Set when the household as a whole is supported.",
    )
    lead_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="led_cases"
    )
    key_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="key_worker_cases",
    )
    entry_route = models.CharField(max_length=20, choices=EntryRoute.choices)
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    opened_on = models.DateField()
    stepped_down_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    closure_reason = models.CharField(max_length=20, choices=ClosureReason.choices, blank=True)
    closure_note = EncryptedTextField(blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "lead_organisation"],
                condition=~Q(status=CaseStatus.CLOSED),
                name="case_one_active_per_person_and_lead",
            ),
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.CLOSED)
                | (Q(closed_on__isnull=False) & ~Q(closure_reason="")),
                name="case_closed_has_reason_and_date",
            ),
        ]
        indexes = [
            models.Index(
                fields=["key_worker", "status", "-last_activity_at"], name="case_caseload"
            ),
            models.Index(fields=["person", "lead_organisation"], name="case_person_org"),
        ]

    def __str__(self) -> str:
        return f"Case {self.reference} for {self.person}"

    @property
    def reference(self) -> str:
        return f"C-{self.pk:06d}" if self.pk else "C-new"

    @property
    def is_active(self) -> bool:
        return self.status != CaseStatus.CLOSED

    def allowed_moves(self) -> frozenset[str]:
        return CASE_TRANSITIONS[self.status]


# What a note may be about: a general case note, or one of the sensitive categories, which
# only organisations with the person's consent for that category see.
NOTE_CATEGORIES: tuple[DataCategory, ...] = (
    DataCategory.CASE_NOTES,
    *(c for c in DataCategory if c in SENSITIVE_CATEGORIES),
)
MAX_NOTE_LENGTH = 10_000


class CaseNote(models.Model):
    """A worker's note on a case, encrypted at rest, shared as its category allows.

    Notes are never edited or deleted: a correction is a new note.
    """

    personal_data = PersonalData(DataCategory.CASE_NOTES)

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(
        max_length=30,
        choices=[(c.value, c.label) for c in NOTE_CATEGORIES],
        default=DataCategory.CASE_NOTES,
    )
    text = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "-created_at"], name="case_note_by_case")]

    def __str__(self) -> str:
        return f"Note #{self.pk} on case {self.case_id}"
