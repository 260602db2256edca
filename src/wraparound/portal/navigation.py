"""The portal's menu, with a count beside the items that need the person's attention.

Each app that adds portal pages gives ``portal_badge_count(context=...)`` in its
selectors; the menu shows the apps that are installed."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from wraparound.portal.middleware import is_citizen_path
from wraparound.portal.session import PortalContext, current_account, portal_context

# (url name, label, module with portal_badge_count or "")
MENU = (
    ("portal:dashboard", _("Home"), ""),
    ("portal_applications:list", _("Applications"), "wraparound.applications.selectors"),
    ("portal_documents:list", _("Documents"), "wraparound.documents.selectors"),
    ("portal_messaging:list", _("Messages"), "wraparound.messaging.selectors"),
    ("portal:appointments", _("Appointments"), ""),
    ("portal:plan", _("My plan"), ""),
    ("portal:my_data", _("My data"), ""),
    ("portal:account", _("Account"), ""),
)


@dataclass(frozen=True)
class MenuItem:
    url: str
    label: str
    active: bool
    count: int


def badge_counts(context: PortalContext) -> dict[str, int]:
    counts: dict[str, int] = {}
    if context.person is None:
        return counts
    for name, _label, module in MENU:
        if module:
            try:
                counter = importlib.import_module(module).portal_badge_count
            except (ImportError, AttributeError):
                continue
            counts[name] = int(counter(context=context))
    return counts


def portal(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the signed-in account, whom they act for, and the menu."""
    if not is_citizen_path(request.path_info):
        return {}
    account = current_account(request)
    if account is None:
        return {}
    context = getattr(request, "portal", None) or portal_context(request, account)
    counts = badge_counts(context)
    items = []
    for name, label, _module in MENU:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = request.path == url or (
            name != "portal:dashboard" and request.path.startswith(url)
        )
        items.append(MenuItem(url, str(label), active, counts.get(name, 0)))
    acting_for = context.person.full_name if context.acting_for_someone and context.person else ""
    return {"portal_account": account, "portal_nav": items, "portal_acting_for": acting_for}
