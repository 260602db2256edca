from django.core.management.base import BaseCommand, CommandError

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import ApiToken
from wraparound.accounts.services import api_token_revoke


class Command(BaseCommand):
    help = "Revoke an API token, given the first characters it starts with (as listed)."

    def add_arguments(self, parser):
        parser.add_argument("prefix", help="The token's first 12 characters, e.g. wra_AbC12345")

    def handle(self, *args, prefix: str, **options) -> None:
        tokens = list(ApiToken.objects.select_related("user").filter(prefix=prefix[:12]))
        if not tokens:
            raise CommandError(f"No token starts with {prefix!r}")
        if len(tokens) > 1:
            raise CommandError(f"{len(tokens)} tokens start with {prefix!r}: give more characters")
        api_token_revoke(actor=Actor.system("revoke_api_token"), token=tokens[0])
        self.stdout.write(f"Revoked {tokens[0]}")
