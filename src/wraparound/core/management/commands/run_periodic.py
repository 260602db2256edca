"""Run the periodic jobs once, or every ``--loop`` seconds until stopped."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wraparound.core.periodic import jobs


class Command(BaseCommand):
    help = "Run the periodic jobs (SLA reminders and escalation, flag refresh)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=int, default=0, help="Repeat every N seconds.")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["loop"]
        if interval < 0:
            raise SystemExit("--loop must be a positive number of seconds")
        while True:
            for path, job in jobs():
                started = time.monotonic()
                try:
                    result = job()
                except Exception as exc:  # one failing job must not stop the others
                    self.stderr.write(f"{path}: failed: {exc}")
                    continue
                self.stdout.write(f"{path}: {result} ({time.monotonic() - started:.1f} s)")
            if not interval:
                return
            time.sleep(interval)
