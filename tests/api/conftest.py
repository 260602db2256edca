"""API clients that carry a bearer token for a persona."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.clients import ApiClientFor, bearer_client
from wraparound.accounts.actor import Actor
from wraparound.accounts.models import User
from wraparound.accounts.services import api_token_create


@pytest.fixture
def api_client_for(db: None) -> ApiClientFor:
    """A test client authenticated as ``user`` with a fresh API token."""

    def make(user: User) -> Client:
        _, raw = api_token_create(actor=Actor.system("test"), user=user)
        return bearer_client(raw)

    return make
