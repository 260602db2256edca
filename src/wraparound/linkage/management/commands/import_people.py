"""Import one agency's records of people (CSV or Parquet) into the master client index."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wraparound.accounts.actor import Actor
from wraparound.linkage.cli import source_option
from wraparound.linkage.services import DEFAULT_COLUMNS, import_people


def _mapping(items: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items:
        header, sep, column = item.partition("=")
        if not sep or not header.strip() or not column.strip():
            raise CommandError(
                f"--map {item!r}: write it as header=column, e.g. forename=given_name"
            )
        mapping[header.strip()] = column.strip()
    return mapping


class Command(BaseCommand):
    help = (
        "Import an agency's records of people. Columns: "
        + ", ".join(DEFAULT_COLUMNS)
        + " (national_number, insurance_number optional). Re-running continues an "
        "interrupted import and updates records by local id."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .csv or .parquet file")
        parser.add_argument("--source", required=True, help="the organisation's slug")
        parser.add_argument("--network", help="the network's slug (if the slug is ambiguous)")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=COLUMN",
            help="read another header as one of ours, e.g. --map forename=given_name",
        )
        parser.add_argument("--report", help="write the rejected rows to this CSV file")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        source = source_option(options["source"], options["network"])
        actor = Actor.system(f"import_people {path.name}")

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  {done}/{total} rows")

        try:
            report = import_people(
                actor=actor,
                path=path,
                source=source,
                mapping=_mapping(options["map"]),
                batch_size=options["batch_size"],
                progress=progress,
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(m for ms in exc.message_dict.values() for m in ms)
            ) from exc
        run = report.run
        if report.resumed_from:
            self.stdout.write(f"Resumed an interrupted import after row {report.resumed_from + 1}.")
        self.stdout.write(
            f"{path.name} for {source.slug}: {run.rows_total} rows, {run.created} new, "
            f"{run.updated} updated, {run.unchanged} unchanged, {len(run.rejected)} rejected."
        )
        for item in run.rejected[:50]:
            problems = "; ".join(f"{k}: {v}" for k, v in item["errors"].items())
            self.stdout.write(
                f"  row {item['row']} (local id {item['local_id'] or '-'}): {problems}"
            )
        if len(run.rejected) > 50:
            self.stdout.write(f"  ... and {len(run.rejected) - 50} more (use --report FILE)")
        if options["report"]:
            with open(options["report"], "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["row", "local_id", "column", "error"])
                for item in run.rejected:
                    for column, error in item["errors"].items():
                        writer.writerow([item["row"], item["local_id"], column, error])
            self.stdout.write(f"Rejected rows written to {options['report']}.")
