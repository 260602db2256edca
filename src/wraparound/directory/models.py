"""The service directory: the Open Referral HSDS 3.0 core and linked tables.

`Organisation` IS the HSDS ``organization`` (one model). Every HSDS record carries its HSDS
identifier as ``hsds_id`` (a UUID, unique); rows keep Django integer keys so other apps can
point at them (eligibility rules point at `Service` and `Program`). Services, programmes and
locations belong to a network through their organisation (locations also hold the network
directly, as HSDS allows a location without an organisation).

Optional HSDS text fields are stored as "" when absent; optional numbers and dates as NULL.
The directory holds no personal data: it is public by design.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from wraparound.core.models import Area, Network, TimeStampedModel
from wraparound.directory.needs import NeedCategory, PriorityClass


class Sector(models.TextChoices):
    HOUSING = "housing", "Housing"
    HEALTH = "health", "Health"
    MENTAL_HEALTH = "mental_health", "Mental health"
    SUBSTANCE_USE = "substance_use", "Substance use"
    LEGAL = "legal", "Legal"
    SOCIAL_SERVICES = "social_services", "Social services"
    EMPLOYMENT = "employment", "Employment"
    EDUCATION = "education", "Education"
    CHILD_AND_FAMILY = "child_and_family", "Child and family"
    DISABILITY = "disability", "Disability"
    INCOME_AND_BENEFITS = "income_and_benefits", "Income and benefits"
    FOOD = "food", "Food"
    JUSTICE = "justice", "Justice"
    OTHER = "other", "Other"


class OrganisationKind(models.TextChoices):
    PUBLIC = "public", "Public body"
    NON_PROFIT = "non_profit", "Non-profit"
    PRIVATE = "private", "Private"


def _hsds_id() -> models.UUIDField:
    return models.UUIDField(
        "HSDS id", default=uuid.uuid4, unique=True, editable=False, help_text="The HSDS identifier."
    )


class Organisation(TimeStampedModel):
    """An agency in a network: the HSDS ``organization``."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="organisations")
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=200)
    sector = models.CharField(max_length=30, choices=Sector.choices)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    is_lead = models.BooleanField(
        default=False, help_text="Runs the one-stop centre and holds case management."
    )
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True, max_length=500)
    # HSDS organization fields.
    hsds_id = _hsds_id()
    alternate_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    tax_status = models.CharField(max_length=100, blank=True)
    tax_id = models.CharField(max_length=100, blank=True)
    year_incorporated = models.PositiveIntegerField(null=True, blank=True)
    legal_status = models.CharField(max_length=200, blank=True)
    logo = models.CharField(max_length=500, blank=True)
    uri = models.URLField(blank=True, max_length=500)
    # A soft reference (HSDS parent_organization_id): the parent may live outside this
    # directory, so it is kept as an identifier and resolved when present.
    parent_hsds_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "slug"], name="organisation_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class HsdsRecord(TimeStampedModel):
    hsds_id = _hsds_id()

    class Meta:
        abstract = True


class Program(HsdsRecord):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="programs"
    )
    name = models.CharField(max_length=200)
    alternate_name = models.CharField(max_length=200, blank=True)
    description = models.TextField()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DEFUNCT = "defunct", "Defunct"
    TEMPORARILY_CLOSED = "temporarily closed", "Temporarily closed"


# Explicit transitions (defunct is final).
SERVICE_STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    ServiceStatus.ACTIVE: frozenset(
        {ServiceStatus.INACTIVE, ServiceStatus.TEMPORARILY_CLOSED, ServiceStatus.DEFUNCT}
    ),
    ServiceStatus.TEMPORARILY_CLOSED: frozenset(
        {ServiceStatus.ACTIVE, ServiceStatus.INACTIVE, ServiceStatus.DEFUNCT}
    ),
    ServiceStatus.INACTIVE: frozenset(
        {ServiceStatus.ACTIVE, ServiceStatus.TEMPORARILY_CLOSED, ServiceStatus.DEFUNCT}
    ),
    ServiceStatus.DEFUNCT: frozenset(),
}


class Service(HsdsRecord):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="services"
    )
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    name = models.CharField(max_length=200)
    alternate_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    url = models.URLField(blank=True, max_length=500)
    email = models.EmailField(blank=True)
    status = models.CharField(
        max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    interpretation_services = models.TextField(blank=True)
    application_process = models.TextField(blank=True)
    fees_description = models.TextField(blank=True)
    wait_time = models.CharField(max_length=200, blank=True)
    fees = models.TextField(blank=True)
    accreditations = models.TextField(blank=True)
    eligibility_description = models.TextField(blank=True)
    minimum_age = models.PositiveIntegerField(null=True, blank=True)
    maximum_age = models.PositiveIntegerField(null=True, blank=True)
    assured_date = models.DateField(null=True, blank=True)
    assurer_email = models.EmailField(blank=True)
    licenses = models.TextField(blank=True)
    alert = models.TextField(blank=True)
    last_modified = models.DateTimeField(
        default=timezone.now,
        db_index=True,
        help_text="HSDS last_modified: set on every change, or kept from an import.",
    )
    # Wraparound's own fields.
    priority_class = models.CharField(
        max_length=20, choices=PriorityClass.choices, default=PriorityClass.SUPPORTIVE
    )
    capacity_total = models.PositiveIntegerField(
        null=True, blank=True, help_text="Total slots; empty when the service has no cap."
    )
    capacity_available = models.PositiveIntegerField(
        null=True, blank=True, help_text="Slots free now; empty when not tracked."
    )
    accepts_referrals = models.BooleanField(default=True)
    referral_response_hours = models.PositiveIntegerField(
        default=48, help_text="Referral SLA: hours to respond to a referral."
    )
    first_contact_days = models.PositiveIntegerField(
        default=5, help_text="Referral SLA: days to first contact with the person."
    )
    unit_cost = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="Cost per person (GBP)."
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_available__isnull=True)
                | Q(capacity_total__isnull=True)
                | Q(capacity_available__lte=models.F("capacity_total")),
                name="service_capacity_available_le_total",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def need_codes(self) -> list[str]:
        return [n.need for n in self.needs.all()]


class ServiceNeed(models.Model):
    """A need category a service serves (Wraparound's own; exported as HSDS attributes)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="needs")
    need = models.CharField(max_length=40, choices=NeedCategory.choices, db_index=True)

    class Meta:
        ordering = ["need"]
        constraints = [
            models.UniqueConstraint(fields=["service", "need"], name="service_need_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}:{self.need}"


class LocationType(models.TextChoices):
    PHYSICAL = "physical", "Physical"
    POSTAL = "postal", "Postal"
    VIRTUAL = "virtual", "Virtual"


class Location(HsdsRecord):
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="locations")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="locations"
    )
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="locations"
    )
    location_type = models.CharField(
        max_length=20, choices=LocationType.choices, default=LocationType.PHYSICAL
    )
    url = models.URLField(blank=True, max_length=500)
    name = models.CharField(max_length=200, blank=True)
    alternate_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    transportation = models.TextField(blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    external_identifier = models.CharField(max_length=200, blank=True)
    external_identifier_type = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name or str(self.hsds_id)


class ServiceAtLocation(HsdsRecord):
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="service_at_locations"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="service_at_locations"
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]


class Address(HsdsRecord):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="addresses")
    attention = models.CharField(max_length=200, blank=True)
    address_1 = models.CharField(max_length=200)
    address_2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)
    state_province = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2)
    address_type = models.CharField(max_length=20, choices=LocationType.choices)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "addresses"


class Contact(HsdsRecord):
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["id"]


class Phone(HsdsRecord):
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    number = models.CharField(max_length=100)
    extension = models.PositiveIntegerField(null=True, blank=True)
    type = models.CharField(max_length=50, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]


class Weekday(models.TextChoices):
    MO = "MO", "Monday"
    TU = "TU", "Tuesday"
    WE = "WE", "Wednesday"
    TH = "TH", "Thursday"
    FR = "FR", "Friday"
    SA = "SA", "Saturday"
    SU = "SU", "Sunday"


class Frequency(models.TextChoices):
    WEEKLY = "WEEKLY", "Weekly"
    MONTHLY = "MONTHLY", "Monthly"


class Schedule(HsdsRecord):
    """Opening hours as an iCalendar RRULE (HSDS schedule)."""

    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="schedules",
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    dtstart = models.DateField(null=True, blank=True)
    timezone = models.FloatField(null=True, blank=True, help_text="Offset from UTC, in hours.")
    until = models.DateField(null=True, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True)
    wkst = models.CharField(max_length=2, choices=Weekday.choices, blank=True)
    freq = models.CharField(max_length=10, choices=Frequency.choices, blank=True)
    interval = models.PositiveIntegerField(null=True, blank=True)
    byday = models.CharField(max_length=100, blank=True)
    byweekno = models.CharField(max_length=200, blank=True)
    bymonthday = models.CharField(max_length=200, blank=True)
    byyearday = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    schedule_link = models.URLField(blank=True, max_length=500)
    attending_type = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]


class Taxonomy(HsdsRecord):
    """A shared vocabulary (e.g. Open Eligibility). Vocabularies are not network data."""

    name = models.CharField(max_length=200)
    description = models.TextField()
    uri = models.URLField(blank=True, max_length=500)
    version = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "taxonomies"

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(HsdsRecord):
    code = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=200)
    description = models.TextField()
    # Soft references into a vocabulary that may be published elsewhere (HSDS parent_id and
    # taxonomy_id): identifiers, resolved against this directory when present.
    parent_hsds_id = models.UUIDField(null=True, blank=True, db_index=True)
    taxonomy = models.CharField(max_length=200, blank=True, help_text="HSDS free-text taxonomy.")
    taxonomy_hsds_id = models.UUIDField(null=True, blank=True, db_index=True)
    language = models.CharField(max_length=20, blank=True)
    term_uri = models.URLField(blank=True, max_length=500)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ServiceArea(HsdsRecord):
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="service_areas"
    )
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_areas",
        help_text="The Wraparound area this HSDS service area covers, when known.",
    )
    name = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    extent = models.TextField(blank=True)
    extent_type = models.CharField(max_length=50, blank=True)
    uri = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]


class CostOption(HsdsRecord):
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="cost_options"
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    option = models.TextField(blank=True)
    currency = models.CharField(max_length=3, blank=True)
    amount = models.FloatField(null=True, blank=True)
    amount_description = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]


class Language(HsdsRecord):
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="languages"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="languages"
    )
    phone = models.ForeignKey(
        Phone, null=True, blank=True, on_delete=models.CASCADE, related_name="languages"
    )
    name = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]


class RequiredDocument(HsdsRecord):
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="required_documents",
    )
    document = models.TextField(blank=True)
    uri = models.URLField(blank=True, max_length=500)

    class Meta:
        ordering = ["id"]


class Attribute(HsdsRecord):
    """A taxonomy term attached to any HSDS record (polymorphic: link_entity + link_id)."""

    link_id = models.UUIDField(db_index=True)
    taxonomy_term = models.ForeignKey(
        TaxonomyTerm, on_delete=models.PROTECT, related_name="attributes"
    )
    link_type = models.CharField(max_length=100, blank=True)
    link_entity = models.CharField(max_length=100, blank=True)
    value = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]


class Funding(HsdsRecord):
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="funding"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="funding"
    )
    source = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]


class Accessibility(HsdsRecord):
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="accessibility"
    )
    description = models.TextField(blank=True)
    details = models.TextField(blank=True)
    url = models.URLField(blank=True, max_length=500)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "accessibility"


class OrganisationIdentifier(HsdsRecord):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="organization_identifiers"
    )
    identifier_scheme = models.CharField(max_length=100, blank=True)
    identifier_type = models.CharField(max_length=100)
    identifier = models.CharField(max_length=200)

    class Meta:
        ordering = ["id"]


class Url(HsdsRecord):
    """A labelled link of an organisation or service (the HSDS 3.1 ``url`` table)."""

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="urls"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="urls"
    )
    label = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500)

    class Meta:
        ordering = ["id"]


class Metadata(HsdsRecord):
    """HSDS change metadata about any record (resource_type + resource_id)."""

    resource_id = models.UUIDField(db_index=True)
    resource_type = models.CharField(max_length=100)
    last_action_date = models.DateField()
    last_action_type = models.CharField(max_length=100)
    field_name = models.CharField(max_length=200)
    previous_value = models.TextField()
    replacement_value = models.TextField()
    updated_by = models.CharField(max_length=200)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "metadata"


class MetaTableDescription(HsdsRecord):
    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=20, blank=True)
    character_set = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["id"]
