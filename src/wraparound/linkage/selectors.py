"""Reads of the master client index. Identity fields only; every read is audited.

The index is run by the network's lead organisation: bulk linkage and export read every
record of the network as the system's own processing (one audit event per run, naming the
count), and the review queue is open to reviewers of the lead organisation
(``services.may_review_links``), each pair they open audited per person.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from wraparound.accounts.actor import Actor
from wraparound.audit.models import AuditKind
from wraparound.audit.services import PersonRead, audit_reads, audit_record
from wraparound.core.models import Network
from wraparound.linkage.model import IdentityRecord, current_parameters
from wraparound.linkage.models import (
    LinkageModel,
    LinkRun,
    LinkStatus,
    ReviewDecision,
    ReviewLabel,
    ReviewPair,
    ReviewStatus,
    SourceRecord,
)
from wraparound.linkage.services import require_reviewer
from wraparound.people.models import Person

IDENTITY_ONLY = (
    "id",
    "network_id",
    "source_id",
    "local_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "address",
    "postcode",
    "phone",
    "email",
    "national_number",
    "person_id",
    "link_status",
    "link_method",
    "review_group",
)
PERSON_IDENTITY = (
    "id",
    "network_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "phone",
    "email",
)


def linkage_identity_rows(*, network: Network) -> tuple[dict[int, SourceRecord], list[Person]]:
    """Every source record and person of the network, identity fields only, for bulk
    linkage (the index's own processing; one audit event for the whole read)."""
    records = {
        r.pk: r
        for r in SourceRecord.objects.filter(network=network).only(*IDENTITY_ONLY).iterator()
    }
    # People merged into another are kept for unmerge only: they take no part in matching.
    people = list(
        Person.objects.filter(network=network, merged_into__isnull=True)
        .only(*PERSON_IDENTITY)
        .iterator()
    )
    with transaction.atomic():
        audit_record(
            actor=_system(),
            kind=AuditKind.READ,
            action="linkage.read_identity",
            summary=(
                f"Bulk linkage read the identity fields of {len(records)} agency records "
                f"and {len(people)} people of {network.slug}"
            ),
            categories=["identity"],
            purpose="record_linkage",
        )
    return records, people


def _system() -> Actor:
    return Actor.system("master client index")


@dataclass(frozen=True)
class LinkRow:
    source: str
    local_id: str
    person_id: int


def export_links(*, actor: Actor, network: Network | None = None) -> Iterator[LinkRow]:
    """Linked records as (source slug, local id, person id), for ``export_links``.
    One audit event for the export (what, how many)."""
    records = SourceRecord.objects.filter(link_status=LinkStatus.LINKED)
    if network is not None:
        records = records.filter(network=network)
    rows = records.order_by("source__slug", "local_id").values_list(
        "source__slug", "local_id", "person_id"
    )
    count = 0
    for slug, local_id, person_id in rows.iterator(chunk_size=5000):
        count += 1
        yield LinkRow(slug, local_id, person_id)
    with transaction.atomic():
        audit_record(
            actor=actor,
            kind=AuditKind.READ,
            action="linkage.export",
            summary=f"Exported {count} links (source, local id, person id)",
            categories=["identity"],
            purpose="record_linkage",
        )


def review_queue(*, actor: Actor, status: str = "open", page: int = 1) -> Page[ReviewPair]:
    """The network's grey-zone pairs for a reviewer, best score first, 25 a page. The list
    shows names only; each person shown is audited."""
    network = require_reviewer(actor)
    statuses = {
        "open": [ReviewStatus.OPEN, ReviewStatus.UNSURE],
        "decided": [ReviewStatus.MATCHED, ReviewStatus.NOT_MATCHED, ReviewStatus.CLOSED],
    }.get(status, [ReviewStatus.OPEN, ReviewStatus.UNSURE])
    pairs: QuerySet[ReviewPair] = (
        ReviewPair.objects.filter(network=network, status__in=statuses)
        .select_related("record", "record__source", "person")
        .order_by("-score", "id")
    )
    result = Paginator(pairs, 25).get_page(page)
    audit_reads(
        actor=actor,
        action="linkage.review_list",
        purpose="record_linkage",
        summary="Listed in the linkage review queue",
        reads=[
            PersonRead(pair.person_id, ["identity"], "reviewer at the lead organisation")
            for pair in result
        ],
    )
    return result


def review_pair_get(*, actor: Actor, pair_id: int) -> ReviewPair:
    network = require_reviewer(actor)
    pair = (
        ReviewPair.objects.select_related(
            "record", "record__source", "other_record", "other_record__source", "person"
        )
        .filter(pk=pair_id, network=network)
        .first()
    )
    if pair is None:
        raise Http404("No review pair with that id")
    audit_reads(
        actor=actor,
        action="linkage.review_view",
        purpose="record_linkage",
        summary=f"Opened review pair {pair.pk}",
        reads=[PersonRead(pair.person_id, ["identity"], "reviewer at the lead organisation")],
    )
    return pair


def pair_decisions(*, actor: Actor, pair: ReviewPair) -> QuerySet[ReviewDecision]:
    require_reviewer(actor)
    return pair.decisions.select_related("reviewer", "organisation").order_by("id")


@dataclass(frozen=True)
class Evaluation:
    """The current model against reviewers' labels (match / not a match; unsure ignored)."""

    labelled: int
    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int

    @property
    def precision(self) -> float | None:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else None

    @property
    def recall(self) -> float | None:
        actual = self.true_positive + self.false_negative
        return self.true_positive / actual if actual else None


def model_evaluation(*, network: Network) -> Evaluation:
    """Score every labelled pair with the current model: a pair the model would link
    (at or above the upper threshold) against the reviewer's label. The latest label of a
    pair counts."""
    params = current_parameters(network)
    latest: dict[int, ReviewDecision] = {}
    decisions = (
        ReviewDecision.objects.filter(
            pair__network=network, label__in=[ReviewLabel.MATCH, ReviewLabel.NOT_MATCH]
        )
        .select_related("record", "other_record", "pair__person")
        .order_by("id")
    )
    for decision in decisions:
        latest[decision.pair_id] = decision
    tp = fp = fn = tn = 0
    for decision in latest.values():
        left = IdentityRecord.from_source_record(decision.record)
        right = (
            IdentityRecord.from_source_record(decision.other_record)
            if decision.other_record is not None
            else IdentityRecord.from_person(decision.pair.person)
        )
        predicted = params.score(left, right).probability >= params.upper_threshold
        actual = decision.label == ReviewLabel.MATCH
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
        tn += not predicted and not actual
    return Evaluation(len(latest), tp, fp, fn, tn)


def linkage_overview(*, actor: Actor) -> dict[str, object]:
    """Counts for the index's page (no personal data)."""
    network = require_reviewer(actor)
    records = SourceRecord.objects.filter(network=network)
    return {
        "network": network,
        "records": records.count(),
        "linked": records.filter(link_status=LinkStatus.LINKED).count(),
        "review": records.filter(link_status=LinkStatus.REVIEW).count(),
        "unlinked": records.filter(link_status=LinkStatus.UNLINKED).count(),
        "open_pairs": ReviewPair.objects.filter(
            network=network, status__in=[ReviewStatus.OPEN, ReviewStatus.UNSURE]
        ).count(),
        "model": LinkageModel.objects.filter(network=network).order_by("-version").first(),
        "runs": list(LinkRun.objects.filter(network=network).order_by("-id")[:5]),
        "evaluation": model_evaluation(network=network),
    }
