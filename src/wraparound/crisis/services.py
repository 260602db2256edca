"""Writes for crisis events: record one, import an agency's file, raise re-presentation
alerts, and act on an alert (reopen the case in one step, or dismiss it)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES
from wraparound.audit.services import audit_record
from wraparound.cases.models import Case, CaseStatus
from wraparound.cases.services import case_reopen
from wraparound.consent.categories import DataCategory
from wraparound.consent.policy import decide
from wraparound.crisis.models import (
    ALERT_TRANSITIONS,
    KIND_CATEGORY,
    AlertStatus,
    CrisisEvent,
    CrisisKind,
    CrisisSource,
    RepresentationAlert,
)
from wraparound.directory.models import Organisation
from wraparound.people.choices import IdentifierType
from wraparound.people.models import Identifier, Person
from wraparound.plans.config import current_plan_settings

MAX_DETAIL = 500
MAX_LOCAL_ID = 100
OLDEST_EVENT_YEARS = 10
MAX_IMPORT_ROWS = 50_000


def _check_when(occurred_at: datetime, person: Person) -> str | None:
    now = timezone.now()
    if occurred_at > now + timedelta(minutes=5):
        return "The date and time cannot be in the future"
    if occurred_at.date() < now.date() - timedelta(days=365 * OLDEST_EVENT_YEARS):
        return f"The date cannot be more than {OLDEST_EVENT_YEARS} years ago"
    if person.date_of_birth and occurred_at.date() < person.date_of_birth:
        return "The date cannot be before the person was born"
    return None


def _cases_to_alert(person_id: int, on: date, window_days: int) -> list[Case]:
    """The person's cases stepped down or closed within the window before ``on``."""
    since = on - timedelta(days=window_days)
    return list(
        Case.objects.filter(person_id=person_id)
        .filter(
            Q(status=CaseStatus.STEPPED_DOWN, stepped_down_on__range=(since, on))
            | Q(status=CaseStatus.CLOSED, closed_on__range=(since, on))
        )
        .select_related("key_worker", "lead_organisation")
        .order_by("id")
    )


def _raise_alerts(
    actor: Actor, event: CrisisEvent, window_days: int | None = None
) -> list[RepresentationAlert]:
    if window_days is None:
        window_days = current_plan_settings(event.network_id).representation_window_days
    alerts = []
    for case in _cases_to_alert(
        event.person_id, timezone.localtime(event.occurred_at).date(), window_days
    ):
        worker = case.key_worker if case.key_worker and case.key_worker.is_active else None
        alert = RepresentationAlert.objects.create(
            event=event,
            case=case,
            person_id=event.person_id,
            organisation_id=case.lead_organisation_id,
            key_worker=worker,
            case_status=case.status,
        )
        alerts.append(alert)
        audit_record(
            actor=actor,
            action="representation_alert.raise",
            person_id=event.person_id,
            target=alert,
            summary=f"Re-presentation alert for case {case.reference} "
            f"({case.get_status_display().lower()}) sent to "
            + (worker.name if worker else case.lead_organisation.name),
            categories=[DataCategory.PLANS_REFERRALS],
        )
        from wraparound.crisis.tasks import notify_representation

        transaction.on_commit(partial(notify_representation.enqueue, alert_id=alert.pk))
    return alerts


def crisis_event_record(
    *,
    actor: Actor,
    person: Person,
    kind: str,
    occurred_at: datetime,
    detail: str = "",
) -> CrisisEvent:
    """A crisis event recorded by a worker of the organisation that saw it."""
    membership = actor.require_membership()
    if membership.role not in CASEWORK_ROLES:
        raise PermissionDenied(f"The {membership.get_role_display()} role cannot record this")
    if not decide(actor=actor, person=person):
        raise PermissionDenied("You cannot record events for this person")
    errors: dict[str, list[str]] = {}
    if kind not in CrisisKind.values:
        errors["kind"] = ["Choose what kind of crisis service the person used"]
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    problem = _check_when(occurred_at, person)
    if problem:
        errors["occurred_at"] = [problem]
    detail = detail.strip()
    if len(detail) > MAX_DETAIL:
        errors["detail"] = [f"The detail must be {MAX_DETAIL} characters or fewer"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        event = CrisisEvent.objects.create(
            network_id=person.network_id,
            person=person,
            kind=kind,
            category=KIND_CATEGORY[kind],
            occurred_at=occurred_at,
            detail=detail,
            source=CrisisSource.STAFF,
            source_organisation_id=membership.organisation_id,
            recorded_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="crisis_event.record",
            person_id=person.pk,
            target=event,
            summary=f"Crisis event recorded by {membership.organisation.name}",
            categories=[event.category],
        )
        _raise_alerts(actor, event)
    return event


# --- import ---------------------------------------------------------------------------------

IMPORT_COLUMNS = ("local_id", "person_reference", "nhs_number", "kind", "occurred_at", "detail")
REQUIRED_COLUMNS = ("local_id", "kind", "occurred_at")


@dataclass(frozen=True)
class RejectedRow:
    row: int  # the line of the file (the header is line 1)
    local_id: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" (local id {self.local_id})" if self.local_id else "")
        return f"{where}, {self.field}: {self.message}"


class ImportFailed(Exception):
    def __init__(self, problems: list[RejectedRow]) -> None:
        self.problems = problems
        noun = "row was" if len({p.row for p in problems}) == 1 else "rows were"
        super().__init__(f"{len({p.row for p in problems})} {noun} rejected; nothing was imported")


@dataclass
class ImportResult:
    created: list[CrisisEvent] = field(default_factory=list)
    unchanged: int = 0
    alerts: int = 0

    def summary(self) -> str:
        return (
            f"{len(self.created)} crisis events imported, {self.unchanged} already imported, "
            f"{self.alerts} re-presentation alerts raised"
        )


@dataclass(frozen=True)
class _Parsed:
    row: int
    local_id: str
    person: Person
    kind: str
    occurred_at: datetime
    detail: str


def _parse_when(value: str) -> datetime | None:
    value = value.strip()
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is None:
                return None
            moment = datetime.combine(day, time(12, 0))
    except ValueError:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _people_lookup(
    network_id: int, rows: list[dict[str, str]]
) -> tuple[dict[str, Person], dict[str, Person]]:
    ids = set()
    for row in rows:
        reference = (row.get("person_reference") or "").strip().upper()
        if reference.startswith("P-") and reference[2:].isdigit():
            ids.add(int(reference[2:]))
    by_reference = {
        p.reference: p
        for p in Person.objects.filter(network_id=network_id, pk__in=ids).select_related(
            "merged_into"
        )
    }
    numbers = {"".join((r.get("nhs_number") or "").split()) for r in rows} - {""}
    by_nhs = {
        i.value: i.person
        for i in Identifier.objects.filter(
            network_id=network_id, type=IdentifierType.NHS_NUMBER, value__in=numbers
        ).select_related("person__merged_into")
    }
    return by_reference, by_nhs


def _survivor(person: Person) -> Person:
    # A record merged into another is history: events belong to the kept record.
    seen = 0
    while person.merged_into_id is not None and seen < 10:
        person = person.merged_into  # type: ignore[assignment]
        seen += 1
    return person


def _validate_rows(
    source: Organisation, rows: list[dict[str, str]]
) -> tuple[list[_Parsed], list[RejectedRow]]:
    problems: list[RejectedRow] = []
    parsed: list[_Parsed] = []
    by_reference, by_nhs = _people_lookup(source.network_id, rows)
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        local_id = (row.get("local_id") or "").strip()

        def reject(name: str, message: str, *, _n: int = number, _id: str = local_id) -> None:
            problems.append(RejectedRow(_n, _id, name, message))

        before = len(problems)
        if not local_id:
            reject("local_id", "Give the agency's own id for the event")
        elif len(local_id) > MAX_LOCAL_ID:
            reject("local_id", f"The id must be {MAX_LOCAL_ID} characters or fewer")
        elif local_id in seen:
            reject("local_id", f"The same id is on row {seen[local_id]} already")
        else:
            seen[local_id] = number
        reference = (row.get("person_reference") or "").strip().upper()
        nhs = "".join((row.get("nhs_number") or "").split())
        person: Person | None = None
        if not reference and not nhs:
            reject("person_reference", "Give the person's Wraparound reference or NHS number")
        elif reference:
            person = by_reference.get(reference)
            if person is None:
                reject("person_reference", f"No person {reference} in this network")
        else:
            person = by_nhs.get(nhs)
            if person is None:
                reject("nhs_number", f"No person with NHS number {nhs} in this network")
        kind = (row.get("kind") or "").strip()
        if kind not in CrisisKind.values:
            reject(
                "kind",
                f"{kind!r} is not a kind of crisis event; use one of "
                + ", ".join(CrisisKind.values),
            )
        occurred_at = _parse_when(row.get("occurred_at") or "")
        if occurred_at is None:
            reject(
                "occurred_at",
                "Give the date (YYYY-MM-DD) or date and time (YYYY-MM-DDTHH:MM) it happened",
            )
        elif person is not None:
            problem = _check_when(occurred_at, person)
            if problem:
                reject("occurred_at", problem)
        detail = (row.get("detail") or "").strip()
        if len(detail) > MAX_DETAIL:
            reject("detail", f"The detail must be {MAX_DETAIL} characters or fewer")
        if len(problems) == before:
            assert person is not None and occurred_at is not None
            parsed.append(_Parsed(number, local_id, _survivor(person), kind, occurred_at, detail))
    return parsed, problems


def read_crisis_csv(text: str) -> list[dict[str, str]]:
    """The rows of a crisis-event CSV; a file that is not one raises ImportFailed."""
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if not headers or missing:
        raise ImportFailed(
            [
                RejectedRow(
                    1,
                    "",
                    "header",
                    "The file must be CSV with a header row naming the columns "
                    + ", ".join(IMPORT_COLUMNS)
                    + (f" (missing: {', '.join(missing)})" if headers else ""),
                )
            ]
        )
    if not ({"person_reference", "nhs_number"} & set(headers)):
        raise ImportFailed(
            [RejectedRow(1, "", "header", "Add a person_reference or nhs_number column")]
        )
    rows = []
    for raw in reader:
        if None in raw:
            raise ImportFailed(
                [RejectedRow(reader.line_num, "", "row", "The row has more cells than the header")]
            )
        rows.append({(k or "").strip(): (v or "") for k, v in raw.items()})
        if len(rows) > MAX_IMPORT_ROWS:
            raise ImportFailed(
                [RejectedRow(reader.line_num, "", "row", f"At most {MAX_IMPORT_ROWS:,} rows")]
            )
    return rows


def crisis_events_import(
    *, actor: Actor, source: Organisation, rows: Iterable[dict[str, str]]
) -> ImportResult:
    """Import an agency's crisis events: every row is checked first and any problem rejects
    the whole file (``ImportFailed`` lists every rejected row). Idempotent by source and
    local id: a row imported before with the same details is skipped; with other details it
    is rejected (corrections are made at the source's record, not by overwriting)."""
    rows = list(rows)
    parsed, problems = _validate_rows(source, rows)
    existing = {
        e.local_id: e
        for e in CrisisEvent.objects.filter(
            source_organisation=source, local_id__in=[p.local_id for p in parsed]
        )
    }
    fresh: list[_Parsed] = []
    unchanged = 0
    for item in parsed:
        before = existing.get(item.local_id)
        if before is None:
            fresh.append(item)
        elif (before.person_id, before.kind, before.occurred_at, before.detail) == (
            item.person.pk,
            item.kind,
            item.occurred_at,
            item.detail,
        ):
            unchanged += 1
        else:
            problems.append(
                RejectedRow(
                    item.row,
                    item.local_id,
                    "local_id",
                    "This id was imported before with different details",
                )
            )
    if problems:
        raise ImportFailed(sorted(problems, key=lambda p: (p.row, p.field)))
    result = ImportResult(unchanged=unchanged)
    window = current_plan_settings(source.network_id).representation_window_days
    with transaction.atomic():
        for item in fresh:
            event = CrisisEvent.objects.create(
                network_id=source.network_id,
                person=item.person,
                kind=item.kind,
                category=KIND_CATEGORY[item.kind],
                occurred_at=item.occurred_at,
                detail=item.detail,
                source=CrisisSource.IMPORT,
                source_organisation=source,
                local_id=item.local_id,
            )
            result.created.append(event)
            audit_record(
                actor=actor,
                action="crisis_event.import",
                person_id=item.person.pk,
                target=event,
                summary=f"Crisis event {item.local_id} imported from {source.name}",
                categories=[event.category],
            )
            result.alerts += len(_raise_alerts(actor, event, window))
    return result


# --- alerts ---------------------------------------------------------------------------------


def _require_alert_handler(actor: Actor, alert: RepresentationAlert) -> None:
    membership = actor.require_membership()
    if membership.organisation_id != alert.organisation_id:
        raise PermissionDenied("Only the case's lead organisation acts on this alert")
    if membership.role not in CASEWORK_ROLES:
        raise PermissionDenied(f"The {membership.get_role_display()} role cannot do this")


def _resolve(alert: RepresentationAlert, to: str) -> RepresentationAlert:
    locked = RepresentationAlert.objects.select_for_update().get(pk=alert.pk)
    if to not in ALERT_TRANSITIONS[locked.status]:
        raise ValidationError(
            {"status": [f"This alert is {locked.get_status_display().lower()} already"]}
        )
    return locked


def alert_reopen_case(*, actor: Actor, alert: RepresentationAlert) -> RepresentationAlert:
    """Reopen the alert's case (back to open support) and close the alert, in one step."""
    _require_alert_handler(actor, alert)
    with transaction.atomic():
        locked = _resolve(alert, AlertStatus.REOPENED)
        case_reopen(actor=actor, case=locked.case)
        locked.status = AlertStatus.REOPENED
        locked.resolved_at = timezone.now()
        locked.resolved_by = actor.user
        locked.save(update_fields=["status", "resolved_at", "resolved_by"])
        audit_record(
            actor=actor,
            action="representation_alert.reopen",
            person_id=locked.person_id,
            target=locked,
            summary=f"Case {locked.case.reference} reopened from a re-presentation alert",
            categories=[DataCategory.PLANS_REFERRALS],
        )
    return locked


def alert_dismiss(*, actor: Actor, alert: RepresentationAlert, reason: str) -> RepresentationAlert:
    _require_alert_handler(actor, alert)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Say why no further support is needed"]})
    if len(reason) > MAX_DETAIL:
        raise ValidationError({"reason": [f"The reason must be {MAX_DETAIL} characters or fewer"]})
    with transaction.atomic():
        locked = _resolve(alert, AlertStatus.DISMISSED)
        locked.status = AlertStatus.DISMISSED
        locked.resolved_at = timezone.now()
        locked.resolved_by = actor.user
        locked.save(update_fields=["status", "resolved_at", "resolved_by"])
        audit_record(
            actor=actor,
            action="representation_alert.dismiss",
            person_id=locked.person_id,
            target=locked,
            summary=f"Re-presentation alert for case {locked.case.reference} dismissed: {reason}",
            categories=[DataCategory.PLANS_REFERRALS],
        )
    return locked
