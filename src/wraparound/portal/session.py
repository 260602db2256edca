"""Who is signed in to the portal, and for whom they act.

The portal keeps its own session keys (``portal_account``, ``portal_person``), apart from
staff sign-in: a citizen account is never a staff ``User``. Views get a ``PortalContext``
from the decorators below; every read and write of the person's data then goes through
``portal/selectors.py`` and the services with ``context.actor``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import translation

from wraparound.accounts.actor import Actor
from wraparound.consent.policy import portal_subject_access
from wraparound.core.models import Network
from wraparound.people.models import Person
from wraparound.portal.models import CitizenAccount, Intermediary
from wraparound.portal.services import portal_actor

ACCOUNT_KEY = "portal_account"
PERSON_KEY = "portal_person"


def portal_network() -> Network:
    """The network whose portal this is: the one named in settings, else the first."""
    slug = getattr(settings, "WRAPAROUND_PORTAL_NETWORK", "")
    networks = Network.objects.order_by("pk")
    network = networks.filter(slug=slug).first() if slug else networks.first()
    if network is None:
        raise Network.DoesNotExist("No network is set up yet.")
    return network


def sign_in(request: HttpRequest, account: CitizenAccount) -> None:
    request.session.cycle_key()  # a new session id at sign-in: no fixation
    request.session[ACCOUNT_KEY] = account.pk
    request.session.pop(PERSON_KEY, None)
    if account.language:
        translation.activate(account.language)


def sign_out(request: HttpRequest) -> None:
    request.session.pop(ACCOUNT_KEY, None)
    request.session.pop(PERSON_KEY, None)
    request.session.cycle_key()


def current_account(request: HttpRequest) -> CitizenAccount | None:
    if hasattr(request, "_portal_account"):
        cached: CitizenAccount | None = request._portal_account
        return cached
    account_id = request.session.get(ACCOUNT_KEY)
    account = (
        CitizenAccount.objects.select_related("person")
        .filter(pk=account_id, is_active=True)
        .first()
        if account_id
        else None
    )
    request._portal_account = account  # type: ignore[attr-defined]
    return account


def people_for(account: CitizenAccount) -> list[Person]:
    """The account's own record (if linked) and everyone who allowed it to act for them."""
    people = [account.person] if account.person is not None else []
    people += [
        i.person
        for i in Intermediary.objects.filter(account=account, revoked_at__isnull=True)
        .select_related("person")
        .order_by("allowed_at")
    ]
    return people


@dataclass(frozen=True)
class PortalContext:
    account: CitizenAccount
    person: Person | None  # whose record the pages show (own, or acted for)
    actor: Actor

    @property
    def acting_for_someone(self) -> bool:
        return self.person is not None and self.account.person_id != self.person.pk


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def portal_context(request: HttpRequest, account: CitizenAccount) -> PortalContext:
    person: Person | None = account.person
    chosen = request.session.get(PERSON_KEY)
    if chosen and chosen != account.person_id:
        # Checked on every request: a revoked intermediary loses access at once.
        if portal_subject_access(account_id=account.pk, person_id=chosen):
            person = Person.objects.get(pk=chosen)
        else:
            request.session.pop(PERSON_KEY, None)
    actor = portal_actor(
        account=account,
        person=person,
        request_id=getattr(request, "request_id", ""),
        ip=_client_ip(request),
    )
    return PortalContext(account, person, actor)


View = Callable[..., HttpResponseBase]


def _to_sign_in(request: HttpRequest) -> HttpResponse:
    query = urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(f"{reverse('portal:sign_in')}?{query}")


def citizen_required(view: View) -> View:
    """The view gets ``request.portal`` (a PortalContext); anonymous visitors sign in first."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        account = current_account(request)
        if account is None:
            return _to_sign_in(request)
        request.portal = portal_context(request, account)  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def person_required(view: View) -> View:
    """As ``citizen_required``, and the account must be linked to a record (its own or one
    it acts for); otherwise the page explains how to link."""

    @wraps(view)
    @citizen_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.portal.person is None:  # type: ignore[attr-defined]
            return HttpResponseRedirect(reverse("portal:link"))
        return view(request, *args, **kwargs)

    return wrapper
