"""Who is acting: the user, the membership they act under, and where the request came from.

Every service function takes an ``actor`` so that its audit event can say who did what, for
which organisation, in which role, from which request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied

from wraparound.accounts.models import Membership, User

if TYPE_CHECKING:
    from django.http import HttpRequest

    from wraparound.core.models import Network
    from wraparound.directory.models import Organisation


@dataclass(frozen=True)
class Actor:
    user: User | None
    membership: Membership | None
    via: str = "web"
    request_id: str = ""
    ip_address: str | None = None
    label: str = ""
    # Per-request memo of access-policy grounds; a new request starts empty, so consent
    # withdrawals and expiries take effect on the next request.
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def organisation(self) -> Organisation | None:
        return self.membership.organisation if self.membership else None

    @property
    def role(self) -> str:
        return self.membership.role if self.membership else ""

    @property
    def network(self) -> Network | None:
        return self.membership.organisation.network if self.membership else None

    @property
    def display(self) -> str:
        if self.user is not None:
            return str(self.user)
        return self.label or "system"

    def require_membership(self) -> Membership:
        if self.membership is None:
            raise PermissionDenied("You are not a member of any organisation.")
        return self.membership

    @classmethod
    def system(cls, label: str, *, membership: Membership | None = None) -> Actor:
        """An actor for commands and background tasks (the seed, imports, the worker)."""
        return cls(
            user=membership.user if membership else None,
            membership=membership,
            via="cli",
            label=label,
        )


def primary_membership(user: User) -> Membership | None:
    """The membership a user acts under: their first active one (a switcher can come later)."""
    cached: Membership | None = getattr(user, "_primary_membership", None)
    if cached is not None:
        return cached
    membership = (
        Membership.objects.select_related("organisation__network")
        .filter(user=user, is_active=True, organisation__isnull=False)
        .order_by("id")
        .first()
    )
    user._primary_membership = membership  # type: ignore[attr-defined]
    return membership


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def actor_for_user(user: User, *, via: str, request: HttpRequest | None = None) -> Actor:
    return Actor(
        user=user,
        membership=primary_membership(user),
        via=via,
        request_id=getattr(request, "request_id", "") if request is not None else "",
        ip_address=client_ip(request) if request is not None else None,
    )


def actor_from_request(request: HttpRequest) -> Actor:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    return actor_for_user(user, via="web", request=request)
