"""Bearer-token authentication for the JSON API, and the actor every route acts as."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from wraparound.accounts.actor import Actor, actor_for_user
from wraparound.accounts.models import User
from wraparound.accounts.services import api_token_user


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``; a missing, unknown or revoked token, or a
    deactivated user, leaves the request unauthenticated (ninja answers 401)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return api_token_user(token.strip())


def request_actor(request: HttpRequest) -> Actor:
    """The actor for an authenticated API request (ninja has put the user on request.auth)."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User), "route reached without authentication"
    return actor_for_user(user, via="api", request=request)
