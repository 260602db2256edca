"""`wraparound import_crisis_events FILE --source ORG`: import an agency's crisis events."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wraparound.accounts.actor import Actor
from wraparound.crisis.services import (
    IMPORT_COLUMNS,
    ImportFailed,
    crisis_events_import,
    read_crisis_csv,
)
from wraparound.directory.models import Organisation

MAX_FILE_BYTES = 50 * 1024 * 1024


class Command(BaseCommand):
    help = (
        "Import crisis events (emergency department attendances, hospital admissions, "
        "emergency shelter nights, police custody, crisis team contacts) from an agency's CSV. "
        f"Columns: {', '.join(IMPORT_COLUMNS)}; the person by person_reference (P-000123) or "
        "nhs_number. All or nothing: every rejected row is listed and nothing is imported. "
        "Idempotent: rows already imported (same source and local_id) are skipped."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv file (UTF-8)")
        parser.add_argument("--source", required=True, help="the reporting organisation's slug")
        parser.add_argument("--network", help="the network's slug (if the slug is ambiguous)")

    def handle(self, *args: Any, **options: Any) -> None:
        source = self._source(options["source"], options["network"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CommandError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
        try:
            rows = read_crisis_csv(text)
            result = crisis_events_import(
                actor=Actor.system(f"import_crisis_events {source.slug}"), source=source, rows=rows
            )
        except ImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(f"{path.name}: {problem}")
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{path.name} from {source.name}: {result.summary()}")

    def _source(self, slug: str, network: str | None) -> Organisation:
        found = Organisation.objects.filter(slug=slug)
        if network:
            found = found.filter(network__slug=network)
        matches = list(found.select_related("network")[:2])
        if not matches:
            raise CommandError(f"--source: no organisation with slug {slug!r}")
        if len(matches) > 1:
            raise CommandError(f"--source: {slug!r} is in several networks; add --network")
        return matches[0]
