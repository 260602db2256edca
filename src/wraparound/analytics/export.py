"""The de-identified export for researchers: the store's tables with people re-keyed with a
secret of the export's own, dates generalised to the month, people in rare combinations of
age band, district and sex left out (k-anonymity, k = 10 by default), people who refused
"de-identified evaluation" left out entirely, and a data dictionary. Audited, and only for
analysts, managers and network administrators (``consent.policy.may_read_aggregates``)."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction

from wraparound.accounts.actor import Actor
from wraparound.analytics.schema import PERSON_KEY, TABLES, Table
from wraparound.analytics.store import open_store
from wraparound.audit.services import audit_record
from wraparound.consent.policy import may_read_aggregates

DEFAULT_K = 10
QUASI_IDENTIFIERS = ("age_band", "district_code", "sex")
# Columns that are ids of operational rows: dropped, so records cannot be matched back.
ROW_IDS = {"assessment_id", "referral_id", "enrolment_id", "event_id"}


def _export_secret() -> bytes:
    configured = getattr(settings, "EVALUATION_EXPORT_SECRET", "")
    return (configured or f"evaluation-export:{settings.SECRET_KEY}").encode()


@dataclass
class ExportResult:
    directory: Path
    people: int
    excluded_refused: int
    excluded_rare: int
    rows: dict[str, int]


def _columns(table: Table) -> list[tuple[str, str, str]]:
    """(name, type, description) of what the export keeps of a table."""
    out = []
    for column in table.columns:
        if column.name in ROW_IDS or column.name == "evaluation_opt_out":
            continue
        kind, description = column.type, column.description
        if kind in {"DATE", "TIMESTAMPTZ"}:
            kind, description = "DATE", f"{description} — generalised to the first of the month"
        if column.name == PERSON_KEY[0]:
            description = "Pseudonymous person id of this export (keyed hash; not the store's)"
        out.append((column.name, kind, description))
    return out


def _select(table: Table) -> str:
    parts = []
    for name, _kind, _description in _columns(table):
        source = next(c for c in table.columns if c.name == name)
        if name == PERSON_KEY[0]:
            parts.append("rekey(t.person_key) AS person_key")
        elif source.type in {"DATE", "TIMESTAMPTZ"}:
            parts.append(f"CAST(date_trunc('month', t.{name}) AS DATE) AS {name}")
        else:
            parts.append(f"t.{name}")
    return ", ".join(parts)


def export_evaluation(*, actor: Actor, directory: Path, k: int = DEFAULT_K) -> ExportResult:
    membership = actor.require_membership()
    decision = may_read_aggregates(actor, network_id=membership.organisation.network_id)
    if not decision:
        raise PermissionDenied(
            f"Only analysts, managers and network administrators export: {decision.reason}"
        )
    if k < 2:
        raise ValueError("k must be 2 or more")
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise ValueError(f"{directory} is not empty: choose a new folder for the export")
    db = open_store()
    secret = _export_secret()
    db.create_function(
        "rekey",
        lambda key: hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()[:24],
        ["VARCHAR"],
        "VARCHAR",
    )
    network = membership.organisation.network_id
    q = ", ".join(QUASI_IDENTIFIERS)
    db.execute(
        f"""
        CREATE TEMP TABLE included AS
        WITH mine AS (SELECT * FROM people WHERE network_id = {int(network)}),
        common AS (SELECT {q} FROM mine WHERE NOT evaluation_opt_out
                   GROUP BY {q} HAVING count(*) >= {int(k)})
        SELECT m.person_key FROM mine m JOIN common c USING ({q})
        WHERE NOT m.evaluation_opt_out
        """
    )
    totals = db.execute(
        "SELECT count(*) FILTER (WHERE evaluation_opt_out), count(*) FROM people "
        f"WHERE network_id = {int(network)}"
    ).fetchone()
    refused, everyone = (totals[0], totals[1]) if totals else (0, 0)
    people = db.execute("SELECT count(*) FROM included").fetchone()
    included = people[0] if people else 0
    rows: dict[str, int] = {}
    for table in TABLES:
        if PERSON_KEY[0] not in table.column_names:
            continue  # tables without people (transitions) are keyed by dropped row ids
        target = str(directory / f"{table.name}.parquet").replace("'", "''")
        db.execute(
            f"COPY (SELECT {_select(table)} FROM {table.name} t "
            f"JOIN included USING (person_key)) TO '{target}' (FORMAT PARQUET)"
        )
        counted = db.execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchone()
        rows[table.name] = counted[0] if counted else 0
    dictionary: dict[str, Any] = {
        table.name: {
            "description": table.description,
            "columns": [{"name": n, "type": t, "description": d} for n, t, d in _columns(table)],
        }
        for table in TABLES
        if table.name in rows
    }
    dictionary["_about"] = {
        "description": (
            f"De-identified evaluation data. People who refused evaluation are left out; so "
            f"are people whose combination of {', '.join(QUASI_IDENTIFIERS)} is shared by "
            f"fewer than {k} people. Dates are the first of their month. Ids are keyed hashes "
            "of this export only."
        ),
        "k": k,
    }
    (directory / "data_dictionary.json").write_text(
        json.dumps(dictionary, indent=2), encoding="utf-8"
    )
    lines = ["# Data dictionary", "", dictionary["_about"]["description"], ""]
    for name, entry in dictionary.items():
        if name == "_about":
            continue
        lines += [
            f"## {name}",
            "",
            entry["description"],
            "",
            "| column | type | meaning |",
            "|---|---|---|",
        ]
        lines += [f"| {c['name']} | {c['type']} | {c['description']} |" for c in entry["columns"]]
        lines.append("")
    (directory / "data_dictionary.md").write_text("\n".join(lines), encoding="utf-8")
    result = ExportResult(directory, included, refused, everyone - refused - included, rows)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="analytics.export_evaluation",
            summary=f"De-identified evaluation export of {included} people (k={k}) to {directory}",
            categories=["assessments", "plans_referrals"],
            purpose="evaluation",
        )
    return result
