"""Write every link of the master client index as CSV: source,local_id,person_id."""

from __future__ import annotations

import csv
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wraparound.accounts.actor import Actor
from wraparound.core.models import Network
from wraparound.linkage.cli import network_option
from wraparound.linkage.selectors import export_links


class Command(BaseCommand):
    help = "Export the links (source organisation slug, local id, person id) to a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="the CSV file to write")
        parser.add_argument("--network", help="only this network (default: every network)")

    def handle(self, *args: Any, **options: Any) -> None:
        network: Network | None = network_option(options["network"]) if options["network"] else None
        actor = Actor.system("export_links")
        count = 0
        with open(options["out"], "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["source", "local_id", "person_id"])
            for row in export_links(actor=actor, network=network):
                writer.writerow([row.source, row.local_id, row.person_id])
                count += 1
        self.stdout.write(f"{count} links written to {options['out']}.")
