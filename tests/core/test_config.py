"""Start-up settings: malformed or missing values stop the process with a clear message."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from wraparound import config


def settings_error(env: dict[str, str], tmp_path) -> str:
    """Import the settings in a clean interpreter with ``env`` and return stderr."""
    base = {"PATH": "/usr/bin:/bin", "WRAPAROUND_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import wraparound.settings"],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0, "settings should have refused to load"
    return result.stderr.strip().splitlines()[-1]


def test_production_requires_a_secret_key(tmp_path):
    message = settings_error({"ALLOWED_HOSTS": "example.org"}, tmp_path)
    assert "SECRET_KEY is not set" in message


def test_short_secret_key_refused(tmp_path):
    message = settings_error({"SECRET_KEY": "short", "ALLOWED_HOSTS": "x"}, tmp_path)
    assert "at least 32 characters" in message


def test_production_requires_allowed_hosts(tmp_path):
    message = settings_error({"SECRET_KEY": "k" * 40}, tmp_path)
    assert "ALLOWED_HOSTS" in message


def test_malformed_values_are_named(tmp_path):
    ok = {"SECRET_KEY": "k" * 40, "ALLOWED_HOSTS": "x"}
    assert "DEBUG must be true or false" in settings_error({**ok, "DEBUG": "maybe"}, tmp_path)
    assert "must be a whole number" in settings_error({**ok, "EMAIL_PORT": "twenty"}, tmp_path)
    assert "WRAPAROUND_MODE" in settings_error({**ok, "WRAPAROUND_MODE": "staging"}, tmp_path)
    assert "DATABASE_URL" in settings_error({**ok, "DATABASE_URL": "mysql://x/y"}, tmp_path)


def test_secret_file_variant(tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.write_text("s" * 40 + "\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret))
    assert config.env_str("SECRET_KEY") == "s" * 40
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        config.env_str("SECRET_KEY")


def test_demo_mode_generates_and_keeps_a_key(tmp_path):
    first = config.secret_key(var_dir=tmp_path, allow_generated=True)
    assert len(first) >= 50
    assert config.secret_key(var_dir=tmp_path, allow_generated=True) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "x" * 30 + "Yz9!" * 10,
        "ALLOWED_HOSTS": "example.org",
        "WRAPAROUND_VAR_DIR": str(tmp_path),
        "SECURE_SSL_REDIRECT": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "WRAPAROUND_ENCRYPTION_KEYS": "u6ytbrZEhGr4C0bLYqlwSpa7aobjJsXJK8tBrvOCVUo=",
    }
    result = subprocess.run(
        [sys.executable, "-m", "wraparound", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
