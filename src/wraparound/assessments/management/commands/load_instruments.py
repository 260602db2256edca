from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wraparound.assessments.definition import DefinitionError
from wraparound.assessments.loader import INSTRUMENTS_DIR, load_all


class Command(BaseCommand):
    help = (
        "Load the assessment instruments, tier rules and need-order templates (JSON files) "
        "as new versions. Safe to re-run: unchanged versions are left alone; a changed file "
        "must carry a new version number. All or nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dir", default=str(INSTRUMENTS_DIR), help="folder of definition files"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["dir"])
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder")
        try:
            report = load_all(directory=directory, loaded_by="load_instruments")
        except DefinitionError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from exc
        for item in report.loaded:
            self.stdout.write(f"Loaded {item}")
        self.stdout.write(
            f"{len(report.loaded)} loaded, {len(report.unchanged)} already up to date."
        )
