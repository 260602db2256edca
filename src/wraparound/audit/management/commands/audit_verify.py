from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wraparound.audit.chain import ChainBreak, verify_chain


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; exits non-zero naming the first broken event."

    def handle(self, *args: Any, **options: Any) -> None:
        checked = 0
        for step in verify_chain():
            if isinstance(step, ChainBreak):
                raise CommandError(
                    f"Audit chain broken at {step} ({checked} events before it are intact)"
                )
            checked = step
            if options["verbosity"] > 1:
                self.stderr.write(f"checked {checked} events…")
        self.stdout.write(f"Audit chain intact: {checked} events checked.")
