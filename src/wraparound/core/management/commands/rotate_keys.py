"""Re-encrypt every encrypted value and document with the newest key.

Put a new key first in WRAPAROUND_ENCRYPTION_KEYS (keeping the old ones after it), run this,
then remove the old keys. Values already under the newest key are left alone, so the
command can be stopped and run again at any time.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wraparound.core import crypto


class Command(BaseCommand):
    help = "Re-encrypt encrypted text and stored documents with the newest encryption key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=500, help="rows per transaction (default 500)"
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            self.stderr.write("--batch-size must be at least 1")
            raise SystemExit(2)
        keys = len(crypto.configured_keys())
        self.stdout.write(f"Rotating to the newest of {keys} key(s).")
        values_changed = values_current = 0
        for model, field in crypto.encrypted_columns():
            label = f"{model._meta.label}.{field.name}"

            def progress(changed: int, current: int, label: str = label) -> None:
                self.stdout.write(f"  {label}: {changed + current} checked, {changed} re-encrypted")

            changed, current = crypto.rotate_column(
                model, field, batch_size=batch_size, progress=progress
            )
            if changed + current == 0:
                self.stdout.write(f"  {label}: nothing stored")
            values_changed += changed
            values_current += current
        files_changed = files_current = files_missing = 0
        for model, file_field in crypto.encrypted_file_fields():
            label = f"{model._meta.label}.{file_field.name}"

            def file_progress(changed: int, current: int, missing: int, label: str = label) -> None:
                self.stdout.write(
                    f"  {label}: {changed + current + missing} checked, {changed} re-encrypted"
                    + (f", {missing} missing" if missing else "")
                )

            changed, current, missing = crypto.rotate_files(
                model, file_field, batch_size=batch_size, progress=file_progress
            )
            files_changed += changed
            files_current += current
            files_missing += missing
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {values_changed} value(s) re-encrypted, {values_current} already under "
                f"the newest key; {files_changed} document(s) re-encrypted, {files_current} "
                "already under it."
            )
        )
        if files_missing:
            self.stdout.write(
                self.style.WARNING(
                    f"{files_missing} document(s) recorded in the database are missing from "
                    "the documents directory."
                )
            )
