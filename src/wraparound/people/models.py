"""People, households and identifiers: the shared client record's core."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q

from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.core.models import Area, Network, TimeStampedModel
from wraparound.directory.models import Organisation
from wraparound.people.choices import (
    LANGUAGE_NAMES,
    Gender,
    IdentifierType,
    PopulationGroup,
    Relationship,
    Sex,
)


class Person(TimeStampedModel):
    personal_data = PersonalData(DataCategory.IDENTITY)

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="people")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    previous_names = models.JSONField(
        default=list, blank=True, help_text="Earlier full names, e.g. before marriage."
    )
    date_of_birth = models.DateField(null=True, blank=True, db_index=True)
    date_of_birth_is_approximate = models.BooleanField(default=False)
    sex = models.CharField(max_length=20, choices=Sex.choices, default=Sex.NOT_KNOWN)
    gender = models.CharField(max_length=20, choices=Gender.choices, blank=True)
    gender_description = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    email = models.EmailField(blank=True)
    address_line_1 = models.CharField(max_length=200, blank=True)
    address_line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=12, blank=True)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="residents"
    )
    address_withheld = models.BooleanField(
        default=False,
        help_text="Safety: the address is shown only to the workers named below.",
    )
    address_visible_to = models.ManyToManyField(
        "accounts.User",
        blank=True,
        related_name="+",
        help_text="Workers who may see a withheld address.",
    )
    preferred_languages = models.JSONField(default=list, blank=True)
    interpreter_needed = models.BooleanField(default=False)
    registered_by = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registered_people",
    )
    # Accent- and case-folded "family given" for sorting; kept by the services.
    sort_name = models.CharField(max_length=210, db_index=True, editable=False)

    class Meta:
        ordering = ["sort_name", "id"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.full_name

    @property
    def reference(self) -> str:
        """The record number workers quote: P-000123."""
        return f"P-{self.pk:06d}" if self.pk else "P-new"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def known_as(self) -> str:
        return self.preferred_name or self.given_name

    def age_on(self, day: date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def language_names(self) -> list[str]:
        return [LANGUAGE_NAMES.get(code, code) for code in self.preferred_languages]

    @property
    def address_lines(self) -> list[str]:
        parts = [self.address_line_1, self.address_line_2, self.town, self.postcode]
        return [p for p in parts if p]


class PersonPopulationGroup(models.Model):
    # The category depends on the group (see POPULATION_GROUP_CATEGORY); this is the default.
    personal_data = PersonalData(DataCategory.IDENTITY)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="population_groups")
    group = models.CharField(max_length=30, choices=PopulationGroup.choices, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "group"], name="person_group_unique")
        ]

    def __str__(self) -> str:
        return self.get_group_display()


class PersonNameToken(models.Model):
    """One folded word of one of a person's names, for fast, forgiving prefix search."""

    personal_data = PersonalData(DataCategory.IDENTITY)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="name_tokens")
    token = models.CharField(max_length=100, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "token"], name="person_token_unique")
        ]

    def __str__(self) -> str:
        return self.token


class Household(TimeStampedModel):
    personal_data = PersonalData(DataCategory.HOUSEHOLD)

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="households")
    name = models.CharField(max_length=200, help_text="How the household is known, e.g. 'Evans'.")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class HouseholdMember(TimeStampedModel):
    personal_data = PersonalData(DataCategory.HOUSEHOLD)

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    # A person belongs to at most one household at a time.
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="household_link")
    relationship = models.CharField(max_length=20, choices=Relationship.choices)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relationship=Relationship.HEAD),
                name="household_one_head",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_relationship_display()})"


class Identifier(TimeStampedModel):
    personal_data = PersonalData(DataCategory.IDENTITY)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identifiers")
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=30, choices=IdentifierType.choices)
    value = models.CharField(max_length=60, help_text="Normalised: no spaces, upper case.")
    issuer = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["type", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "type", "issuer", "value"], name="identifier_unique"
            )
        ]
        indexes = [models.Index(fields=["value"], name="identifier_value")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.value}"
