"""The master client index: each agency's record of a person, how records link to people,
the trained linkage model (versioned data) and the clerical review queue.

Linkage reads identity fields only: nothing here holds or reads a sensitive category.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.core.models import Network, TimeStampedModel
from wraparound.directory.models import Organisation
from wraparound.people.models import Person

# The identity fields linkage compares (and the only ones it reads).
IDENTITY_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "address",
    "postcode",
    "phone",
    "email",
    "national_number",
    "insurance_number",
)


class LinkStatus(models.TextChoices):
    UNLINKED = "unlinked", "Not yet linked"
    REVIEW = "review", "Waiting for clerical review"
    LINKED = "linked", "Linked to a person"


class LinkMethod(models.TextChoices):
    NONE = "", "None"
    AUTOMATIC = "automatic", "Automatic (above the upper threshold)"
    NEW_PERSON = "new_person", "New person (no likely match)"
    CLERICAL = "clerical", "Clerical review"
    ONLINE = "online", "Worker at registration"
    MERGE = "merge", "Moved by a merge"


# Which statuses may follow which (explicit transitions; see services.record_set_link).
LINK_TRANSITIONS: dict[str, frozenset[str]] = {
    LinkStatus.UNLINKED: frozenset({LinkStatus.REVIEW, LinkStatus.LINKED}),
    LinkStatus.REVIEW: frozenset({LinkStatus.LINKED, LinkStatus.UNLINKED}),
    LinkStatus.LINKED: frozenset({LinkStatus.LINKED}),  # relinked only by review or merge
}


class SourceRecord(TimeStampedModel):
    """One agency's record of one person, as they hold it (their spelling, their id)."""

    personal_data = PersonalData(DataCategory.IDENTITY)

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="source_records"
    )
    local_id = models.CharField(max_length=100, help_text="The agency's own id for the person.")
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=20, blank=True)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=12, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.CharField(max_length=254, blank=True)
    national_number = models.CharField(max_length=30, blank=True)
    insurance_number = models.CharField(max_length=30, blank=True)
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="source_records",
    )
    link_status = models.CharField(
        max_length=20, choices=LinkStatus.choices, default=LinkStatus.UNLINKED, db_index=True
    )
    link_method = models.CharField(
        max_length=20, choices=LinkMethod.choices, default=LinkMethod.NONE, blank=True
    )
    link_score = models.FloatField(null=True, blank=True, help_text="Match probability.")
    linked_at = models.DateTimeField(null=True, blank=True)
    # Records held for review together (one automatic cluster) share this key.
    review_group = models.CharField(max_length=60, blank=True, db_index=True)

    class Meta:
        ordering = ["source_id", "local_id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "local_id"], name="source_record_local_id"),
            models.CheckConstraint(
                condition=Q(link_status="linked", person__isnull=False)
                | (~Q(link_status="linked") & Q(person__isnull=True)),
                name="source_record_linked_has_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.slug}:{self.local_id}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class ImportStatus(models.TextChoices):
    RUNNING = "running", "Running (or interrupted)"
    DONE = "done", "Done"


class ImportRun(TimeStampedModel):
    """One import of one file for one source: its checkpoint and its report of rejected rows.

    Rows are committed in batches; ``rows_done`` is advanced in the batch's transaction, so
    an interrupted import re-run with the same file continues after the last whole batch.
    """

    source = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=300)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.RUNNING
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.JSONField(default=list, blank=True, help_text="[{row, local_id, errors}]")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.rows_done}/{self.rows_total})"


class LinkageModel(TimeStampedModel):
    """A trained linkage model: versioned network configuration (never edited in place)."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    settings = models.JSONField(help_text="Splink settings with the trained m and u values.")
    upper_threshold = models.FloatField(help_text="Match probability above which records link.")
    lower_threshold = models.FloatField(help_text="Below this a record becomes a new person.")
    trained_at = models.DateTimeField()
    trained_on = models.PositiveIntegerField(default=0, help_text="Records trained on.")
    metrics = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["network_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["network", "version"], name="linkage_model_version"),
            models.CheckConstraint(
                condition=Q(lower_threshold__gt=0)
                & Q(lower_threshold__lte=models.F("upper_threshold"))
                & Q(upper_threshold__lt=1),
                name="linkage_model_thresholds",
            ),
        ]

    def __str__(self) -> str:
        return f"Linkage model v{self.version}"


class LinkRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class LinkRun(TimeStampedModel):
    """One run of bulk linkage: what it did, for the task page and the audit."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    model = models.ForeignKey(LinkageModel, on_delete=models.PROTECT, related_name="runs")
    backend = models.CharField(max_length=20)
    status = models.CharField(
        max_length=20, choices=LinkRunStatus.choices, default=LinkRunStatus.RUNNING
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Link run {self.pk} ({self.get_status_display()})"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Waiting for a decision"
    UNSURE = "unsure", "Marked unsure: needs a second look"
    MATCHED = "matched", "Decided: the same person"
    NOT_MATCHED = "not_matched", "Decided: not the same person"
    CLOSED = "closed", "Closed (the record was linked another way)"


REVIEW_TRANSITIONS: dict[str, frozenset[str]] = {
    ReviewStatus.OPEN: frozenset(
        {ReviewStatus.UNSURE, ReviewStatus.MATCHED, ReviewStatus.NOT_MATCHED, ReviewStatus.CLOSED}
    ),
    ReviewStatus.UNSURE: frozenset(
        {ReviewStatus.UNSURE, ReviewStatus.MATCHED, ReviewStatus.NOT_MATCHED, ReviewStatus.CLOSED}
    ),
    ReviewStatus.MATCHED: frozenset(),
    ReviewStatus.NOT_MATCHED: frozenset(),
    ReviewStatus.CLOSED: frozenset(),
}


class ReviewPair(TimeStampedModel):
    """A grey-zone pair: a record waiting for review, and the record (and person) it may be."""

    personal_data = PersonalData(DataCategory.IDENTITY)

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey(SourceRecord, on_delete=models.CASCADE, related_name="+")
    other_record = models.ForeignKey(
        SourceRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="review_pairs", help_text="Candidate."
    )
    model = models.ForeignKey(
        LinkageModel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    run = models.ForeignKey(LinkRun, null=True, blank=True, on_delete=models.SET_NULL)
    score = models.FloatField(help_text="Match probability.")
    match_weight = models.FloatField(default=0)
    comparison = models.JSONField(
        default=list, help_text="[{field, left, right, level, weight}] per compared field."
    )
    status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.OPEN, db_index=True
    )

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["record", "person"], name="review_pair_record_person")
        ]

    def __str__(self) -> str:
        return f"Review {self.record} ~ {self.person.reference}"


class ReviewLabel(models.TextChoices):
    MATCH = "match", "The same person"
    NOT_MATCH = "not_match", "Not the same person"
    UNSURE = "unsure", "Unsure"


class ReviewDecision(TimeStampedModel):
    """A reviewer's label on a pair. Kept for ever: a later automatic run never overrides it,
    and the labels measure the current model's precision and recall."""

    pair = models.ForeignKey(ReviewPair, on_delete=models.PROTECT, related_name="decisions")
    # The records themselves, so the label outlives the pair's candidate person.
    record = models.ForeignKey(SourceRecord, on_delete=models.CASCADE, related_name="+")
    other_record = models.ForeignKey(
        SourceRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    label = models.CharField(max_length=20, choices=ReviewLabel.choices)
    reason = models.TextField()
    score = models.FloatField(help_text="The pair's score when decided.")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_label_display()} ({self.pair_id})"
