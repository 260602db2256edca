"""Appointments from every organisation on one calendar per person and per worker, and the
tokens that protect each worker's iCalendar feed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.core.models import Network
from wraparound.directory.models import Location, Organisation, Service
from wraparound.people.models import Household, Person


class Place(models.TextChoices):
    CENTRE = "centre", "At a centre or office"
    HOME_VISIT = "home_visit", "Home visit"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video call"
    COMMUNITY = "community", "Somewhere in the community"


# Places the person and the worker meet in person: travel between them takes time.
IN_PERSON = frozenset({Place.CENTRE, Place.HOME_VISIT, Place.COMMUNITY})


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    ATTENDED = "attended", "Attended"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    CANCELLED = "cancelled", "Cancelled"


class Appointment(models.Model):
    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="appointments")
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="appointments"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    referral = models.ForeignKey(
        "referrals.Referral",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    place = models.CharField(max_length=20, choices=Place.choices)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    place_detail = models.CharField(
        max_length=300, blank=True, help_text="Room, meeting point, call link or phone number."
    )
    purpose = models.CharField(max_length=200)
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    status_reason = models.CharField(max_length=300, blank=True)
    conflicts_acknowledged = models.JSONField(
        default=list, blank=True, help_text="Conflicts shown at booking and accepted, as text."
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["person", "starts_at"], name="appointment_person"),
            models.Index(fields=["staff", "starts_at"], name="appointment_staff"),
            models.Index(fields=["household", "starts_at"], name="appointment_household"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} at {self.starts_at:%d %b %Y %H:%M}"


class CalendarFeedToken(models.Model):
    """A worker's secret for their iCalendar feed URL; stored hashed, replaceable."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar feed of {self.user}"


class ChangeRequestKind(models.TextChoices):
    CHANGE = "change", _("Change the time")
    CANCEL = "cancel", _("Cancel")


class ChangeRequestStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the agency")
    DONE = "done", _("Dealt with")


class AppointmentChangeRequest(models.Model):
    """The person asks (in the portal) to move or cancel an appointment; the agency that
    booked it decides and rebooks or cancels, then marks the request dealt with."""

    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="change_requests"
    )
    kind = models.CharField(max_length=10, choices=ChangeRequestKind.choices)
    note = models.CharField(max_length=500, blank=True)
    requested_by_account = models.ForeignKey(
        "portal.CitizenAccount", on_delete=models.PROTECT, related_name="+"
    )
    on_behalf = models.BooleanField(
        default=False, help_text="Made by someone the person allowed to act for them."
    )
    status = models.CharField(
        max_length=10, choices=ChangeRequestStatus.choices, default=ChangeRequestStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    dealt_with_at = models.DateTimeField(null=True, blank=True)
    dealt_with_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(status="open"),
                name="appointment_one_open_change_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} request for appointment {self.appointment_id}"
