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
    # Set by people.merge.person_merge: this record was found to be the same person as
    # another one and everything about it moved there. Kept (not deleted) for unmerge and
    # history; hidden from search, lists and matching.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="absorbed"
    )

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


class PersonMatchKey(models.Model):
    """One blocking key of one person for online matching (``people/matching.py``).

    Kept by the services as people change (``refresh_match_keys``); a candidate lookup is a
    probe of the covering (network, key, person) index for a handful of keys.
    """

    personal_data = PersonalData(DataCategory.IDENTITY)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="match_keys")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)

    class Meta:
        indexes = [
            models.Index(fields=["network", "key", "person"], name="person_match_key_lookup"),
            models.Index(fields=["person"], name="person_match_key_person"),
        ]

    def __str__(self) -> str:
        return self.key


class MergeStatus(models.TextChoices):
    MERGED = "merged", "Merged"
    UNDONE = "undone", "Unmerged"


# Explicit transitions: a merge can be undone once; an undone merge stays undone (merging the
# two people again is a new merge).
MERGE_TRANSITIONS: dict[str, frozenset[str]] = {
    MergeStatus.MERGED: frozenset({MergeStatus.UNDONE}),
    MergeStatus.UNDONE: frozenset(),
}


class PersonMerge(TimeStampedModel):
    """Two records found to be the same person: everything of ``merged`` moved to
    ``survivor``. Every row changed is a ``PersonMergeChange``, so unmerge restores it."""

    personal_data = PersonalData(DataCategory.IDENTITY)

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_survived")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_absorbed")
    status = models.CharField(
        max_length=20, choices=MergeStatus.choices, default=MergeStatus.MERGED, db_index=True
    )
    reason = models.TextField()
    merged_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    merged_by_organisation = models.ForeignKey(
        Organisation, null=True, on_delete=models.PROTECT, related_name="+"
    )
    counts = models.JSONField(default=dict, blank=True, help_text="{model: rows moved}")
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undo_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(survivor=models.F("merged")), name="person_merge_two_people"
            ),
            models.UniqueConstraint(
                fields=["merged"],
                condition=Q(status="merged"),
                name="person_merge_once_at_a_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merged.reference} merged into {self.survivor.reference}"


class ChangeKind(models.TextChoices):
    MOVED = "moved", "Moved to the survivor"
    DELETED = "deleted", "Removed as a duplicate of the survivor's"
    UPDATED = "updated", "Changed on the survivor"


class PersonMergeChange(models.Model):
    """One row a merge changed, with what unmerge needs to put it back."""

    merge = models.ForeignKey(PersonMerge, on_delete=models.PROTECT, related_name="changes")
    sequence = models.PositiveIntegerField(help_text="Order applied; unmerge goes backwards.")
    model = models.CharField(max_length=100, help_text="app_label.ModelName")
    object_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=20, choices=ChangeKind.choices)
    field = models.CharField(max_length=100, blank=True)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    # A deleted row in full (Django's JSON serialisation), to be re-inserted as it was.
    row = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["merge_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["merge", "sequence"], name="merge_change_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.model} {self.object_id}"
