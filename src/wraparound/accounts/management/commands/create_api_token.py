from django.core.management.base import BaseCommand, CommandError

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import User
from wraparound.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, username: str, name: str, **options) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user called {username!r}")
        if not user.is_active:
            raise CommandError(f"{username} is deactivated: reactivate them first")
        _, raw = api_token_create(actor=Actor.system("create_api_token"), user=user, name=name)
        self.stdout.write(raw)
