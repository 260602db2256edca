"""Sign-in lockout (django-axes): too many failures for a username from one address lock it.

``LockoutBackend`` goes first in ``AUTHENTICATION_BACKENDS``: it refuses a locked-out sign-in
before the password is even checked, and lets ``ModelBackend`` do the rest.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, for sign-ins that come over HTTP.

    Lockout counts attempts per username *and address*, so it needs the request. A call of
    ``authenticate()`` without one (a shell, a management command, the test client's
    ``login()``, which Django 5.2 calls without a request) is not an attempt from the network
    and is left to ``ModelBackend``; every sign-in page (ours, the admin's) passes the request.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_address(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind ``WRAPAROUND_PROXY_COUNT`` reverse proxies
    the X-Forwarded-For entry they added (counting from the right, which they control)."""
    proxies: int = settings.WRAPAROUND_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None
