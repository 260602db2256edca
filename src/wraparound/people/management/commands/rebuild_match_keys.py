from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wraparound.core.models import Network
from wraparound.people.matching import rebuild_all_match_keys


class Command(BaseCommand):
    help = (
        "Rebuild the blocking keys online matching looks people up by (after a bulk load, a "
        "restore, or a change to how keys are made). Safe to re-run; prints progress."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--network", help="only this network (its slug)")
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
        network_id = None
        if options["network"]:
            network = Network.objects.filter(slug=options["network"]).first()
            if network is None:
                raise CommandError(f"No network with the slug {options['network']!r}")
            network_id = network.pk
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        count = rebuild_all_match_keys(network_id=network_id, batch_size=options["batch_size"])
        self.stdout.write(f"Rebuilt the match keys of {count} people.")
