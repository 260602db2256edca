"""Encryption at rest for free text and uploaded documents.

Fernet (AES-128-CBC with an HMAC-SHA256, from ``cryptography``) under a MultiFernet built
from ``WRAPAROUND_ENCRYPTION_KEYS``, newest key first: the first key encrypts, every key
decrypts. To change keys, put a new one in front, run ``wraparound rotate_keys`` (which
re-encrypts every value and document with it), then drop the old one.

- ``EncryptedTextField``: a TextField whose column holds Fernet tokens; Python code sees
  plain ``str``. Tokens are randomised, so the database cannot compare them: the field
  **cannot be filtered, searched, ordered or indexed** (only ``isnull`` works, and empty text is
  stored as empty, so ``field=""`` works too). Keep anything you need to query in a field
  of its own.
- ``EncryptedFileSystemStorage``: files under ``WRAPAROUND_DOCUMENTS_DIR`` encrypted on save
  and decrypted on open; they have no URL and are only served by views that check access.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import connection, models, transaction
from django.db.models.lookups import Exact, IsNull
from django.utils.deconstruct import deconstructible


class DecryptionError(Exception):
    """A stored value that no configured key can decrypt."""


def configured_keys() -> tuple[str, ...]:
    keys = settings.WRAPAROUND_ENCRYPTION_KEYS
    if isinstance(keys, str):
        keys = [key.strip() for key in keys.split(",") if key.strip()]
    if not keys:
        raise ImproperlyConfigured("WRAPAROUND_ENCRYPTION_KEYS holds no key")
    return tuple(keys)


@functools.lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    fernets = [Fernet(key) for key in keys]
    return MultiFernet(fernets), fernets[0]


def fernet() -> MultiFernet:
    """Encrypts with the newest key, decrypts with any (keys read from settings each call, so
    a changed setting takes effect at once)."""
    return _fernets(configured_keys())[0]


def _newest() -> Fernet:
    return _fernets(configured_keys())[1]


def encrypt_bytes(data: bytes) -> bytes:
    return fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return fernet().decrypt(token)
    except InvalidToken as exc:
        raise DecryptionError(
            "A stored value cannot be decrypted with any key in WRAPAROUND_ENCRYPTION_KEYS "
            "(was a key dropped before `wraparound rotate_keys` had run?)"
        ) from exc


def encrypt_str(text: str) -> str:
    return encrypt_bytes(text.encode("utf-8")).decode("ascii")


def decrypt_str(token: str) -> str:
    try:
        raw = token.encode("ascii")
    except UnicodeEncodeError as exc:  # not a token at all: text that was never encrypted
        raise DecryptionError("A stored value is not encrypted (not a Fernet token)") from exc
    return decrypt_bytes(raw).decode("utf-8")


def rotated(token: bytes) -> bytes | None:
    """The token re-encrypted with the newest key, or None if it already is."""
    try:
        _newest().decrypt(token)
    except InvalidToken:
        pass
    else:
        return None
    try:
        return fernet().rotate(token)
    except InvalidToken as exc:
        raise DecryptionError(
            "A stored value cannot be decrypted with any key in WRAPAROUND_ENCRYPTION_KEYS"
        ) from exc


# --- Encrypted text ---------------------------------------------------------------------


class _EmptyOnlyExact(Exact):
    """``field=""`` works (empty text is stored empty); comparing with any text cannot."""

    def get_prep_lookup(self) -> Any:
        if self.rhs != "":
            raise FieldError(
                f"{self.lhs.target.name} is encrypted: it can only be compared with '' "
                "or tested with isnull, not filtered or searched"
            )
        return ""


class EncryptedTextField(models.TextField):
    """Free text encrypted at rest. Not filterable: see the module's docstring."""

    description = "Text encrypted at rest (cannot be filtered or searched)"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_str(str(value))

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_str(value)

    def get_lookup(self, lookup_name: str) -> Any:
        # Randomised tokens never compare equal: any other lookup would be silently wrong.
        return {"isnull": IsNull, "exact": _EmptyOnlyExact}.get(lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        return None


# --- Encrypted documents -----------------------------------------------------------------


@deconstructible(path="wraparound.core.crypto.EncryptedFileSystemStorage")
class EncryptedFileSystemStorage(FileSystemStorage):
    """Files encrypted on save and decrypted on open, under WRAPAROUND_DOCUMENTS_DIR, readable
    only by the service's own user, never given a URL."""

    def __init__(self, location: str | os.PathLike[str] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        kwargs["base_url"] = None
        super().__init__(location=location, **kwargs)

    @property
    def base_location(self) -> str:
        return str(getattr(self, "_location", None) or settings.WRAPAROUND_DOCUMENTS_DIR)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("Documents have no URL: a view that checks access serves them")

    def _save(self, name: str, content: File) -> str:
        if hasattr(content, "seek"):
            content.seek(0)
        data = b"".join(content.chunks())
        return super()._save(name, ContentFile(encrypt_bytes(data)))  # type: ignore[misc]

    def _open(self, name: str, mode: str = "rb") -> File:
        if mode not in {"r", "rb"}:
            raise ValueError("Encrypted documents are opened for reading only")
        with super()._open(name, "rb") as handle:  # type: ignore[misc]
            token = handle.read()
        return ContentFile(decrypt_bytes(token), name=name)

    def rotate(self, name: str) -> bool:
        """Re-encrypt one document with the newest key; False if it already was."""
        path = self.path(name)
        with open(path, "rb") as handle:
            token = handle.read()
        new = rotated(token)
        if new is None:
            return False
        temporary = f"{path}.rotating"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(new)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        return True


def document_storage() -> Storage:
    """The storage of uploaded documents (a callable, so migrations do not freeze it)."""
    return storages["documents"]


# --- Rotation ----------------------------------------------------------------------------


def encrypted_columns() -> list[tuple[type[models.Model], EncryptedTextField]]:
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def encrypted_file_fields() -> list[tuple[type[models.Model], models.FileField]]:
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.FileField)
        and isinstance(field.storage, EncryptedFileSystemStorage)
    ]


def _raw_batches(model: Any, column: str, batch_size: int) -> Iterator[list[tuple[Any, str]]]:
    """(pk, raw column value) for the non-empty values, in primary-key order, a batch at a
    time. Raw SQL: the field would decrypt, and rotation works on the tokens themselves."""
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    sql = (
        f"SELECT {pk}, {quote(column)} FROM {table} "  # noqa: S608 (names from the model)
        f"WHERE {pk} > %s AND {quote(column)} IS NOT NULL AND {quote(column)} <> '' "
        f"ORDER BY {pk} LIMIT %s"
    )
    last: Any = 0  # every model here has an integer primary key
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last, batch_size])
            rows = [(row[0], row[1]) for row in cursor.fetchall()]
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def rotate_column(
    model: type[models.Model],
    field: EncryptedTextField,
    *,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Re-encrypt one column's values with the newest key: (re-encrypted, already current)."""
    quote = connection.ops.quote_name
    update = (
        f"UPDATE {quote(model._meta.db_table)} SET {quote(field.column)} = %s "  # noqa: S608
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    changed = current = 0
    for rows in _raw_batches(model, field.column, batch_size):
        with transaction.atomic():
            updates = []
            for pk, token in rows:
                new = rotated(token.encode("ascii"))
                if new is None:
                    current += 1
                else:
                    updates.append((new.decode("ascii"), pk))
            if updates:
                with connection.cursor() as cursor:
                    cursor.executemany(update, updates)
            changed += len(updates)
        if progress is not None:
            progress(changed, current)
    return changed, current


def rotate_files(
    model: type[models.Model],
    field: models.FileField,
    *,
    batch_size: int = 100,
    progress: Callable[[int, int, int], None] | None = None,
) -> tuple[int, int, int]:
    """Re-encrypt every stored document of one file field: (re-encrypted, current, missing)."""
    storage = field.storage
    assert isinstance(storage, EncryptedFileSystemStorage)
    changed = current = missing = 0
    names = (
        model._default_manager.exclude(**{field.attname: ""})
        .order_by("pk")
        .values_list(field.attname, flat=True)
    )
    for index, name in enumerate(names.iterator(chunk_size=batch_size), start=1):
        if not storage.exists(name):
            missing += 1
        elif storage.rotate(name):
            changed += 1
        else:
            current += 1
        if progress is not None and (index % batch_size == 0):
            progress(changed, current, missing)
    if progress is not None:
        progress(changed, current, missing)
    return changed, current, missing


# --- Migrations ---------------------------------------------------------------------------


def _is_token(value: str) -> bool:
    try:
        fernet().decrypt(value.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def _convert_column(model: Any, column: str, convert: Callable[[str], str | None]) -> None:
    quote = connection.ops.quote_name
    update = (
        f"UPDATE {quote(model._meta.db_table)} SET {quote(column)} = %s "  # noqa: S608
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    for rows in _raw_batches(model, column, 500):
        updates = [(new, pk) for pk, value in rows if (new := convert(value)) is not None]
        if updates:
            with connection.cursor() as cursor:
                cursor.executemany(update, updates)


def encrypt_existing(model: Any, *columns: str) -> None:
    """For a data migration: encrypt the plain text already in ``columns`` (values that are
    already tokens are left alone, so it can run twice)."""
    for column in columns:
        _convert_column(model, column, lambda v: None if _is_token(v) else encrypt_str(v))


def decrypt_existing(model: Any, *columns: str) -> None:
    """The reverse of ``encrypt_existing``, for migrating backwards."""
    for column in columns:
        _convert_column(model, column, lambda v: decrypt_str(v) if _is_token(v) else None)
