from typing import Any

from django.http import HttpRequest

from wraparound.accounts.actor import primary_membership
from wraparound.accounts.models import User


def wraparound(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    membership = (
        primary_membership(user) if isinstance(user, User) and user.is_authenticated else None
    )
    return {"current_membership": membership}
