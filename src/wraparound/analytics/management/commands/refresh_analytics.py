"""Refresh the analytics store now (it is also refreshed nightly by ``run_periodic``)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from wraparound.analytics.store import refresh_store


class Command(BaseCommand):
    help = "Export the reporting data to a new Parquet snapshot and make it current."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--network", type=int, default=None, help="Only this network's data.")

    def handle(self, *args: Any, network: int | None, **options: Any) -> None:
        result = refresh_store(network_id=network)
        rows = ", ".join(f"{name} {n:,}" for name, n in result.rows.items())
        self.stdout.write(f"Analytics store refreshed in {result.seconds:.1f}s: {result.snapshot}")
        self.stdout.write(f"  rows: {rows}")
