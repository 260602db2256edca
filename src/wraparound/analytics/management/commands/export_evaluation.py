"""wraparound export_evaluation DIR --user USERNAME [--k 10]"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from wraparound.accounts.actor import Actor, primary_membership
from wraparound.accounts.models import User
from wraparound.analytics.export import DEFAULT_K, export_evaluation
from wraparound.analytics.store import StoreNotReady


class Command(BaseCommand):
    help = "Write the de-identified evaluation export (Parquet and a data dictionary) to DIR."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("directory")
        parser.add_argument("--user", required=True, help="The analyst making the export.")
        parser.add_argument("--k", type=int, default=DEFAULT_K, help="Smallest group kept.")

    def handle(self, *args: Any, directory: str, user: str, k: int, **options: Any) -> None:
        account = User.objects.filter(username=user, is_active=True).first()
        membership = primary_membership(account) if account else None
        if membership is None:
            raise CommandError(f"--user {user}: no active user with a membership by that name")
        try:
            result = export_evaluation(
                actor=Actor.system("export_evaluation", membership=membership),
                directory=Path(directory),
                k=k,
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except (StoreNotReady, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Exported {result.people} people to {result.directory} "
            f"(left out: {result.excluded_refused} who refused, {result.excluded_rare} in groups "
            f"smaller than {k})"
        )
