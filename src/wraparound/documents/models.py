"""Proofs a person sends through the portal (identity, address, income...), against an
application or an agency's request. Stored encrypted, never served inline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wraparound.applications.models import Application
from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.core.crypto import document_storage
from wraparound.people.models import Person


class DocumentKind(models.TextChoices):
    IDENTITY = "identity", _("Proof of identity")
    ADDRESS = "address", _("Proof of address")
    INCOME = "income", _("Proof of income")
    BENEFITS = "benefits", _("Benefit letter")
    TENANCY = "tenancy", _("Tenancy agreement")
    MEDICAL = "medical", _("Letter from a doctor or hospital")
    OTHER = "other", _("Something else")


class DocumentRequest(models.Model):
    """An agency asks for a document for an application; the person sees it and answers
    with an upload."""

    personal_data = PersonalData(DataCategory.DOCUMENTS)

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="document_requests"
    )
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    note = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    fulfilled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"Request for {self.kind} on application {self.application_id}"


class Document(models.Model):
    personal_data = PersonalData(DataCategory.DOCUMENTS)

    account = models.ForeignKey(
        "portal.CitizenAccount", on_delete=models.PROTECT, related_name="documents"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf = models.BooleanField(default=False)
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    request = models.ForeignKey(
        DocumentRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    file = models.FileField(storage=document_storage, upload_to="portal", max_length=200)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name
