"""The access-grant read model: who may identify a person, as one indexed table.

``visible_people`` filters lists with one probe of ``AccessGrant`` instead of OR-ing
registrations, cases and consents per row (ADR 0006). Grants are derived: every service that
changes a source (registering a person, opening a case, recording or withdrawing a consent,
merging people) calls ``sync_access_grants`` for the people it touched, inside its
transaction, and the rebuild is from the sources, so there is no incremental state to drift.
A key worker and a worker who broke the glass are recipients of their own (``user:<id>``):
the ground is theirs, not their organisation's. Every grant carries its validity window, so
consents, legal bases and break-glass expire in lists exactly when ``decide`` says they do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Expression, F
from django.db.models.sql.compiler import SQLCompiler

from wraparound.cases.models import Case
from wraparound.consent.models import (
    ALWAYS_FROM,
    FOREVER,
    AccessGrant,
    BreakGlass,
    Consent,
    GrantedNameToken,
    GrantSource,
    LegalBasis,
    Purpose,
    RecipientKind,
)
from wraparound.directory.models import Organisation
from wraparound.people.models import Person, PersonNameToken

_BATCH = 500


def organisation_recipient(organisation_id: int) -> str:
    return f"org:{organisation_id}"


def user_recipient(user_id: int) -> str:
    return f"user:{user_id}"


def recipients_of(organisation: Organisation, user_id: int) -> list[str]:
    """Every recipient key that covers a worker of ``organisation``: the worker, the
    organisation, its sector in its network, its network. Keys are network-scoped, so a grant
    never reaches across networks."""
    network_id = organisation.network_id
    return [
        user_recipient(user_id),
        organisation_recipient(organisation.pk),
        f"sector:{network_id}:{organisation.sector}",
        f"network:{network_id}",
    ]


def _consent_recipient(consent: Consent) -> str:
    if consent.recipient_kind == RecipientKind.ORGANISATION:
        assert consent.recipient_organisation_id is not None
        return organisation_recipient(consent.recipient_organisation_id)
    if consent.recipient_kind == RecipientKind.SECTOR:
        return f"sector:{consent.network_id}:{consent.recipient_sector}"
    return f"network:{consent.network_id}"


def registrations(person_ids: Iterable[int]) -> dict[int, set[int]]:
    """Person -> the organisations that registered them or any record merged into them
    (through chains of merges). A merged record's registration counts for its survivor: an
    organisation does not lose sight of someone because two records of them became one."""
    ids = set(person_ids)
    result: dict[int, set[int]] = {}
    root: dict[int, int] = {}  # every record reached -> the unmerged person it now is
    rows = Person.objects.filter(pk__in=ids, merged_into__isnull=True).values_list(
        "pk", "registered_by_id"
    )
    for pk, org_id in rows:
        root[pk] = pk
        result[pk] = {org_id} if org_id is not None else set()
    frontier = set(root)
    while frontier:
        merged = list(
            Person.objects.filter(merged_into__in=frontier).values_list(
                "pk", "merged_into_id", "registered_by_id"
            )
        )
        frontier = set()
        for pk, into, org_id in merged:
            if pk in root:  # merges refuse cycles; never loop on one anyway
                continue
            root[pk] = root[into]
            frontier.add(pk)
            if org_id is not None:
                result[root[pk]].add(org_id)
    return {pk: orgs for pk, orgs in result.items() if orgs}


def derive_grants(person_ids: Iterable[int]) -> list[AccessGrant]:
    """The grants the source tables imply for these people, now. A person merged into
    another is history: everything that granted access to them moved to the survivor."""
    ids = sorted(set(person_ids))
    grants: list[AccessGrant] = [
        AccessGrant(
            person_id=pk,
            recipient=organisation_recipient(org_id),
            source=GrantSource.REGISTRATION,
            source_id=pk,
        )
        for pk, orgs in registrations(ids).items()
        for org_id in sorted(orgs)
    ]
    for case_id, person_id, org_id, key_worker_id in (
        Case.objects.filter(person_id__in=ids)
        .values_list("pk", "person_id", "lead_organisation_id", "key_worker_id")
        .iterator()
    ):
        recipients = [organisation_recipient(org_id)]
        if key_worker_id is not None:
            recipients.append(user_recipient(key_worker_id))
        grants += [
            AccessGrant(
                person_id=person_id, recipient=recipient, source=GrantSource.CASE, source_id=case_id
            )
            for recipient in recipients
        ]
    consents = (
        Consent.objects.filter(person_id__in=ids, purpose=Purpose.CARE_COORDINATION)
        .select_related("withdrawal")
        .only(
            "person_id",
            "network_id",
            "recipient_kind",
            "recipient_organisation_id",
            "recipient_sector",
            "valid_from",
            "valid_until",
            "withdrawal__id",
        )
    )
    for consent in consents.iterator():
        until = consent.valid_until or FOREVER
        # Like Consent.objects.active(): a withdrawal ends the consent whatever its date.
        if hasattr(consent, "withdrawal") or until <= consent.valid_from:
            continue
        grants.append(
            AccessGrant(
                person_id=consent.person_id,
                recipient=_consent_recipient(consent),
                valid_from=max(consent.valid_from, ALWAYS_FROM),
                valid_until=until,
                source=GrantSource.CONSENT,
                source_id=consent.pk,
            )
        )
    # Like LegalBasis.objects.active(...).filter(ended_at=None) in the policy: an ended basis
    # grants nothing, whatever its dates.
    for basis_id, person_id, org_id, valid_from, valid_until in (
        LegalBasis.objects.filter(person_id__in=ids, ended_at__isnull=True)
        .values_list("pk", "person_id", "recipient_organisation_id", "valid_from", "valid_until")
        .iterator()
    ):
        grants.append(
            AccessGrant(
                person_id=person_id,
                recipient=organisation_recipient(org_id),
                valid_from=valid_from,
                valid_until=valid_until,
                source=GrantSource.LEGAL_BASIS,
                source_id=basis_id,
            )
        )
    grants += [
        AccessGrant(
            person_id=person_id,
            recipient=user_recipient(user_id),
            valid_from=started_at,
            valid_until=expires_at,
            source=GrantSource.BREAK_GLASS,
            source_id=access_id,
        )
        for access_id, person_id, user_id, started_at, expires_at in BreakGlass.objects.filter(
            person_id__in=ids
        )
        .values_list("pk", "person_id", "user_id", "started_at", "expires_at")
        .iterator()
    ]
    return grants


@transaction.atomic
def sync_access_grants(person_ids: Iterable[int]) -> None:
    """Rebuild the grants of these people from the source tables."""
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        AccessGrant.objects.filter(person_id__in=batch).delete()
        grants = AccessGrant.objects.bulk_create(derive_grants(batch), batch_size=2000)
        _write_granted_tokens(batch, grants)


def _write_granted_tokens(person_ids: list[int], grants: Iterable[AccessGrant]) -> None:
    """Rebuild these people's granted name tokens from their grants and name tokens."""
    GrantedNameToken.objects.filter(person_id__in=person_ids).delete()
    tokens: dict[int, list[str]] = {}
    for person_id, token in PersonNameToken.objects.filter(person_id__in=person_ids).values_list(
        "person_id", "token"
    ):
        tokens.setdefault(person_id, []).append(token)
    # One row per recipient, token and person: the widest window of that recipient's grants
    # would be wrong (two windows with a gap), so each grant keeps its own row.
    GrantedNameToken.objects.bulk_create(
        (
            GrantedNameToken(
                person_id=grant.person_id,
                recipient=grant.recipient,
                token=token,
                valid_from=grant.valid_from,
                valid_until=grant.valid_until,
            )
            for grant in grants
            for token in tokens.get(grant.person_id, ())
        ),
        batch_size=2000,
    )


def sync_granted_tokens(person_ids: Iterable[int]) -> None:
    """After a person's name tokens changed: rebuild their granted tokens from the stored
    grants (the grants themselves did not change)."""
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        _write_granted_tokens(batch, AccessGrant.objects.filter(person_id__in=batch))


def rebuild_all_access_grants(*, network_id: int | None = None) -> int:
    """Rebuild every person's grants (after a bulk load, or to repair); returns the count."""
    people = Person.objects.order_by("pk")
    if network_id is not None:
        people = people.filter(network_id=network_id)
    ids = list(people.values_list("pk", flat=True))
    sync_access_grants(ids)
    return len(ids)


def _grant_key(grant: AccessGrant) -> tuple[object, ...]:
    return (
        grant.person_id,
        grant.recipient,
        grant.valid_from,
        grant.valid_until,
        grant.source,
        grant.source_id,
    )


def grant_drift(*, network_id: int | None = None) -> list[int]:
    """People whose stored grants differ from what their sources imply (should be none)."""
    people = Person.objects.order_by("pk")
    if network_id is not None:
        people = people.filter(network_id=network_id)
    ids = list(people.values_list("pk", flat=True))
    drifted: list[int] = []
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        expected: dict[int, set[tuple[object, ...]]] = {pk: set() for pk in batch}
        stored: dict[int, set[tuple[object, ...]]] = {pk: set() for pk in batch}
        for grant in derive_grants(batch):
            expected[grant.person_id].add(_grant_key(grant))
        for grant in AccessGrant.objects.filter(person_id__in=batch):
            stored[grant.person_id].add(_grant_key(grant))
        drifted += [pk for pk in batch if expected[pk] != stored[pk]]
    return drifted


def _grant_conditions(
    connection: BaseDatabaseWrapper, alias: str, recipients: Sequence[str], now: datetime
) -> tuple[str, list[Any]]:
    """``recipient IN (...)`` and "in force at ``now``" on the grants table under ``alias``."""
    quote = connection.ops.quote_name
    moment = AccessGrant._meta.get_field("valid_until").get_db_prep_value(now, connection)
    marks = ", ".join(["%s"] * len(recipients))
    sql = (
        f"{alias}.{quote('recipient')} IN ({marks}) AND {alias}.{quote('valid_until')} > %s"
        f" AND {alias}.{quote('valid_from')} <= %s"
    )
    return sql, [*recipients, moment, moment]


class GrantInForce(Expression):
    """``EXISTS`` a grant in force at ``now`` for one of ``recipients`` on the person of the
    outer query: the filter of ``visible_people``.

    The same SQL as ``Exists(AccessGrant.objects.filter(person=OuterRef("pk"), ...))``, but
    written directly: building that subquery through the ORM cost more than the database
    spent running it, on every list page (ADR 0006). The outer person column is an ordinary
    resolved expression, so the filter survives being nested in other queries.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, recipients: Sequence[str], now: datetime, person: Any = None) -> None:
        super().__init__()
        self.recipients = tuple(recipients)
        self.now = now
        self.person: Any = person if person is not None else F("pk")

    def get_source_expressions(self) -> list[Any]:
        return [self.person]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.person,) = exprs

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        person_sql, person_params = compiler.compile(self.person)
        quote = connection.ops.quote_name
        alias = quote("wa_grant")
        conditions, params = _grant_conditions(connection, alias, self.recipients, self.now)
        # Names are the model's, quoted; every value is a parameter.
        sql = (
            f"EXISTS (SELECT 1 FROM {quote(AccessGrant._meta.db_table)} {alias}"  # noqa: S608
            f" WHERE {alias}.{quote('person_id')} = {person_sql} AND {conditions})"
        )
        return sql, [*person_params, *params]


def count_people_granted(
    recipients: Sequence[str], now: datetime, *, cap: int, using: str = "default"
) -> int:
    """How many distinct people the grants in force at ``now`` for ``recipients`` cover,
    counting no further than ``cap + 1``.

    Each recipient gives at most its first ``cap + 1`` people in person order (a short range
    of ``access_grant_by_recipient`` that stops early, however many people the recipient
    may see) and the union of those parts is counted. That is exact up to the cap: if any
    recipient has more than the cap, its own part already reaches it; if none has, every
    part is whole. Written as SQL: the ORM has no DISTINCT count over a union, and building
    one query per recipient through it cost more than running them.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(AccessGrant._meta.db_table)
    parts: list[str] = []
    params: list[Any] = []
    for i, recipient in enumerate(recipients):
        conditions, part_params = _grant_conditions(connection, "g", [recipient], now)
        parts.append(  # names are the model's, quoted; every value is a parameter
            f"SELECT person_id FROM (SELECT DISTINCT g.{quote('person_id')} AS person_id"  # noqa: S608
            f" FROM {table} g WHERE {conditions} ORDER BY g.{quote('person_id')} LIMIT %s)"
            f" part_{i}"
        )
        params += [*part_params, cap + 1]
    with connection.cursor() as cursor:
        union = " UNION ALL ".join(parts)
        cursor.execute(f"SELECT COUNT(DISTINCT person_id) FROM ({union}) parts", params)  # noqa: S608
        (count,) = cursor.fetchone()
    return min(count, cap + 1)
