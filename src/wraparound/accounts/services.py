"""Writes to staff accounts: API tokens."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import ApiToken, User, hash_token
from wraparound.audit.services import audit_record

TOKEN_PREFIX = "wra_"  # noqa: S105 (a public prefix, not a secret)


def api_token_create(*, actor: Actor, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the stored token and the raw value (shown once)."""
    if not user.is_active:
        raise ValidationError({"user": [f"{user.username} is deactivated"]})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=raw[:12], token_hash=hash_token(raw)
        )
        audit_record(
            actor=actor,
            action="api_token.create",
            target=token,
            summary=f"API token {token.prefix}… created for {user.username}",
        )
    return token, raw


def api_token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            actor=actor,
            action="api_token.revoke",
            target=token,
            summary=f"API token {token.prefix}… of {token.user.username} revoked",
        )
    return token


def api_token_user(raw: str) -> User | None:
    """The active user behind a raw bearer token, or None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    token.touch()
    return token.user
