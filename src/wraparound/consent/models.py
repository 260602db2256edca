"""Consents, legal bases and break-glass: the grounds on which personal data is shared.

Rows are never edited in place once made: a withdrawal is a row of its own, a review of a
break-glass fills in fields that were empty. History is the table itself.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.core.crypto import EncryptedTextField, document_storage
from wraparound.core.models import Network
from wraparound.directory.models import Organisation, Sector
from wraparound.people.models import Person


class RecipientKind(models.TextChoices):
    ORGANISATION = "organisation", "One organisation"
    SECTOR = "sector", "Every organisation of a sector in the network"
    NETWORK = "network", "Every organisation in the network"


class Purpose(models.TextChoices):
    CARE_COORDINATION = "care_coordination", "Coordinating care and support"
    REFERRAL = "referral", "A specific referral"
    EVALUATION = "evaluation", "De-identified evaluation"


class Evidence(models.TextChoices):
    SIGNED_FORM = "signed_form", "Signed form (uploaded)"
    VERBAL = "verbal", "Verbal consent, witnessed by the recording worker"
    PORTAL = "portal", "Given in the portal"


class ActiveQuerySet(models.QuerySet):
    def active(self, at: datetime | None = None) -> ActiveQuerySet:
        at = at or timezone.now()
        return self.filter(
            Q(valid_from__lte=at) & (Q(valid_until__isnull=True) | Q(valid_until__gt=at))
        )


class ConsentQuerySet(ActiveQuerySet):
    def active(self, at: datetime | None = None) -> ConsentQuerySet:
        return super().active(at).filter(withdrawal__isnull=True)  # type: ignore[return-value]

    def covering(self, organisation: Organisation) -> ConsentQuerySet:
        """Consents whose recipient includes ``organisation``."""
        return self.filter(
            Q(recipient_kind=RecipientKind.ORGANISATION, recipient_organisation=organisation)
            | Q(recipient_kind=RecipientKind.SECTOR, recipient_sector=organisation.sector)
            | Q(recipient_kind=RecipientKind.NETWORK)
        )


class Consent(models.Model):
    """A person's agreement to share chosen categories with a recipient, for a purpose."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    recipient_kind = models.CharField(max_length=20, choices=RecipientKind.choices)
    recipient_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient_sector = models.CharField(max_length=30, choices=Sector.choices, blank=True)
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    purpose_detail = models.CharField(
        max_length=200, blank=True, help_text="For a specific referral: which one."
    )
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(null=True, blank=True)
    evidence = models.CharField(max_length=20, choices=Evidence.choices)
    evidence_note = EncryptedTextField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="consent_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        recipient_kind=RecipientKind.ORGANISATION,
                        recipient_organisation__isnull=False,
                    )
                    | Q(recipient_kind=RecipientKind.SECTOR) & ~Q(recipient_sector="")
                    | Q(recipient_kind=RecipientKind.NETWORK)
                ),
                name="consent_recipient_complete",
            ),
        ]
        indexes = [models.Index(fields=["person", "recipient_kind"], name="consent_person")]

    def __str__(self) -> str:
        return f"Consent #{self.pk} of {self.person_id} to {self.recipient_label}"

    @property
    def recipient_label(self) -> str:
        if self.recipient_kind == RecipientKind.ORGANISATION and self.recipient_organisation:
            return self.recipient_organisation.name
        if self.recipient_kind == RecipientKind.SECTOR:
            return f"every {Sector(self.recipient_sector).label.lower()} organisation"
        return "every organisation in the network"

    @property
    def category_codes(self) -> list[str]:
        return [c.category for c in self.categories.all()]

    def status(self, at: datetime | None = None) -> str:
        at = at or timezone.now()
        if hasattr(self, "withdrawal"):
            return "withdrawn"
        if self.valid_from > at:
            return "not yet in force"
        if self.valid_until is not None and self.valid_until <= at:
            return "expired"
        return "active"


class ConsentCategory(models.Model):
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="categories")
    category = models.CharField(max_length=30, choices=DataCategory.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consent", "category"], name="consent_category_unique")
        ]
        indexes = [models.Index(fields=["category", "consent"], name="consent_category")]

    def __str__(self) -> str:
        return self.get_category_display()


class ConsentWithdrawal(models.Model):
    consent = models.OneToOneField(Consent, on_delete=models.PROTECT, related_name="withdrawal")
    withdrawn_at = models.DateTimeField(default=timezone.now)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"Withdrawal of consent #{self.consent_id}"


class LegalBasisKind(models.TextChoices):
    SAFEGUARDING = "safeguarding", "Safeguarding (risk of harm)"
    STATUTORY_DUTY = "statutory_duty", "Statutory duty"


class LegalBasis(models.Model):
    """Sharing without consent, recorded by a manager with a reason, for a limited time."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="legal_bases")
    kind = models.CharField(max_length=20, choices=LegalBasisKind.choices)
    recipient_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    categories = models.JSONField(default=list)
    reason = EncryptedTextField()
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = ActiveQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name_plural = "legal bases"
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("valid_from")),
                name="legal_basis_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.person_id}"


class BreakGlassReason(models.TextChoices):
    RISK_TO_LIFE = "risk_to_life", "Immediate risk to life"
    SAFEGUARDING_CHILD = "safeguarding_child", "Child safeguarding emergency"
    SAFEGUARDING_ADULT = "safeguarding_adult", "Adult safeguarding emergency"
    MEDICAL_EMERGENCY = "medical_emergency", "Medical emergency"
    MISSING_PERSON = "missing_person", "Missing person"


class Review(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    JUSTIFIED = "justified", "Justified"
    NOT_JUSTIFIED = "not_justified", "Not justified"


class BreakGlass(models.Model):
    """An emergency access: one worker, one person, for a limited time, reviewed afterwards."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="break_glasses")
    reason = models.CharField(max_length=30, choices=BreakGlassReason.choices)
    justification = EncryptedTextField()
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    review = models.CharField(max_length=20, choices=Review.choices, default=Review.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["user", "person", "expires_at"], name="break_glass_lookup")]

    def __str__(self) -> str:
        return f"Break-glass #{self.pk} by {self.user_id} for {self.person_id}"

    @property
    def is_active(self) -> bool:
        return self.started_at <= timezone.now() < self.expires_at


class ConsentEvidence(models.Model):
    """A signed consent form (a scan or a PDF), encrypted at rest, kept with its consent.

    The file's type was checked by its content when it came in (PDF, PNG or JPEG); it is
    only ever served as a download. See ``consent/evidence.py``.
    """

    personal_data = PersonalData(DataCategory.DOCUMENTS)

    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(storage=document_storage, upload_to="consent", max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(help_text="Bytes, before encryption.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name_plural = "consent evidence"

    def __str__(self) -> str:
        return f"{self.original_name} (consent #{self.consent_id})"


ALWAYS_FROM = datetime(2000, 1, 1, tzinfo=UTC)
FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


class GrantSource(models.TextChoices):
    REGISTRATION = "registration", "Registered the person"
    CASE = "case", "Leads a case"
    CONSENT = "consent", "Consent for care coordination"
    LEGAL_BASIS = "legal_basis", "Legal basis"
    BREAK_GLASS = "break_glass", "Break-glass"


class AccessGrant(models.Model):
    """Who may see (identify) a person, derived from registrations, cases, consents, legal
    bases and break-glass.

    A read model, never a source of truth: ``consent.grants.sync_access_grants`` rebuilds a
    person's rows from the source tables whenever one changes, and ``decide()`` keeps reading
    the sources. Lists filter on this one indexed table instead of three (ADR 0006).
    ``recipient`` is ``user:<id>`` (a key worker), ``org:<id>``, ``sector:<network id>:<code>``
    or ``network:<id>``.
    """

    # No index of its own: access_grant_probe leads with the person (a second index on the
    # person alone would be the planner's pick for the probe, and need the table too).
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="access_grants", db_index=False
    )
    recipient = models.CharField(max_length=40)
    valid_from = models.DateTimeField(default=ALWAYS_FROM)
    valid_until = models.DateTimeField(default=FOREVER)
    source = models.CharField(max_length=20, choices=GrantSource.choices)
    source_id = models.PositiveBigIntegerField()

    class Meta:
        indexes = [
            models.Index(
                # One seek per person; the few grants of a person are then checked in the
                # index itself (an IN on a leading column would seek once per recipient).
                fields=["person", "valid_until", "valid_from", "recipient"],
                name="access_grant_probe",
            ),
            # Counting everyone a worker may see, from the grants side (visible_people_count):
            # a recipient's people in person order, so a capped distinct count stops early.
            models.Index(
                fields=["recipient", "person", "valid_until", "valid_from"],
                name="access_grant_by_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} sees person {self.person_id} ({self.source})"


class GrantedNameToken(models.Model):
    """A person's name token under each recipient that may identify them: ``AccessGrant``
    crossed with ``PersonNameToken``, one more read model (ADR 0006).

    A name search with the policy then reads one index range per recipient — the matches the
    worker may see — instead of walking every match of the name and probing each one's
    grants. Rebuilt with the grants (``sync_access_grants``) and with the name tokens
    (``refresh_search_index``); never a source of truth.
    """

    # No index of its own: granted_token_person leads with the person and covers the search.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="granted_name_tokens", db_index=False
    )
    recipient = models.CharField(max_length=40)
    token = models.CharField(max_length=100)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()

    class Meta:
        indexes = [
            # A name prefix under one recipient is one range. PostgreSQL serves LIKE 'x%'
            # from a btree only with the pattern operator classes (ignored on SQLite, which
            # searches by range).
            models.Index(
                fields=["recipient", "token", "person", "valid_until", "valid_from"],
                name="granted_token_search",
                opclasses=[
                    "varchar_pattern_ops",
                    "varchar_pattern_ops",
                    "int8_ops",
                    "timestamptz_ops",
                    "timestamptz_ops",
                ],
            ),
            # Checking one person (a plan that walks people in name order) from the index
            # alone, as the unfiltered search does with (person, token).
            models.Index(
                fields=["person", "token", "recipient", "valid_until", "valid_from"],
                name="granted_token_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} finds person {self.person_id} by {self.token}"
