from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wraparound.consent.grants import grant_drift, rebuild_all_access_grants
from wraparound.core.models import Network


class Command(BaseCommand):
    help = (
        "Rebuild the access-grant read model from registrations, cases and consents (after a "
        "bulk load or a restore), or with --check report people whose grants have drifted."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--network", help="only this network (its slug)")
        parser.add_argument(
            "--check", action="store_true", help="change nothing; exit 1 if any grant drifted"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        network_id = None
        if options["network"]:
            network = Network.objects.filter(slug=options["network"]).first()
            if network is None:
                raise CommandError(f"No network with the slug {options['network']!r}")
            network_id = network.pk
        if options["check"]:
            drifted = grant_drift(network_id=network_id)
            if drifted:
                shown = ", ".join(str(pk) for pk in drifted[:20])
                raise CommandError(
                    f"Access grants differ from their sources for {len(drifted)} people "
                    f"(first: {shown}); run rebuild_access_grants"
                )
            self.stdout.write("Access grants agree with their sources.")
            return
        count = rebuild_all_access_grants(network_id=network_id)
        self.stdout.write(f"Rebuilt the access grants of {count} people.")
