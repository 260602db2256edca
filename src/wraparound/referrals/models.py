"""Closed-loop referrals: a worker asks a service to help a person, the service answers, and
every step is recorded until the loop closes.

Statuses are those of the FHIR SDOH Clinical Care ``TaskForReferralManagement``. Who may make
each move is part of the transition table (``TRANSITIONS``): the referrer's side, the
receiving service's side, or either. Capacity and waitlists, SLA calendars and reminders live
here too: they exist for referrals.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wraparound.cases.models import Case
from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.core.crypto import EncryptedTextField, document_storage
from wraparound.core.models import Network
from wraparound.directory.models import Organisation, Service
from wraparound.directory.needs import NeedCategory
from wraparound.people.models import Household, Person


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    IN_PROGRESS = "in-progress", "In progress"
    ON_HOLD = "on-hold", "On hold"
    FAILED = "failed", "Failed"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class Side(models.TextChoices):
    """Who may make a move: the referring organisation, the receiving one, or either."""

    REFERRER = "referrer", "the referrer"
    RECEIVER = "receiver", "the receiving service"
    EITHER = "either", "either side"


S = ReferralStatus
# from -> {to: side}. Anything not listed is refused.
TRANSITIONS: dict[str, dict[str, str]] = {
    S.DRAFT: {S.REQUESTED: Side.REFERRER, S.CANCELLED: Side.EITHER},
    S.REQUESTED: {
        S.ACCEPTED: Side.RECEIVER,
        S.REJECTED: Side.RECEIVER,
        S.ON_HOLD: Side.RECEIVER,
        S.CANCELLED: Side.EITHER,
    },
    S.ACCEPTED: {
        S.IN_PROGRESS: Side.RECEIVER,
        S.ON_HOLD: Side.RECEIVER,
        S.FAILED: Side.RECEIVER,
        S.COMPLETED: Side.RECEIVER,
        S.CANCELLED: Side.EITHER,
    },
    S.IN_PROGRESS: {
        S.ON_HOLD: Side.RECEIVER,
        S.FAILED: Side.RECEIVER,
        S.COMPLETED: Side.RECEIVER,
        S.CANCELLED: Side.EITHER,
    },
    S.ON_HOLD: {
        S.ACCEPTED: Side.RECEIVER,
        S.IN_PROGRESS: Side.RECEIVER,
        S.REJECTED: Side.RECEIVER,
        S.FAILED: Side.RECEIVER,
        S.CANCELLED: Side.EITHER,
    },
}
# A referral recorded by mistake can be marked so by its referrer from any status but itself.
for _from in [*TRANSITIONS, S.REJECTED, S.FAILED, S.COMPLETED, S.CANCELLED]:
    TRANSITIONS.setdefault(_from, {})[S.ENTERED_IN_ERROR] = Side.REFERRER
TERMINAL = frozenset({S.REJECTED, S.FAILED, S.COMPLETED, S.CANCELLED, S.ENTERED_IN_ERROR})
# Statuses in which the referral is still the receiving service's business.
OPEN = frozenset({S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD})
REASON_REQUIRED = frozenset({S.REJECTED, S.CANCELLED, S.ON_HOLD, S.FAILED})


class ReasonCode(models.TextChoices):
    """Coded reasons for rejected, cancelled, on-hold and failed (with free text beside)."""

    NOT_ELIGIBLE = "not-eligible", "Not eligible for the service"
    NO_CAPACITY = "no-capacity", "No capacity"
    OUT_OF_AREA = "out-of-area", "Outside the service area"
    DUPLICATE = "duplicate", "Already referred or receiving the service"
    INSUFFICIENT_INFORMATION = "insufficient-information", "Not enough information"
    PERSON_DECLINED = "person-declined", "The person declined"
    UNABLE_TO_CONTACT = "unable-to-contact", "Unable to contact the person"
    NEED_MET_ELSEWHERE = "need-met-elsewhere", "The need was met elsewhere"
    CIRCUMSTANCES_CHANGED = "circumstances-changed", "The person's circumstances changed"
    AWAITING_PERSON = "awaiting-person", "Waiting for the person"
    AWAITING_INFORMATION = "awaiting-information", "Waiting for information"
    SERVICE_PAUSED = "service-paused", "The service is paused"
    OTHER = "other", "Other"


# Which codes make sense for which status (the form offers only these).
REASONS_FOR: dict[str, tuple[str, ...]] = {
    S.REJECTED: (
        ReasonCode.NOT_ELIGIBLE,
        ReasonCode.NO_CAPACITY,
        ReasonCode.OUT_OF_AREA,
        ReasonCode.DUPLICATE,
        ReasonCode.INSUFFICIENT_INFORMATION,
        ReasonCode.PERSON_DECLINED,
        ReasonCode.OTHER,
    ),
    S.CANCELLED: (
        ReasonCode.PERSON_DECLINED,
        ReasonCode.NEED_MET_ELSEWHERE,
        ReasonCode.CIRCUMSTANCES_CHANGED,
        ReasonCode.DUPLICATE,
        ReasonCode.OTHER,
    ),
    S.ON_HOLD: (
        ReasonCode.AWAITING_PERSON,
        ReasonCode.AWAITING_INFORMATION,
        ReasonCode.SERVICE_PAUSED,
        ReasonCode.NO_CAPACITY,
        ReasonCode.OTHER,
    ),
    S.FAILED: (
        ReasonCode.UNABLE_TO_CONTACT,
        ReasonCode.PERSON_DECLINED,
        ReasonCode.NOT_ELIGIBLE,
        ReasonCode.CIRCUMSTANCES_CHANGED,
        ReasonCode.OTHER,
    ),
}


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    EMERGENCY = "emergency", "Emergency"


# Categories that may travel with a referral. Identity always travels (nobody can be helped
# anonymously), so it is implied rather than chosen.
BUNDLE_CATEGORIES = tuple(c for c in DataCategory if c != DataCategory.IDENTITY)


class Referral(models.Model):
    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="referrals")
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    receiving_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="referrals_received"
    )
    referring_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="referrals_sent"
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_sent"
    )
    need = models.CharField(max_length=40, choices=NeedCategory.choices)
    goal = models.ForeignKey(
        "plans.Goal", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    reason = EncryptedTextField(help_text="Why the person is being referred.")
    urgency = models.CharField(max_length=20, choices=Urgency.choices, default=Urgency.ROUTINE)
    notes = EncryptedTextField(blank=True)
    bundle = models.JSONField(
        default=list, help_text="Data categories shared with the receiving organisation."
    )
    status = models.CharField(
        max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT
    )
    status_reason_code = models.CharField(max_length=40, choices=ReasonCode.choices, blank=True)
    status_reason = EncryptedTextField(blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    outcome = EncryptedTextField(blank=True, help_text="What was provided (when completed).")
    created_at = models.DateTimeField(default=timezone.now)
    requested_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateTimeField(null=True, blank=True)
    first_contact_by = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    holds_slot = models.BooleanField(
        default=False, help_text="The referral holds one of the service's capacity slots."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["receiving_organisation", "status", "respond_by"], name="referral_inbox"
            ),
            models.Index(fields=["referring_organisation", "-created_at"], name="referral_outbox"),
            models.Index(fields=["person", "-created_at"], name="referral_person"),
            models.Index(fields=["service", "status"], name="referral_service"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=sorted(REASON_REQUIRED)) | ~Q(status_reason_code=""),
                name="referral_reason_when_required",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"R-{self.pk:06d}" if self.pk else "R-new"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def allowed_moves(self, side: str) -> list[str]:
        """Statuses this side may move the referral to next."""
        return [
            to
            for to, who in TRANSITIONS.get(self.status, {}).items()
            if who == side or who == Side.EITHER
        ]


class ReferralTransition(models.Model):
    """One move of a referral: from, to, when, by whom (and which side), why."""

    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    side = models.CharField(max_length=10, choices=Side.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason_code = models.CharField(max_length=40, choices=ReasonCode.choices, blank=True)
    reason = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["referral", "at", "id"]
        indexes = [models.Index(fields=["referral", "at"], name="referral_transition")]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} -> {self.to_status}"


class ReferralAttachment(models.Model):
    """A document sent with a referral: checked by content, encrypted at rest, always
    downloaded (never shown inline)."""

    personal_data = PersonalData(DataCategory.DOCUMENTS)

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(storage=document_storage, upload_to="referrals", max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(help_text="Bytes, before encryption.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.original_name


# --- SLA calendar (network configuration, versioned) ---------------------------------------


class WorkingCalendar(models.Model):
    """A network's working hours, for SLA due times. Never edited: a change is a new version;
    the newest applies. Holidays are listed beside it."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    day_starts = models.TimeField(default=dt.time(9, 0))
    day_ends = models.TimeField(default=dt.time(17, 0))
    working_days = models.JSONField(
        default=list, help_text="ISO weekdays worked: 1 = Monday ... 7 = Sunday."
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "version"], name="calendar_version"),
            models.CheckConstraint(
                condition=Q(day_ends__gt=models.F("day_starts")), name="calendar_day_order"
            ),
        ]

    def __str__(self) -> str:
        return f"working calendar v{self.version}"


class Holiday(models.Model):
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    on = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["on"]
        constraints = [
            models.UniqueConstraint(fields=["network", "on"], name="holiday_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.on:%d %b %Y})"


class SlaNotice(models.TextChoices):
    REMINDER = "reminder", "Reminder before the deadline"
    ESCALATED = "escalated", "Escalated to the manager"
    REFERRER_TOLD = "referrer_told", "Referrer told the deadline was missed"


class SlaEvent(models.Model):
    """A notice the SLA check sent, once per referral, deadline and kind."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="sla_events")
    deadline = models.CharField(max_length=20)  # "respond" or "first_contact"
    notice = models.CharField(max_length=20, choices=SlaNotice.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "deadline", "notice"], name="sla_event_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice} for {self.deadline}"


# --- capacity and waitlists ----------------------------------------------------------------


class WaitlistPolicy(models.Model):
    """How a network orders waitlists: weights of the priority score, versioned data.

    ``weights`` holds ``{"tier": {"intensive": 30, ...}, "urgency": {"emergency": 40, ...},
    "need_severity": 5, "per_day_waiting": 0.5, "population_group": {"<code>": 10}}``."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    weights = models.JSONField()
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "version"], name="waitlist_policy_version"),
        ]

    def __str__(self) -> str:
        return f"waitlist policy v{self.version}"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered a place"
    PLACED = "placed", "Placed"
    LEFT = "left", "Left the waitlist"


class WaitlistEntry(models.Model):
    """An accepted referral waiting for a slot at a full service."""

    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    referral = models.OneToOneField(
        Referral, on_delete=models.PROTECT, related_name="waitlist_entry"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="waitlist")
    status = models.CharField(
        max_length=20, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    added_at = models.DateTimeField(default=timezone.now)
    offered_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    # The score and its explanation when the entry was offered a place (the audit of why).
    offered_score = models.FloatField(null=True, blank=True)
    offered_explanation = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["service", "status"], name="waitlist_service")]

    def __str__(self) -> str:
        return f"waitlist entry {self.pk} ({self.status})"
