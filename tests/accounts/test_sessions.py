"""The idle timeout: a session lasts SESSION_IDLE_MINUTES after the last request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from tests.conftest import Personas

pytestmark = pytest.mark.django_db


def expiry(client: Client) -> dt.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_each_request_pushes_the_expiry_back(personas: Personas) -> None:
    client = personas.client(personas.keyworker)
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    # Pretend the last request was 20 minutes ago: the session has 10 minutes left.
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() + dt.timedelta(minutes=10)
    )
    response = client.get("/")
    assert response.status_code == 200
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 30 * 60
    left = expiry(client) - timezone.now()
    assert dt.timedelta(minutes=29) < left <= dt.timedelta(minutes=30)


def test_an_idle_session_expires(personas: Personas) -> None:
    client = personas.client(personas.keyworker)
    assert client.get("/").status_code == 200
    # 30 minutes and a second without a request.
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get("/people/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in?next=/people/"
