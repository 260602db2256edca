"""Sign-in lockout (django-axes, enabled in tests as in production): five failures for one
username from one address pause sign-in for that pair for 15 minutes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD, Personas

pytestmark = pytest.mark.django_db

SIGN_IN = "/accounts/sign-in"
LOCKED = "Too many attempts to sign in with this username"


def attempt(client: Client, username: str, password: str, ip: str = "192.0.2.1") -> Any:
    return client.post(SIGN_IN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail(client: Client, username: str, times: int, ip: str = "192.0.2.1") -> None:
    for _ in range(times):
        response = attempt(client, username, "wrong password", ip)
        assert response.status_code in {200, 429}


def test_four_failures_then_the_right_password_signs_in(personas: Personas, client: Client) -> None:
    fail(client, "manager", 4)
    response = attempt(client, "manager", PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(personas.manager.pk)
    # A success clears the count for that username and address.
    assert not AccessAttempt.objects.filter(username="manager").exists()


def test_the_fifth_failure_locks_even_the_right_password_out(
    personas: Personas, client: Client
) -> None:
    fail(client, "keyworker", 4)
    response = attempt(client, "keyworker", "wrong password")
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED in html and "try again in 15 minutes" in html
    assert "govuk-error-summary" in html
    assert response.context["form"]["username"].value() == "keyworker"

    response = attempt(client, "keyworker", PASSWORD)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert SESSION_KEY not in client.session


def test_lockout_is_per_username_and_address(personas: Personas, client: Client) -> None:
    fail(client, "keyworker", 5)
    assert attempt(client, "keyworker", PASSWORD).status_code == 429
    # The same person from another address, and another person from this one, sign in.
    assert attempt(Client(), "keyworker", PASSWORD, ip="198.51.100.7").status_code == 302
    assert attempt(Client(), "manager", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(personas: Personas, client: Client) -> None:
    fail(client, "keyworker", 5)
    assert attempt(client, "keyworker", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    response = attempt(client, "keyworker", PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(personas.keyworker.pk)


def test_unknown_usernames_are_locked_out_alike(personas: Personas, client: Client) -> None:
    """Locking only real accounts would tell an attacker which usernames exist."""
    fail(client, "nobody", 5)
    assert LOCKED in attempt(client, "nobody", "x").content.decode()


def test_the_admin_sign_in_counts_too(personas: Personas, client: Client) -> None:
    for _ in range(5):
        client.post(
            "/admin/login/",
            {"username": "keyworker", "password": "wrong"},
            REMOTE_ADDR="192.0.2.1",
        )
    assert attempt(client, "keyworker", PASSWORD).status_code == 429


def test_the_test_clients_login_still_works(personas: Personas, client: Client) -> None:
    """Client.login calls authenticate() without a request: not an attempt from the network,
    so the lockout check steps aside and the password is checked as usual."""
    assert client.login(username="keyworker", password=PASSWORD)
    assert client.get("/").status_code == 200
    assert not Client().login(username="keyworker", password="wrong")
