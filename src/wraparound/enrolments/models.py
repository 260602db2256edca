"""Enrolments (a person taking part in a service, from an accepted referral or a direct
intake) and service events — the outputs: what was delivered, when, how, by whom, at what
cost. Outputs are kept apart from outcomes (assessed change), which the assessments hold."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.core.models import Network
from wraparound.directory.models import Organisation, Service
from wraparound.people.models import Person


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class EndReason(models.TextChoices):
    COMPLETED = "completed", "Support completed"
    GOALS_MET = "goals_met", "Goals met"
    DISENGAGED = "disengaged", "The person stopped engaging"
    DECLINED = "declined", "The person declined further support"
    TRANSFERRED = "transferred", "Transferred to another service"
    MOVED_AWAY = "moved_away", "Moved out of the area"
    INELIGIBLE = "ineligible", "No longer eligible"
    DIED = "died", "Died"
    OTHER = "other", "Other"


class Enrolment(models.Model):
    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="enrolments")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="enrolments")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="enrolments"
    )
    referral = models.OneToOneField(
        "referrals.Referral",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrolment",
    )
    status = models.CharField(
        max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE
    )
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    end_note = models.CharField(max_length=500, blank=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_on", "-id"]
        indexes = [
            models.Index(fields=["person", "status"], name="enrolment_person"),
            models.Index(fields=["service", "status"], name="enrolment_service"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "service"],
                condition=Q(status="active"),
                name="enrolment_one_active_per_service",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="enrolment_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status="active", ended_on__isnull=True, end_reason="")
                | (Q(status="ended", ended_on__isnull=False) & ~Q(end_reason="")),
                name="enrolment_end_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.name} from {self.started_on:%d %b %Y}"


class EventType(models.TextChoices):
    ASSESSMENT = "assessment", "Assessment"
    ONE_TO_ONE = "one_to_one", "One-to-one support session"
    GROUP = "group", "Group session"
    ADVICE = "advice", "Advice or information"
    ADVOCACY = "advocacy", "Advocacy"
    PRACTICAL = "practical", "Practical help"
    TREATMENT = "treatment", "Treatment or therapy"
    ACCOMMODATION = "accommodation", "Accommodation night"
    OTHER = "other", "Other"


class DeliveryMode(models.TextChoices):
    CENTRE = "centre", "At the centre"
    HOME_VISIT = "home_visit", "Home visit"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video call"
    COMMUNITY = "community", "In the community"


class ServiceEvent(models.Model):
    """One output: a session, visit or unit of service delivered to an enrolled person."""

    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="events")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="service_events")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="events")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    on = models.DateField()
    event_type = models.CharField(max_length=20, choices=EventType.choices)
    units = models.DecimalField(max_digits=8, decimal_places=2, default=1)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    mode = models.CharField(max_length=20, choices=DeliveryMode.choices)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    unit_cost = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The service's unit cost when recorded (costs do not change retroactively).",
    )
    cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-on", "-id"]
        indexes = [
            models.Index(fields=["enrolment", "-on"], name="event_enrolment"),
            models.Index(fields=["service", "on"], name="event_service_day"),
            models.Index(fields=["person", "on"], name="event_person_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(units__gt=0), name="event_units_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} on {self.on:%d %b %Y}"
