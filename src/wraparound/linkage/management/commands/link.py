"""Bulk linkage of the network's agency records (Splink on DuckDB, or on Spark)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wraparound.linkage.cli import acting_member, network_option
from wraparound.linkage.engine import BACKENDS
from wraparound.linkage.services import link_network


class Command(BaseCommand):
    help = (
        "Link every unlinked agency record: automatic links above the model's upper "
        "threshold, clerical review between, new people below."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--backend", choices=BACKENDS, default="duckdb")
        parser.add_argument("--network", help="the network's slug")
        parser.add_argument(
            "--as", dest="username", help="act as this member (registers new people)"
        )
        parser.add_argument(
            "--retrain", action="store_true", help="train a new model version first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        network = network_option(options["network"])
        actor = acting_member(network, options["username"], f"link ({options['backend']})")
        try:
            summary = link_network(
                actor=actor,
                network=network,
                backend=options["backend"],
                retrain=options["retrain"],
                progress=lambda message: self.stdout.write(f"  {message}"),
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(m for ms in exc.message_dict.values() for m in ms)
            ) from exc
        counts = summary.counts
        self.stdout.write(
            f"Linkage run {summary.run.pk} "
            f"(model v{summary.run.model.version}, {options['backend']}): "
            f"{counts['automatic']} records linked automatically, "
            f"{counts['new_people']} new people "
            f"({counts['new_person_records']} records), {counts['review']} records waiting for "
            f"review in {counts['review_pairs']} pairs, {counts['no_name']} left unlinked without "
            "a given and a family name."
        )
