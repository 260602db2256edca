"""Test clients for the JSON API."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from wraparound.accounts.models import User

ApiClientFor = Callable[[User], Client]


def bearer_client(raw_token: str) -> Client:
    """A client that sends ``Authorization: Bearer <raw_token>`` on every request."""
    return Client(headers={"Authorization": f"Bearer {raw_token}"})
