"""`wraparound export_hsds DIR [--network SLUG]`: write the directory as HSDS 3.0."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wraparound.core.models import Network
from wraparound.directory.hsds.exporter import export_hsds


class Command(BaseCommand):
    help = (
        "Export the service directory as Open Referral HSDS 3.0: JSON documents in DIR/json "
        "(services, organizations, taxonomies, taxonomy terms) and the CSV data package in "
        "DIR/csv."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("directory", type=Path, help="Folder to write (created if absent).")
        parser.add_argument("--network", help="Only this network's directory (slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        network = None
        if options["network"]:
            network = Network.objects.filter(slug=options["network"]).first()
            if network is None:
                raise CommandError(f"--network: no network with slug {options['network']!r}")
        directory: Path = options["directory"]
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"{directory} exists and is not a folder")
        counts = export_hsds(directory=directory, network=network)
        total = sum(counts.values())
        self.stdout.write(
            f"Wrote {counts.get('service', 0)} services ({total} rows in all) to {directory}"
        )
