from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import User
from wraparound.accounts.two_factor import two_factor_reset


class Command(BaseCommand):
    help = (
        "Forget a user's authenticator app (e.g. a lost phone): they set up a new one the next "
        "time they sign in. Check who is asking first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}")
        removed = two_factor_reset(actor=Actor.system("reset_two_factor"), user=user)
        self.stdout.write(
            f"Two-factor authentication reset for {username} ({removed} app(s) forgotten); "
            "they will set up an app at their next sign-in."
        )
