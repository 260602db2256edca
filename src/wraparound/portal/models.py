"""The citizen portal's own records: accounts, sign-in codes, links to a person on record
and the trusted intermediaries a person allows to act for them.

A citizen account is not a staff ``User``: it has no membership, no role and no second
factor, and nothing in the staff UI accepts it. It reaches a person's record only once it is
linked to that ``Person`` (by a worker, or by a link code the worker gave the person plus the
person's date of birth), never by e-mail alone (ADR 0016)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.core.crypto import EncryptedTextField
from wraparound.core.models import Network
from wraparound.people.models import Person


class LinkMethod(models.TextChoices):
    WORKER = "worker", _("Confirmed by a worker")
    LINK_CODE = "link_code", _("Link code and date of birth")


class CitizenAccount(models.Model):
    """Someone who signs in to the portal with their e-mail address."""

    personal_data = PersonalData(DataCategory.IDENTITY)

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField(max_length=254)
    display_name = models.CharField(max_length=120, blank=True)
    # Optional: a password for those who prefer one to a code each time.
    password = models.CharField(max_length=128, blank=True)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True)
    person = models.OneToOneField(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="citizen_account"
    )
    linked_at = models.DateTimeField(null=True, blank=True)
    link_method = models.CharField(max_length=20, choices=LinkMethod.choices, blank=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "email"], name="citizen_email_unique"),
            models.CheckConstraint(
                condition=Q(person__isnull=True) | ~Q(link_method=""),
                name="citizen_link_has_method",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def set_password(self, raw: str) -> None:
        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return bool(self.password) and check_password(raw, self.password)

    @property
    def has_password(self) -> bool:
        return bool(self.password)


class SignInCode(models.Model):
    """A one-time code (typed) and a magic link (clicked) sent together by e-mail. Only
    hashes are stored; either works once, until it expires."""

    email = models.EmailField(max_length=254)
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64)
    link_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["network", "email", "created_at"], name="signin_code_recent")
        ]

    def __str__(self) -> str:
        return f"Sign-in code for {self.email}"

    @property
    def is_usable(self) -> bool:
        from wraparound.portal.services import MAX_CODE_ATTEMPTS

        return (
            self.used_at is None
            and self.expires_at > timezone.now()
            and self.failed_attempts < MAX_CODE_ATTEMPTS
        )


class PersonLinkCode(models.Model):
    """A code a worker gives a person (on paper or by phone) so they can link their portal
    account to their record themselves, together with their date of birth."""

    personal_data = PersonalData(DataCategory.IDENTITY)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"Portal link code for person {self.person_id}"


class LinkRequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a worker")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Not confirmed")


class LinkRequest(models.Model):
    """A citizen's request to be linked to their record, with the identity facts they gave;
    a worker finds the person and confirms (or not)."""

    personal_data = PersonalData(DataCategory.IDENTITY)

    account = models.ForeignKey(
        CitizenAccount, on_delete=models.CASCADE, related_name="link_requests"
    )
    given_name = EncryptedTextField()
    family_name = EncryptedTextField()
    date_of_birth = models.DateField()
    postcode = EncryptedTextField(blank=True)
    phone = EncryptedTextField(blank=True)
    status = models.CharField(
        max_length=20, choices=LinkRequestStatus.choices, default=LinkRequestStatus.PENDING
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(status="pending"), name="link_request_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"Link request {self.pk} ({self.status})"


class IntermediaryRelationship(models.TextChoices):
    RELATIVE = "relative", _("Relative or friend")
    WORKER = "worker", _("Support worker")
    ADVOCATE = "advocate", _("Advocate")


class Intermediary(models.Model):
    """Someone the person allows to use the portal for them. Everything they do there is
    recorded as theirs, on the person's behalf."""

    personal_data = PersonalData(DataCategory.IDENTITY)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(CitizenAccount, on_delete=models.CASCADE, related_name="acts_for")
    relationship = models.CharField(max_length=20, choices=IntermediaryRelationship.choices)
    allowed_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "account"],
                condition=Q(revoked_at__isnull=True),
                name="intermediary_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} for person {self.person_id}"
