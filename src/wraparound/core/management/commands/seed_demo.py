"""`wraparound seed_demo`: fill a fresh database with the demo network (see core/demo.py)."""

from __future__ import annotations

import os
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wraparound.core import demo

ALREADY_SEEDED = (
    "already seeded: use a fresh database (make demo does). This one already has the "
    f"{demo.NETWORK_NAME} ({demo.NETWORK_SLUG!r})."
)


class Command(BaseCommand):
    help = (
        "Seed a fresh database with a realistic synthetic network: areas, agencies, staff, "
        "people, households, cases, consents and emergency accesses. The same --seed gives the "
        "same people. "
        f"Staff passwords come from ${demo.PASSWORD_ENV} (default {demo.DEFAULT_PASSWORD!r})."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--people",
            type=int,
            default=demo.DEFAULT_PEOPLE,
            help=f"How many people to create (at least {demo.MIN_PEOPLE}; "
            f"default {demo.DEFAULT_PEOPLE}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help=f"Random seed (default {demo.DEFAULT_SEED}).",
        )

    def handle(self, *args: Any, people: int, seed: int, **options: Any) -> None:
        if people < demo.MIN_PEOPLE:
            raise CommandError(f"--people must be at least {demo.MIN_PEOPLE}, not {people}")
        if demo.is_seeded():
            raise CommandError(ALREADY_SEEDED)
        password = os.environ.get(demo.PASSWORD_ENV) or demo.DEFAULT_PASSWORD
        started = time.perf_counter()
        self.stdout.write(f"Seeding the demo network: {people} people, seed {seed}")
        try:
            summary = demo.seed_demo(
                people=people, seed=seed, password=password, progress=self.progress
            )
        except demo.AlreadySeeded as exc:  # seeded by someone else meanwhile
            raise CommandError(ALREADY_SEEDED) from exc
        elapsed = time.perf_counter() - started
        self.print_summary(summary, elapsed)
        self.print_logins(summary, password)

    def progress(self, done: int, total: int) -> None:
        self.stdout.write(f"people: {done}/{total}")

    def print_summary(self, summary: demo.SeedSummary, elapsed: float) -> None:
        write = self.stdout.write
        write(self.style.SUCCESS(f"Seeded {summary.network} in {elapsed:.1f} s"))
        write(
            f"  areas: {summary.areas}   organisations: {summary.organisations}   "
            f"staff: {summary.staff}"
        )
        write(
            f"  people: {summary.people}   households: {summary.households}   "
            f"identifiers: {summary.identifiers}"
        )
        statuses = ", ".join(
            f"{n} {s.replace('_', ' ')}" for s, n in sorted(summary.cases_by_status.items())
        )
        write(f"  cases: {sum(summary.cases_by_status.values())} ({statuses})")
        for lead, count in sorted(summary.cases_by_lead.items(), key=lambda kv: -kv[1]):
            write(f"    led by {lead}: {count}")
        share = 100 * summary.people_with_one_stop_case / max(1, summary.people)
        write(f"  people with a one-stop case: {summary.people_with_one_stop_case} ({share:.0f}%)")
        write(f"  keyworker's open cases: {summary.keyworker_open_cases}")
        consents = summary.consents_active + summary.consents_expired + summary.consents_withdrawn
        write(
            f"  consents: {consents} ({summary.consents_active} active, "
            f"{summary.consents_sensitive} of them naming sensitive categories; "
            f"{summary.consents_expired} expired; {summary.consents_withdrawn} withdrawn)"
        )
        write(
            f"  partner sees {summary.partner_sees} people, "
            f"{summary.partner_sees_by_consent} of them through a consent only; "
            f"outsider sees {summary.outsider_sees}"
        )
        write(
            f"  break-glass: {summary.break_glass_pending} waiting for review, "
            f"{summary.break_glass_reviewed} reviewed"
        )
        if summary.extras:
            write("  " + "   ".join(f"{noun}: {n}" for noun, n in summary.extras.items()))

    def print_logins(self, summary: demo.SeedSummary, password: str) -> None:
        rows = [("username", "role", "organisation", "password")] + [
            (login.username, login.role, login.organisation, password) for login in summary.logins
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        self.stdout.write("")
        self.stdout.write("Demo logins")
        for number, row in enumerate(rows):
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  " + "  ".join([*cells, row[3]]))
            if number == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in [*widths, len(row[3])]))
