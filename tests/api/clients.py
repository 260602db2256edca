"""Test clients for the JSON API."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from wraparound.accounts.models import User

ApiClientFor = Callable[[User], Client]


def bearer_client(raw_token: str) -> Client:
    """A client that sends ``Authorization: Bearer <raw_token>`` on every request."""
    return Client(headers={"Authorization": f"Bearer {raw_token}"})


# The lead organisation sees everything but the sensitive categories, which need a consent
# naming them (or a legal basis, or break-glass).
SENSITIVE_LABELS = [
    ("health", "health"),
    ("mental_health", "mental health"),
    ("substance_use", "substance use"),
    ("legal", "legal and justice"),
    ("safety", "safety and domestic abuse"),
]
