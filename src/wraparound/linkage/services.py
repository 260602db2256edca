"""Writes of the master client index: importing source records, bulk linkage, review decisions.

Keyword-only, typed, atomic and audited, like every service. Linkage reads and writes
identity fields only.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import Role
from wraparound.audit.services import audit_record
from wraparound.core.models import Network
from wraparound.directory.models import Organisation
from wraparound.linkage import engine
from wraparound.linkage.model import (
    DEFAULT_LOWER,
    DEFAULT_UPPER,
    IdentityRecord,
    current_parameters,
)
from wraparound.linkage.models import (
    LINK_TRANSITIONS,
    REVIEW_TRANSITIONS,
    ImportRun,
    ImportStatus,
    LinkageModel,
    LinkMethod,
    LinkRun,
    LinkRunStatus,
    LinkStatus,
    ReviewDecision,
    ReviewLabel,
    ReviewPair,
    ReviewStatus,
    SourceRecord,
)
from wraparound.people.choices import Sex
from wraparound.people.models import Person
from wraparound.people.services import PersonDetails, person_create

# --- Who may do what -----------------------------------------------------------------------

REVIEW_ROLES = frozenset({Role.KEY_WORKER, Role.INTAKE_OFFICER, Role.MANAGER})


def may_review_links(actor: Actor) -> bool:
    """Clerical review of the index: a caseworking role at the network's lead organisation
    (the one-stop centre that runs the index)."""
    membership = actor.membership
    return (
        membership is not None
        and membership.is_active
        and membership.organisation.is_lead
        and membership.role in REVIEW_ROLES
    )


def require_reviewer(actor: Actor) -> Network:
    if not may_review_links(actor):
        raise PermissionDenied(
            "Only key workers, intake officers and managers of the lead organisation review links"
        )
    assert actor.membership is not None
    return actor.membership.organisation.network


# --- Import --------------------------------------------------------------------------------

DEFAULT_COLUMNS = (
    "local_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "address",
    "postcode",
    "phone",
    "email",
)
OPTIONAL_EXTRA = ("national_number", "insurance_number")
REQUIRED_COLUMNS = ("local_id", "given_name", "family_name")
IMPORT_BATCH = 1000
_LIMITS: dict[str, int] = {
    f.name: int(f.max_length)
    for f in SourceRecord._meta.concrete_fields
    if f.max_length and f.name in (*DEFAULT_COLUMNS, *OPTIONAL_EXTRA)
}
_SEX = {
    "f": Sex.FEMALE, "female": Sex.FEMALE, "woman": Sex.FEMALE,
    "m": Sex.MALE, "male": Sex.MALE, "man": Sex.MALE,
    "i": Sex.INTERSEX, "intersex": Sex.INTERSEX,
    "u": "", "unknown": "", "not known": "", "not_known": "", "x": "", "": "",
}  # fmt: skip
EARLIEST_BIRTH_YEAR = 1890


@dataclass
class ImportReport:
    run: ImportRun
    resumed_from: int = 0

    @property
    def rejected(self) -> list[dict[str, Any]]:
        return list(self.run.rejected)


def read_table(path: Path, *, mapping: dict[str, str] | None = None) -> pd.DataFrame:
    """The file's rows as text, headers mapped to ours; refuses a file missing a required
    column before anything is written."""
    mapping = mapping or {}
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
            frame = frame.astype(object).where(frame.notna(), "")
            frame = frame.map(lambda v: v.isoformat() if isinstance(v, date) else str(v))
        elif suffix in (".csv", ".txt", ""):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            raise ValidationError({"file": [f"{path.name}: use a .csv or .parquet file"]})
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError({"file": [f"{path.name} could not be read: {exc}"]}) from exc
    unknown = [header for header in mapping if header not in frame.columns]
    if unknown:
        raise ValidationError(
            {"map": [f"{path.name} has no column {', '.join(repr(u) for u in unknown)} to map"]}
        )
    frame = frame.rename(columns=mapping)
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationError(
            {
                "file": [
                    f"{path.name} is missing the required column{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(missing)} (found: {', '.join(map(str, frame.columns))}); "
                    "use --map header=column for other headers. Nothing was imported."
                ]
            }
        )
    for column in (*DEFAULT_COLUMNS, *OPTIONAL_EXTRA):
        if column not in frame.columns:
            frame[column] = ""
    return frame[[*DEFAULT_COLUMNS, *OPTIONAL_EXTRA]].fillna("").astype(str)


def _parse_date(text: str) -> date:
    text = text.strip()
    for parse in (
        lambda t: date.fromisoformat(t[:10]) if len(t) >= 10 and t[4] == "-" else None,
        lambda t: (
            date(int(t[6:10]), int(t[3:5]), int(t[0:2]))
            if len(t) == 10 and t[2] in "/." and t[5] in "/."
            else None
        ),
    ):
        try:
            value = parse(text)
        except ValueError:
            value = None
        if value is not None:
            return value
    raise ValueError("not a date")


def clean_row(row: dict[str, str], *, today: date) -> tuple[dict[str, Any], dict[str, str]]:
    """The row's values for a SourceRecord, or the errors by column."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {k: " ".join(str(v).split()) for k, v in row.items()}
    if not values["local_id"]:
        errors["local_id"] = "empty local id"
    if not values["given_name"] and not values["family_name"]:
        errors["given_name"] = "empty name: give a given name or a family name"
    for name, limit in _LIMITS.items():
        if len(values.get(name, "")) > limit:
            errors[name] = f"longer than {limit} characters"
    born = values["date_of_birth"]
    values["date_of_birth"] = None
    if born:
        try:
            parsed = _parse_date(born)
        except ValueError:
            errors["date_of_birth"] = f"malformed date {born!r} (use YYYY-MM-DD or DD/MM/YYYY)"
        else:
            if parsed.year < EARLIEST_BIRTH_YEAR or parsed > today:
                errors["date_of_birth"] = f"impossible birth date {parsed.isoformat()}"
            else:
                values["date_of_birth"] = parsed
    sex = values["sex"].lower()
    if sex not in _SEX:
        errors["sex"] = f"unknown sex {values['sex']!r} (use female, male, intersex or leave empty)"
    else:
        values["sex"] = _SEX[sex]
    values["postcode"] = " ".join(values["postcode"].upper().split())
    values["email"] = values["email"].lower()
    if values["email"] and ("@" not in values["email"] or " " in values["email"]):
        errors["email"] = f"malformed e-mail address {values['email']!r}"
    return values, errors


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


_COMPARED = (*DEFAULT_COLUMNS[1:], *OPTIONAL_EXTRA)


def import_people(
    *,
    actor: Actor,
    path: Path,
    source: Organisation,
    mapping: dict[str, str] | None = None,
    batch_size: int = IMPORT_BATCH,
    progress: Callable[[int, int], None] | None = None,
    stop_after_batches: int | None = None,
) -> ImportReport:
    """Import (or re-import) a file of one source's records.

    Idempotent by local id: a known record is updated when its values changed, otherwise
    left alone. Each batch commits with the import's checkpoint, so running the same file
    again after an interruption continues after the last committed batch. Rejected rows are
    reported (row number, local id, errors by column) and not imported.
    ``stop_after_batches`` simulates an interruption (tests).
    """
    frame = read_table(path, mapping=mapping)
    digest = _sha256(path)
    today = timezone.localdate()
    run = ImportRun.objects.filter(
        source=source, file_sha256=digest, status=ImportStatus.RUNNING
    ).first()
    resumed_from = run.rows_done if run else 0
    if run is None:
        run = ImportRun.objects.create(
            source=source, file_name=path.name[:300], file_sha256=digest, rows_total=len(frame)
        )
    rows: list[dict[str, str]] = frame.to_dict("records")  # type: ignore[assignment]
    seen_in_file: dict[str, int] = {}
    for number, row in enumerate(rows[: run.rows_done], start=2):
        seen_in_file.setdefault(" ".join(row["local_id"].split()), number)
    for batches, start in enumerate(range(run.rows_done, len(rows), batch_size)):
        if stop_after_batches is not None and batches >= stop_after_batches:
            break
        _import_batch(
            actor=actor,
            run=run,
            source=source,
            rows=rows[start : start + batch_size],
            first_row=start + 2,  # the header is row 1
            seen_in_file=seen_in_file,
            today=today,
        )
        if progress:
            progress(run.rows_done, run.rows_total)
    if run.rows_done >= len(rows) and run.status != ImportStatus.DONE:
        with transaction.atomic():
            run.status = ImportStatus.DONE
            run.save(update_fields=["status", "updated_at"])
            audit_record(
                actor=actor,
                action="linkage.import",
                target=run,
                summary=(
                    f"Imported {path.name} for {source.slug}: {run.created} new, "
                    f"{run.updated} updated, {run.unchanged} unchanged, "
                    f"{len(run.rejected)} rejected"
                ),
                categories=["identity"],
            )
    return ImportReport(run=run, resumed_from=resumed_from)


@transaction.atomic
def _import_batch(
    *,
    actor: Actor,
    run: ImportRun,
    source: Organisation,
    rows: Sequence[dict[str, str]],
    first_row: int,
    seen_in_file: dict[str, int],
    today: date,
) -> None:
    cleaned: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    for offset, row in enumerate(rows):
        number = first_row + offset
        values, errors = clean_row(row, today=today)
        local_id = values["local_id"]
        if local_id and local_id in seen_in_file and not errors:
            errors["local_id"] = f"local id {local_id!r} repeats row {seen_in_file[local_id]}"
        if errors:
            rejected.append({"row": number, "local_id": local_id, "errors": errors})
            continue
        seen_in_file[local_id] = number
        cleaned.append(values)
    existing = {
        r.local_id: r
        for r in SourceRecord.objects.filter(
            source=source, local_id__in=[v["local_id"] for v in cleaned]
        )
    }
    new: list[SourceRecord] = []
    changed: list[SourceRecord] = []
    unchanged = 0
    for values in cleaned:
        record = existing.get(values["local_id"])
        if record is None:
            new.append(SourceRecord(network_id=source.network_id, source=source, **values))
            continue
        if all(getattr(record, name) == values[name] for name in _COMPARED):
            unchanged += 1
            continue
        for name in _COMPARED:
            setattr(record, name, values[name])
        changed.append(record)
    SourceRecord.objects.bulk_create(new, batch_size=500)
    if changed:
        SourceRecord.objects.bulk_update(changed, [*_COMPARED, "updated_at"], batch_size=500)
    run.rows_done += len(rows)
    run.created += len(new)
    run.updated += len(changed)
    run.unchanged += unchanged
    run.rejected = [*run.rejected, *rejected]
    run.save()
    audit_record(
        actor=actor,
        action="linkage.import_batch",
        target=run,
        summary=(
            f"{source.slug} rows {first_row}-{first_row + len(rows) - 1}: {len(new)} new, "
            f"{len(changed)} updated, {len(rejected)} rejected"
        ),
        categories=["identity"],
    )


# --- Bulk linkage --------------------------------------------------------------------------

# People share the id space with records in the engine: person p is p + PERSON_ID_OFFSET.
PERSON_ID_OFFSET = 1 << 40
# Below this, EM has too few pairs to learn from: the documented default model is used.
MIN_TRAINING_ROWS = 1000


@dataclass
class LinkSummary:
    run: LinkRun
    counts: dict[str, int] = field(default_factory=dict)


def _identity_frame(network: Network) -> tuple[pd.DataFrame, dict[int, SourceRecord]]:
    """Identity rows of the network's source records and of its people (people as ids
    offset by PERSON_ID_OFFSET), for the engine."""
    from wraparound.linkage.selectors import linkage_identity_rows

    records, people = linkage_identity_rows(network=network)
    rows = [
        {
            "unique_id": r.pk,
            "given_name": r.given_name,
            "family_name": r.family_name,
            "date_of_birth": r.date_of_birth.isoformat() if r.date_of_birth else "",
            "sex": r.sex,
            "address": r.address,
            "postcode": r.postcode,
            "phone": r.phone,
            "email": r.email,
            "national_number": r.national_number,
        }
        for r in records.values()
    ]
    for person in people:
        identity = IdentityRecord.from_person(person)
        rows.append(
            {
                "unique_id": PERSON_ID_OFFSET + person.pk,
                "given_name": identity.given_name,
                "family_name": identity.family_name,
                "date_of_birth": identity.date_of_birth.isoformat()  # type: ignore[union-attr]
                if identity.date_of_birth
                else "",
                "sex": identity.sex,
                "address": identity.address,
                "postcode": identity.postcode,
                "phone": identity.phone,
                "email": identity.email,
                "national_number": "",
            }
        )
    return pd.DataFrame(rows, columns=["unique_id", *engine.IDENTITY_COLUMNS]), records


def model_train(
    *, actor: Actor, network: Network, upper: float = DEFAULT_UPPER, lower: float = DEFAULT_LOWER
) -> LinkageModel:
    """Train a new version of the network's model on its records (EM) and save it."""
    if not 0 < lower <= upper < 1:
        raise ValidationError({"thresholds": ["Need 0 < lower <= upper < 1"]})
    frame, _ = _identity_frame(network)
    if frame.empty:
        raise ValidationError({"records": ["Import agency records before training a model"]})
    if len(frame) >= MIN_TRAINING_ROWS:
        trained = engine.train(engine.prepare(frame))
        settings, metrics = trained.settings, {**trained.metrics, "trained": True}
    else:
        settings = engine.default_settings()
        metrics = {
            "trained": False,
            "trained_on": len(frame),
            "note": f"fewer than {MIN_TRAINING_ROWS} records: the documented default parameters",
        }
    with transaction.atomic():
        latest = LinkageModel.objects.filter(network=network).order_by("-version").first()
        model = LinkageModel.objects.create(
            network=network,
            version=(latest.version + 1) if latest else 1,
            settings=settings,
            upper_threshold=upper,
            lower_threshold=lower,
            trained_at=timezone.now(),
            trained_on=len(frame),
            metrics=metrics,
        )
        audit_record(
            actor=actor,
            action="linkage.model_train",
            target=model,
            summary=f"Trained linkage model v{model.version} on {len(frame)} records",
        )
    return model


def _details_from(records: Sequence[SourceRecord]) -> PersonDetails | None:
    """A new person's details from the cluster's records: the most complete first, gaps
    filled from the others. None when no record gives a given and a family name."""
    ordered = sorted(records, key=lambda r: (-sum(bool(getattr(r, f)) for f in _COMPARED), r.pk))

    def first(name: str) -> Any:
        return next((getattr(r, name) for r in ordered if getattr(r, name)), None)

    given, family = first("given_name"), first("family_name")
    if not given or not family:
        return None
    return PersonDetails(
        given_name=given,
        family_name=family,
        date_of_birth=first("date_of_birth"),
        sex=first("sex") or Sex.NOT_KNOWN,
        phone=first("phone") or "",
        email=first("email") or "",
        address_line_1=first("address") or "",
        postcode=first("postcode") or "",
    )


def _create_person(actor: Actor, records: Sequence[SourceRecord]) -> Person | None:
    details = _details_from(records)
    if details is None:
        return None
    try:
        return person_create(actor=actor, details=details)
    except ValidationError as exc:
        # An agency's phone or e-mail the register refuses is left on the source record only.
        bad = set(exc.message_dict) & {"phone", "email", "date_of_birth", "postcode"}
        if not bad or set(exc.message_dict) - bad:
            raise
        for name in bad:
            setattr(details, name, None if name == "date_of_birth" else "")
        return person_create(actor=actor, details=details)


def _set_link(
    record: SourceRecord, *, person: Person | None, status: str, method: str, score: float | None
) -> None:
    if status not in LINK_TRANSITIONS[record.link_status] and status != record.link_status:
        raise ValidationError(
            {"link_status": [f"{record}: cannot go from {record.link_status} to {status}"]}
        )
    record.person = person
    record.link_status = status
    record.link_method = method
    record.link_score = score
    record.linked_at = timezone.now() if person is not None else None


def _comparison_json(
    left: IdentityRecord, right: IdentityRecord, network: Network
) -> tuple[list[dict[str, Any]], float, float]:
    result = current_parameters(network).score(left, right)
    return (
        [
            {
                "field": f.field,
                "title": f.title,
                "label": f.label,
                "level": f.level,
                "weight": round(f.weight, 2),
                "left": f.left,
                "right": f.right,
            }
            for f in result.fields
        ],
        result.probability,
        result.match_weight,
    )


def link_network(
    *,
    actor: Actor,
    network: Network,
    backend: str = "duckdb",
    retrain: bool = False,
    progress: Callable[[str], None] | None = None,
) -> LinkSummary:
    """Bulk linkage of every unlinked source record of the network.

    Pairs above the model's upper threshold link automatically (clusters of records, with
    people already in the register as members); a cluster with a grey-zone pair to an
    existing person waits for clerical review; the rest become new people through
    ``person_create``. Reviewers' labels win: a "not a match" pair never links, a "match"
    always does. Records already linked or waiting for review are left as they are.
    """
    say = progress or (lambda message: None)
    if backend not in engine.BACKENDS:
        raise ValidationError({"backend": [f"Choose one of: {', '.join(engine.BACKENDS)}"]})
    model = LinkageModel.objects.filter(network=network).order_by("-version").first()
    if model is None or retrain:
        say("training the model (expectation-maximisation)")
        model = model_train(actor=actor, network=network)
    run = LinkRun.objects.create(network=network, model=model, backend=backend)
    try:
        summary = _link(
            actor=actor, network=network, model=model, run=run, backend=backend, say=say
        )
    except Exception as exc:
        run.status = LinkRunStatus.FAILED
        run.error = str(exc)[:2000]
        run.finished_at = timezone.now()
        run.save()
        raise
    return summary


def _link(
    *,
    actor: Actor,
    network: Network,
    model: LinkageModel,
    run: LinkRun,
    backend: str,
    say: Callable[[str], None],
) -> LinkSummary:
    frame, records = _identity_frame(network)
    say(f"scoring pairs among {len(frame)} records and people on {backend}")
    prepared = engine.prepare(frame)
    pairs = engine.predict(
        prepared, model.settings, threshold=model.lower_threshold, backend=backend
    )
    # Reviewers' labels win over the model.
    labels: dict[tuple[int, int], str] = {}
    decisions = (
        ReviewDecision.objects.filter(record__network=network).select_related("pair").order_by("id")
    )
    for decision in decisions:
        other = decision.other_record_id
        if other is None:
            other = PERSON_ID_OFFSET + decision.pair.person_id
        key = (min(decision.record_id, other), max(decision.record_id, other))
        labels[key] = decision.label
    keys = list(zip(pairs["unique_id_l"].tolist(), pairs["unique_id_r"].tolist(), strict=True))
    label_of = [labels.get(k) for k in keys]
    pairs["label"] = label_of
    pairs = pairs[pairs["label"] != ReviewLabel.NOT_MATCH]
    forced = [
        {
            "unique_id_l": a,
            "unique_id_r": b,
            "match_probability": 1.0,
            "match_weight": 99.0,
            "label": label,
        }
        for (a, b), label in labels.items()
        if label == ReviewLabel.MATCH
    ]
    if forced:
        pairs = pd.concat([pairs, pd.DataFrame(forced)], ignore_index=True)
    strong = pairs[pairs["match_probability"] >= model.upper_threshold]
    grey = pairs[pairs["match_probability"] < model.upper_threshold]
    cluster_of = engine.clusters(frame["unique_id"].tolist(), strong)
    members: dict[int, list[int]] = defaultdict(list)
    for node, cluster in cluster_of.items():
        members[cluster].append(node)
    best_score: dict[int, float] = defaultdict(float)
    for a, b, p in zip(
        strong["unique_id_l"], strong["unique_id_r"], strong["match_probability"], strict=True
    ):
        best_score[a] = max(best_score[a], p)
        best_score[b] = max(best_score[b], p)
    grey_of: dict[int, list[tuple[int, int, float]]] = defaultdict(list)
    for a, b, p in zip(
        grey["unique_id_l"], grey["unique_id_r"], grey["match_probability"], strict=True
    ):
        if cluster_of.get(a) != cluster_of.get(b):
            grey_of[cluster_of[a]].append((a, b, p))
            grey_of[cluster_of[b]].append((b, a, p))

    counts = {
        "automatic": 0,
        "new_people": 0,
        "new_person_records": 0,
        "review": 0,
        "review_pairs": 0,
        "no_name": 0,
    }
    person_of_cluster: dict[int, int] = {}

    def person_for(node: int) -> int | None:
        if node >= PERSON_ID_OFFSET:
            return node - PERSON_ID_OFFSET
        record = records.get(node)
        return record.person_id if record is not None else None

    def pending(cluster: int) -> list[SourceRecord]:
        return [
            records[node]
            for node in members[cluster]
            if node < PERSON_ID_OFFSET and records[node].link_status == LinkStatus.UNLINKED
        ]

    def people_in(cluster: int) -> set[int]:
        return {p for node in members[cluster] if (p := person_for(node)) is not None}

    clusters_sorted = sorted(members, key=lambda c: (-len(members[c]), c))
    # Pass 1: clusters holding exactly one existing person link to them.
    held: list[int] = []
    for cluster in clusters_sorted:
        todo = pending(cluster)
        people = people_in(cluster)
        if len(people) == 1:
            person_of_cluster[cluster] = next(iter(people))
            if todo:
                _link_records(
                    actor, todo, person_of_cluster[cluster], LinkMethod.AUTOMATIC, best_score
                )
                counts["automatic"] += len(todo)
        elif todo:
            held.append(cluster)
    # Pass 2: new clusters without grey-zone pairs become new people; the rest in order.
    held.sort(key=lambda c: (bool(grey_of.get(c)) or len(people_in(c)) > 1, -len(members[c]), c))
    for cluster in held:
        todo = pending(cluster)
        candidates: dict[int, tuple[int, int, float]] = {}
        if len(people_in(cluster)) > 1:
            for node in members[cluster]:
                member_person = person_for(node)
                if member_person is not None and todo:
                    candidates.setdefault(
                        member_person, (todo[0].pk, node, best_score.get(todo[0].pk, 0.0))
                    )
        for own, other, p in grey_of.get(cluster, []):
            target = person_of_cluster.get(cluster_of[other])
            if (
                target is None
                or own not in records
                or records[own].link_status != LinkStatus.UNLINKED
            ):
                continue
            if target not in candidates or candidates[target][2] < p:
                candidates[target] = (own, other, p)
        if candidates:
            _hold_for_review(actor, network, model, run, todo, candidates, records, cluster)
            counts["review"] += len(todo)
            counts["review_pairs"] += len(candidates)
            continue
        person = _create_person(actor, todo)
        if person is None:
            counts["no_name"] += len(todo)
            continue
        person_of_cluster[cluster] = person.pk
        _link_records(actor, todo, person.pk, LinkMethod.NEW_PERSON, best_score)
        counts["new_people"] += 1
        counts["new_person_records"] += len(todo)
    with transaction.atomic():
        run.status = LinkRunStatus.DONE
        run.finished_at = timezone.now()
        run.counts = counts
        run.save()
        audit_record(
            actor=actor,
            action="linkage.run",
            target=run,
            summary=(
                f"Bulk linkage ({run.backend}, model v{model.version}): "
                f"{counts['automatic']} linked "
                f"automatically, {counts['new_people']} new people, {counts['review']} records "
                f"for review"
            ),
            categories=["identity"],
        )
    return LinkSummary(run=run, counts=counts)


def _link_records(
    actor: Actor,
    todo: Sequence[SourceRecord],
    person_id: int,
    method: str,
    best: dict[int, float],
) -> None:
    person = Person.objects.get(pk=person_id)
    with transaction.atomic():
        for record in todo:
            _set_link(
                record,
                person=person,
                status=LinkStatus.LINKED,
                method=method,
                score=best.get(record.pk) if method == LinkMethod.AUTOMATIC else None,
            )
            record.review_group = ""
        SourceRecord.objects.bulk_update(
            todo,
            [
                "person",
                "link_status",
                "link_method",
                "link_score",
                "linked_at",
                "review_group",
                "updated_at",
            ],
        )
        audit_record(
            actor=actor,
            action="linkage.link",
            person_id=person_id,
            summary=f"{len(todo)} agency record(s) linked ({LinkMethod(method).label.lower()}): "
            + ", ".join(str(r) for r in todo[:20]),
            categories=["identity"],
        )


def _hold_for_review(
    actor: Actor,
    network: Network,
    model: LinkageModel,
    run: LinkRun,
    todo: Sequence[SourceRecord],
    candidates: dict[int, tuple[int, int, float]],
    records: dict[int, SourceRecord],
    cluster: int,
) -> None:
    group = f"run{run.pk}:{cluster}"
    people = Person.objects.in_bulk(list(candidates))
    with transaction.atomic():
        for record in todo:
            _set_link(
                record, person=None, status=LinkStatus.REVIEW, method=LinkMethod.NONE, score=None
            )
            record.review_group = group
        SourceRecord.objects.bulk_update(
            todo, ["link_status", "link_method", "link_score", "review_group", "updated_at"]
        )
        for person_id, (own, other, score) in candidates.items():
            person = people[person_id]
            left = records[own]
            other_record = records.get(other) if other < PERSON_ID_OFFSET else None
            right = (
                IdentityRecord.from_source_record(other_record)
                if other_record
                else IdentityRecord.from_person(person)
            )
            comparison, _, weight = _comparison_json(
                IdentityRecord.from_source_record(left), right, network
            )
            pair, created = ReviewPair.objects.get_or_create(
                record=left,
                person=person,
                defaults={
                    "network": network,
                    "other_record": other_record,
                    "model": model,
                    "run": run,
                    "score": float(score),
                    "match_weight": weight,
                    "comparison": comparison,
                },
            )
            if not created and pair.status in (ReviewStatus.MATCHED, ReviewStatus.NOT_MATCHED):
                continue  # a decided pair is never reopened by an automatic run
        audit_record(
            actor=actor,
            action="linkage.review_queue",
            summary=(
                f"{len(todo)} agency record(s) held for clerical review "
                f"against {len(candidates)} person(s)"
            ),
            categories=["identity"],
        )


# --- Review decisions ----------------------------------------------------------------------


def review_decide(*, actor: Actor, pair: ReviewPair, label: str, reason: str) -> ReviewDecision:
    """Record a reviewer's label. "match" links the waiting record (and the records held with
    it) to the pair's person; "not a match" closes the pair and, when no other candidate is
    left, registers the records as a new person; "unsure" keeps the pair for a second look."""
    network = require_reviewer(actor)
    errors: dict[str, list[str]] = {}
    if label not in ReviewLabel.values:
        errors["label"] = ["Choose match, not a match or unsure"]
    reason = " ".join((reason or "").split())
    if not reason:
        errors["reason"] = ["Give a reason for the decision"]
    elif len(reason) > 2000:
        errors["reason"] = ["The reason must be 2,000 characters or fewer"]
    if errors:
        raise ValidationError(errors)
    if pair.network_id != network.pk:
        raise PermissionDenied("This pair belongs to another network")
    new_status = {
        ReviewLabel.MATCH: ReviewStatus.MATCHED,
        ReviewLabel.NOT_MATCH: ReviewStatus.NOT_MATCHED,
        ReviewLabel.UNSURE: ReviewStatus.UNSURE,
    }[ReviewLabel(label)]
    with transaction.atomic():
        pair = ReviewPair.objects.select_for_update().get(pk=pair.pk)
        if new_status not in REVIEW_TRANSITIONS[pair.status]:
            raise ValidationError(
                {"label": [f"This pair was already decided ({pair.get_status_display()})"]}
            )
        decision = ReviewDecision.objects.create(
            pair=pair,
            record=pair.record,
            other_record=pair.other_record,
            label=label,
            reason=reason,
            score=pair.score,
            reviewer=actor.user,
            organisation=actor.organisation,
        )
        pair.status = new_status
        pair.save(update_fields=["status", "updated_at"])
        held = list(_held_with(pair.record))
        audit_record(
            actor=actor,
            action="linkage.review_decide",
            person_id=pair.person_id,
            target=pair,
            summary=(
                f"Review of {pair.record} ~ {pair.person.reference}: "
                f"{ReviewLabel(label).label.lower()}"
            ),
            categories=["identity"],
            changes={"label": [None, label], "reason": [None, reason]},
        )
        if label == ReviewLabel.MATCH:
            _link_records(actor, held, pair.person_id, LinkMethod.CLERICAL, {})
            ReviewPair.objects.filter(
                record__in=held, status__in=[ReviewStatus.OPEN, ReviewStatus.UNSURE]
            ).update(status=ReviewStatus.CLOSED)
        elif label == ReviewLabel.NOT_MATCH:
            still_open = ReviewPair.objects.filter(
                record__in=held, status__in=[ReviewStatus.OPEN, ReviewStatus.UNSURE]
            ).exists()
            if not still_open and held:
                person = _create_person(actor, held)
                if person is not None:
                    _link_records(actor, held, person.pk, LinkMethod.NEW_PERSON, {})
                else:
                    for record in held:
                        _set_link(
                            record, person=None, status=LinkStatus.UNLINKED, method="", score=None
                        )
                        record.review_group = ""
                    SourceRecord.objects.bulk_update(
                        held, ["link_status", "link_method", "link_score", "review_group"]
                    )
    return decision


def _held_with(record: SourceRecord) -> Iterable[SourceRecord]:
    """The record and the records held for review with it (one automatic cluster)."""
    record.refresh_from_db()
    if record.link_status != LinkStatus.REVIEW:
        return []
    if not record.review_group:
        return [record]
    return SourceRecord.objects.filter(
        network_id=record.network_id,
        review_group=record.review_group,
        link_status=LinkStatus.REVIEW,
    ).order_by("pk")
