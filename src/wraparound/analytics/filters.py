"""Dashboard filters: period, area (place-based), population group and organisation.

Filters arrive as query parameters, are checked against the network's reference data (an
area code, group or organisation that does not exist is an error naming it, never an empty
chart that looks like "nobody"), and become DuckDB views over the store: ``cohort`` (the
people a report is about) and the event tables cut to the period.

What each filter means, once for every report:

- **period** (``from``/``to``, ISO dates): outputs count events inside it; outcomes are
  computed as they stood on its last day, for people active in it (an assessment,
  referral, enrolment or service in the period).
- **area**: people whose neighbourhood is the area or lies in it (a district code takes its
  neighbourhoods).
- **group**: people in that population group.
- **organisation**: people the organisation served (an enrolment) or whose case it leads;
  outputs count that organisation's own activity.
- **tier**: people whose latest tier (on the period's last day) is that tier.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import duckdb
from django.http import QueryDict
from django.utils import timezone

from wraparound.assessments.models import Tier
from wraparound.people.choices import PopulationGroup


class FilterError(ValueError):
    """A filter names something the network does not have, or a period that cannot be."""


@dataclass(frozen=True)
class Filters:
    network_id: int | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    area: str = ""  # an area code
    area_name: str = ""
    group: str = ""
    organisation: int | None = None
    organisation_name: str = ""
    tier: str = ""

    @property
    def as_of(self) -> dt.date:
        """The day outcomes are computed for: the period's end, or today."""
        today = timezone.localdate()
        return min(self.end, today) if self.end else today

    def query_string(self) -> str:
        values = {
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            "area": self.area,
            "group": self.group,
            "organisation": str(self.organisation or ""),
            "tier": self.tier,
        }
        return urlencode({k: v for k, v in values.items() if v})

    def describe(self) -> str:
        """The filters in words, for summaries, captions and CSV names."""
        parts = []
        if self.start or self.end:
            parts.append(f"from {self.start:%d %b %Y}" if self.start else "from the beginning")
            parts.append(f"to {self.end:%d %b %Y}" if self.end else "to today")
        if self.area:
            parts.append(f"in {self.area_name or self.area}")
        if self.group:
            parts.append(f"population group: {PopulationGroup(self.group).label}")
        if self.organisation:
            parts.append(f"organisation: {self.organisation_name}")
        if self.tier:
            parts.append(f"tier: {Tier(self.tier).label}")
        return ", ".join(parts) if parts else "the whole network, all time"

    def with_as_of(self, day: dt.date) -> Filters:
        return replace(self, end=day)


def _date(value: str, label: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"The {label} date '{value}' is not a date (use YYYY-MM-DD).") from None


def parse_filters(params: QueryDict | dict[str, Any], *, network_id: int) -> Filters:
    """Filters from query parameters, each checked against the network; unknown ones raise
    ``FilterError`` with what was wrong."""
    from wraparound.core.models import Area
    from wraparound.directory.models import Organisation

    get = params.get
    start = _date(str(get("from") or "").strip(), "start")
    end = _date(str(get("to") or "").strip(), "end")
    if start and end and end < start:
        raise FilterError("The period ends before it starts.")
    area_code = str(get("area") or "").strip()
    area_name = ""
    if area_code:
        area = Area.objects.filter(network_id=network_id, code=area_code).first()
        if area is None:
            raise FilterError(f"There is no area with the code '{area_code}' in this network.")
        area_name = area.name
    group = str(get("group") or "").strip()
    if group and group not in PopulationGroup.values:
        raise FilterError(f"There is no population group '{group}'.")
    organisation_id: int | None = None
    organisation_name = ""
    raw_org = str(get("organisation") or "").strip()
    if raw_org:
        found = (
            Organisation.objects.filter(network_id=network_id, pk=int(raw_org)).first()
            if raw_org.isdigit()
            else None
        )
        if found is None:
            raise FilterError(f"There is no organisation '{raw_org}' in this network.")
        organisation_id, organisation_name = found.pk, found.name
    tier = str(get("tier") or "").strip()
    if tier and tier not in Tier.values:
        raise FilterError(f"There is no tier '{tier}'.")
    return Filters(
        network_id=network_id,
        tier=tier,
        start=start,
        end=end,
        area=area_code,
        area_name=area_name,
        group=group,
        organisation=organisation_id,
        organisation_name=organisation_name,
    )


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


# Tables with a day column that outcomes must not see beyond the day they are computed for.
DATED = {
    "assessments": "completed_on",
    "domain_scores": "completed_on",
    "needs": "completed_on",
    "crisis_events": "occurred_on",
    "service_events": '"on"',
    "enrolments": "started_on",
    "referrals": "CAST(requested_at AS DATE)",
    "satisfaction": "sent_on",
    "goals": "agreed_on",
}


def open_filtered(filters: Filters) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection over the current snapshot with the filters applied: each store
    table as the view reports read (cut at the filters' day, ``as_of()``), its full
    content as ``raw_<table>``, and ``cohort``. Raises ``StoreNotReady`` without a store."""
    from wraparound.analytics.schema import TABLES
    from wraparound.analytics.store import current_snapshot

    snapshot = current_snapshot()
    db = duckdb.connect(":memory:")
    for table in TABLES:
        path = str(snapshot / f"{table.name}.parquet").replace("'", "''")
        db.execute(f"CREATE VIEW raw_{table.name} AS SELECT * FROM read_parquet('{path}')")
    apply_filters(db, filters)
    return db


def apply_filters(db: duckdb.DuckDBPyConnection, filters: Filters) -> None:
    """(Re)define the views reports read over the ``raw_<table>`` views: each table cut at
    the filters' day, ``as_of()`` and ``cohort``."""
    as_of = filters.as_of
    db.execute(f"CREATE OR REPLACE MACRO as_of() AS DATE '{as_of.isoformat()}'")
    for name, column in DATED.items():
        db.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM raw_{name} WHERE {column} <= as_of()"
        )
    db.execute(
        "CREATE OR REPLACE VIEW referral_transitions AS SELECT * FROM raw_referral_transitions "
        'WHERE CAST("at" AS DATE) <= as_of()'
    )
    db.execute(
        "CREATE OR REPLACE VIEW person_tier AS SELECT person_key, "
        "arg_max(tier, completed_on) AS tier FROM assessments WHERE tier IS NOT NULL "
        "GROUP BY person_key"
    )
    # Known to the network by then: registered, or in a case (a record may be registered
    # after the case that brought the person, e.g. when merged or migrated).
    conditions = ["least(registered_on, coalesce(case_opened_on, registered_on)) <= as_of()"]
    if filters.network_id:
        conditions.append(f"network_id = {int(filters.network_id)}")
    if filters.area:
        code = _literal(filters.area)
        conditions.append(f"(area_code = {code} OR district_code = {code})")
    if filters.group:
        conditions.append(f"list_contains(population_groups, {_literal(filters.group)})")
    if filters.organisation:
        org = int(filters.organisation)
        conditions.append(
            f"(lead_organisation_id = {org} OR person_key IN "
            f"(SELECT person_key FROM enrolments WHERE organisation_id = {org}))"
        )
    if filters.tier:
        conditions.append(
            f"person_key IN (SELECT person_key FROM person_tier WHERE tier = "
            f"{_literal(filters.tier)})"
        )
    if filters.start:
        start = _literal(filters.start.isoformat())
        conditions.append(
            "person_key IN ("
            f"SELECT person_key FROM assessments WHERE completed_on >= {start} UNION "
            f"SELECT person_key FROM referrals WHERE CAST(requested_at AS DATE) >= {start} "
            f'UNION SELECT person_key FROM service_events WHERE "on" >= {start})'
        )
    db.execute("CREATE OR REPLACE VIEW people AS SELECT * FROM raw_people")
    db.execute(
        "CREATE OR REPLACE VIEW cohort AS SELECT * FROM people WHERE " + " AND ".join(conditions)
    )
