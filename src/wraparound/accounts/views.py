"""Sign-in extras: the lockout page and the two-factor pages (set up an app, enter a code).

Signing in itself is Django's LoginView (see urls.py); django-axes refuses attempts while
locked out and ``lockout_response`` turns that into the sign-in page with the reason.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from wraparound.accounts import two_factor
from wraparound.accounts.actor import actor_from_request
from wraparound.accounts.forms import SecurityCodeForm, SignInForm
from wraparound.accounts.two_factor import confirmed_device, qr_code_svg, secret_text, setup_device
from wraparound.core.forms import posted


def lockout_message() -> str:
    minutes = settings.WRAPAROUND_LOCKOUT_MINUTES
    return (
        "Too many attempts to sign in with this username. For your security, sign-in is "
        f"paused: try again in {minutes} minute{'s' if minutes != 1 else ''}. If you have "
        "forgotten your password, ask your manager to reset it."
    )


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """What django-axes answers while a username is locked out from this address: the sign-in
    page again, with the reason, as 429 Too Many Requests."""
    username = request.POST.get("username", "")[:150]
    redirect_to = request.POST.get("next", request.GET.get("next", ""))
    context = {
        "form": SignInForm(request, initial={"username": username}),
        "next": redirect_to if _is_safe(request, redirect_to) else "",
        "lockout_message": lockout_message(),
    }
    return render(request, "accounts/sign_in.html", context, status=429)


def _is_safe(request: HttpRequest, url: str) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _next_url(request: HttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    return url if _is_safe(request, url) else resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, next_url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(name) + "?" + urlencode({"next": next_url}))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """First sign-in: scan the QR code (or type the key) into an app, then enter a code."""
    user = request.user
    next_url = _next_url(request)
    if user.is_verified():  # type: ignore[union-attr]
        return redirect(next_url)
    if confirmed_device(user) is not None:  # type: ignore[arg-type]
        # An app is set up already: a second one may only be added from a verified session.
        return _with_next("accounts:two_factor_verify", next_url)
    actor = actor_from_request(request)
    device = setup_device(user)  # type: ignore[arg-type]
    form = SecurityCodeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        result = two_factor.two_factor_confirm(
            actor=actor, request=request, device=device, code=form.cleaned_data["code"]
        )
        if result.ok:
            messages.success(request, "Two-factor authentication is set up")
            return redirect(next_url)
        form.add_error("code", result.error)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "next": next_url,
            "secret": secret_text(device),
            "qr_code": qr_code_svg(device, label_id="qr-code-label"),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Every sign-in after the first: the current code from the app."""
    user = request.user
    next_url = _next_url(request)
    if user.is_verified():  # type: ignore[union-attr]
        return redirect(next_url)
    device = confirmed_device(user)  # type: ignore[arg-type]
    if device is None:
        return _with_next("accounts:two_factor_setup", next_url)
    form = SecurityCodeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        result = two_factor.two_factor_verify(
            request=request, device=device, code=form.cleaned_data["code"]
        )
        if result.ok:
            return redirect(next_url)
        form.add_error("code", result.error)
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})
