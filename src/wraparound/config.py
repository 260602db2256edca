"""Reading 12-factor settings from the environment, with clear errors.

Every setting may also come from a file named by ``<NAME>_FILE`` (for secrets mounted by
an orchestrator). A malformed value stops start-up with a message naming the variable.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE points at {file_name!r}, which cannot be read: {exc.strerror}"
            ) from exc
    return os.environ.get(name, default)


def env_bool(name: str, *, default: bool) -> bool:
    raw = env_str(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off), not {raw!r}")


def env_int(name: str, *, default: int, minimum: int = 0) -> int:
    raw = env_str(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def secret_key(*, var_dir: Path, allow_generated: bool) -> str:
    """SECRET_KEY from the environment; in demo/test mode, generated once and kept under var/."""
    key = env_str("SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long")
        return key
    if not allow_generated:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE) in the environment, "
            "or set WRAPAROUND_MODE=demo for a local demo with a generated key."
        )
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


def encryption_keys(*, var_dir: Path, allow_generated: bool) -> list[str]:
    """WRAPAROUND_ENCRYPTION_KEYS: comma-separated Fernet keys, newest first.

    The first key encrypts; every key decrypts (so a new key can be put in front and the old
    ones kept until ``wraparound rotate_keys`` has run). In demo/test mode one key is
    generated once and kept in ``var/encryption_keys``.
    """
    from cryptography.fernet import Fernet

    raw = env_str("WRAPAROUND_ENCRYPTION_KEYS")
    if raw is None or not raw.strip():
        if not allow_generated:
            raise ImproperlyConfigured(
                "WRAPAROUND_ENCRYPTION_KEYS is not set. Set it (or WRAPAROUND_ENCRYPTION_KEYS_FILE)"
                " to one or more comma-separated Fernet keys, newest first; make a key with "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`."
            )
        raw = _generated_key_file(var_dir / "encryption_keys", Fernet.generate_key().decode())
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"WRAPAROUND_ENCRYPTION_KEYS: key {number} is not a Fernet key "
                "(32 bytes, URL-safe base64-encoded: 44 characters ending in '=')"
            ) from exc
    return keys


def _generated_key_file(path: Path, new_value: str) -> str:
    """The value kept in ``path``, writing ``new_value`` there first if there is none.
    Safe when several processes (web server, worker) start at once: only one file wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it this very moment
            value = path.read_text(encoding="utf-8").strip()
            if value:
                return value
            time.sleep(0.02)
        raise ImproperlyConfigured(f"{path} is empty: delete it to generate a new key") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(new_value)
    return new_value
