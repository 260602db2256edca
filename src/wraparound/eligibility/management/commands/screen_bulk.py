"""wraparound screen_bulk --out FILE.parquet --user USERNAME [--on YYYY-MM-DD]

Screens every person the user may see against every programme and service of their network,
vectorised in DuckDB, and writes who is likely eligible but not yet receiving each one.
"""

from __future__ import annotations

import datetime as dt
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wraparound.accounts.actor import Actor, primary_membership
from wraparound.accounts.models import User
from wraparound.eligibility.bulk import facts_table, write_likely_eligible
from wraparound.eligibility.selectors import (
    facts_of_visible_people,
    parameters_on,
    programmes_for_network,
)


class Command(BaseCommand):
    help = "Screen everyone in the registry against every programme (writes Parquet)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--out", required=True, help="Parquet file to write")
        parser.add_argument(
            "--user",
            required=True,
            help="Whose access applies: only the people (and facts) they may see are screened",
        )
        parser.add_argument("--on", default="", help="Screening date, YYYY-MM-DD (today)")

    def handle(self, *args: Any, out: str, user: str, on: str, **options: Any) -> None:
        path = Path(out)
        if path.suffix != ".parquet":
            raise CommandError(f"--out {out}: the file name must end in .parquet")
        if not path.parent.is_dir():
            raise CommandError(f"--out {out}: the folder {path.parent} does not exist")
        try:
            day = dt.date.fromisoformat(on) if on else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--on {on}: not a date in the form YYYY-MM-DD") from exc
        account = User.objects.filter(username=user, is_active=True).first()
        membership = primary_membership(account) if account else None
        if membership is None:
            raise CommandError(f"--user {user}: no active user with a membership by that name")
        actor = Actor.system("screen_bulk", membership=membership)
        network = membership.organisation.network
        started = time.perf_counter()
        rows: list[tuple[int, dict[str, Any]]] = []
        for batch in facts_of_visible_people(actor=actor, on=day):
            rows.extend(batch)
            self.stdout.write(f"facts read: {len(rows)} people")
        found = programmes_for_network(network=network)
        if found.broken:
            self.stderr.write(f"rules that no longer check (screened as unknown): {found.broken}")
        counts = write_likely_eligible(
            facts_table(rows), found.programmes, parameters_on(network=network, on=day), path
        )
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Screened {len(rows)} people against {len(found.programmes)} services and "
            f"programmes on {day:%-d %B %Y} in {seconds:.1f}s; wrote {path}"
        )
        names = {p.ref: p.name for p in found.programmes}
        for ref, count in sorted(counts.items(), key=lambda kv: -kv[1]):
            self.stdout.write(f"  {count:6d}  {ref}  {names[ref]}")
