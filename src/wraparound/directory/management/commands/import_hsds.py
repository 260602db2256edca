"""`wraparound import_hsds PATH [--network SLUG] [--kind KIND]`: import HSDS 3.0 files."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wraparound.accounts.actor import Actor
from wraparound.core.models import Network
from wraparound.directory.hsds.importer import DOCUMENT_KINDS, ImportFailed, import_hsds


class Command(BaseCommand):
    help = (
        "Import Open Referral HSDS 3.0 data: a JSON document (service, organization, "
        "service_at_location, location, taxonomy, taxonomy_term; single, list or tabular "
        "form), a CSV table, or a folder of them (a CSV data package). All or nothing: any "
        "invalid record is reported (table, id, field, reason) and nothing is imported. "
        "Re-importing updates records by id."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="A .json or .csv file, or a folder.")
        parser.add_argument(
            "--network",
            help="Slug of the network the directory belongs to (needed if there are several).",
        )
        parser.add_argument(
            "--kind",
            choices=DOCUMENT_KINDS,
            help="What the JSON documents are, when the file name does not say.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        network = self._network(options["network"])
        try:
            result = import_hsds(
                actor=Actor.system("import_hsds"),
                path=options["path"],
                network=network,
                kind=options["kind"],
            )
        except ImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Imported into {network.slug}: {result.summary()}")

    def _network(self, slug: str | None) -> Network:
        if slug:
            try:
                return Network.objects.get(slug=slug)
            except Network.DoesNotExist:
                raise CommandError(f"--network: no network with slug {slug!r}") from None
        networks = list(Network.objects.order_by("id")[:2])
        if len(networks) != 1:
            raise CommandError(
                "--network: name the network (slug) to import into"
                if networks
                else "no network exists yet: create one (or seed the demo) first"
            )
        return networks[0]
