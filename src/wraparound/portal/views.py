"""Portal pages: start, sign-in, linking to a record, acting for someone, account, home.
Thin: forms validate, services write, selectors read."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wraparound.core.forms import posted
from wraparound.portal import services
from wraparound.portal.forms import (
    AccountForm,
    CodeForm,
    EmailForm,
    IntermediaryForm,
    LinkCodeForm,
    LinkRequestForm,
    PasswordForm,
    PasswordSignInForm,
)
from wraparound.portal.selectors import my_intermediaries, my_intermediary, pending_link_request
from wraparound.portal.session import (
    PERSON_KEY,
    citizen_required,
    current_account,
    people_for,
    portal_network,
    sign_in,
    sign_out,
)

SIGN_IN_EMAIL = "portal_sign_in_email"
SIGN_IN_NEXT = "portal_sign_in_next"


def _safe_next(request: HttpRequest, value: str | None) -> str:
    """Only a path inside the portal (or the survey, whose pages share its language
    switcher): never another site."""
    if value:
        parts = urlsplit(value)
        if not parts.scheme and not parts.netloc and value.startswith(("/portal/", "/survey/")):
            return value
    return reverse("portal:dashboard")


def _remember_language(response: HttpResponse, code: str) -> HttpResponse:
    """The language cookie the citizen middleware reads first ("" forgets the choice)."""
    if not code:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        return response
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


def home(request: HttpRequest) -> HttpResponse:
    if current_account(request) is not None:
        return redirect("portal:dashboard")
    return render(request, "portal/start.html")


def language(request: HttpRequest, code: str) -> HttpResponse:
    """The switcher: remembered in a cookie, and on the account when signed in."""
    if code not in dict(settings.LANGUAGES):
        code = settings.LANGUAGE_CODE.split("-")[0]
    response = _remember_language(
        HttpResponseRedirect(_safe_next(request, request.GET.get("next"))), code
    )
    account = current_account(request)
    if account is not None:
        services.account_update(account=account, display_name=account.display_name, language=code)
    return response


def sign_in_start(request: HttpRequest) -> HttpResponse:
    form = EmailForm(posted(request))
    if request.method == "GET" and request.GET.get("next"):
        request.session[SIGN_IN_NEXT] = _safe_next(request, request.GET["next"])
    if form.is_valid():
        try:
            services.sign_in_code_send(
                network=portal_network(),
                email=form.cleaned_data["email"],
                link_url=request.build_absolute_uri(reverse("portal:sign_in_link", args=["x"]))[
                    :-2
                ],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            request.session[SIGN_IN_EMAIL] = services.normalise_email(form.cleaned_data["email"])
            return redirect("portal:sign_in_code")
    return render(request, "portal/sign_in.html", {"form": form})


def _signed_in(request: HttpRequest, account: object) -> HttpResponse:
    next_url = request.session.pop(SIGN_IN_NEXT, None)
    request.session.pop(SIGN_IN_EMAIL, None)
    sign_in(request, account)  # type: ignore[arg-type]
    response = HttpResponseRedirect(_safe_next(request, next_url))
    language = getattr(account, "language", "")
    return _remember_language(response, language) if language else response


def sign_in_code(request: HttpRequest) -> HttpResponse:
    email = request.session.get(SIGN_IN_EMAIL)
    if not email:
        return redirect("portal:sign_in")
    form = CodeForm(posted(request))
    if form.is_valid():
        try:
            account = services.sign_in_with_code(
                network=portal_network(), email=email, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return _signed_in(request, account)
    return render(request, "portal/sign_in_code.html", {"form": form, "email": email})


def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """The magic link asks for a click before it signs in: mail scanners that open links
    must not use it up."""
    error = ""
    if request.method == "POST":
        try:
            account = services.sign_in_with_link(token=token)
        except ValidationError as exc:
            error = exc.message_dict["code"][0]
        else:
            return _signed_in(request, account)
    return render(request, "portal/sign_in_link.html", {"error": error})


def sign_in_password(request: HttpRequest) -> HttpResponse:
    form = PasswordSignInForm(posted(request))
    if form.is_valid():
        try:
            account = services.sign_in_with_password(
                network=portal_network(),
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return _signed_in(request, account)
    return render(request, "portal/sign_in_password.html", {"form": form})


@require_POST
def sign_out_view(request: HttpRequest) -> HttpResponse:
    sign_out(request)
    messages.success(request, _("You have signed out."))
    return redirect("portal:home")


@citizen_required
def link(request: HttpRequest) -> HttpResponse:
    """Link the account to the person's record: a link code from a worker and the date of
    birth, or a request a worker confirms."""
    portal = request.portal  # type: ignore[attr-defined]
    if portal.account.person_id is not None:
        return redirect("portal:dashboard")
    code_form = LinkCodeForm(
        posted(request) if request.POST.get("form") == "code" else None, prefix="code"
    )
    request_form = LinkRequestForm(
        posted(request) if request.POST.get("form") == "request" else None, prefix="request"
    )
    if code_form.is_valid():
        try:
            services.link_with_code(
                account=portal.account,
                code=code_form.cleaned_data["code"],
                date_of_birth=code_form.cleaned_data["date_of_birth"],
            )
        except ValidationError as exc:
            code_form.add_service_errors(exc)
        else:
            messages.success(request, _("Your account is now linked to your record."))
            return redirect("portal:dashboard")
    if request_form.is_valid():
        try:
            services.link_request_create(account=portal.account, **request_form.cleaned_data)
        except ValidationError as exc:
            request_form.add_service_errors(exc)
        else:
            messages.success(
                request, _("Thank you. A worker will check your details and link your account.")
            )
            return redirect("portal:link")
    return render(
        request,
        "portal/link.html",
        {
            "code_form": code_form,
            "request_form": request_form,
            "pending": pending_link_request(context=portal),
        },
    )


@citizen_required
def switch(request: HttpRequest) -> HttpResponse:
    """Choose whose record to use: your own, or someone who allowed you to act for them."""
    portal = request.portal  # type: ignore[attr-defined]
    people = people_for(portal.account)
    if request.method == "POST":
        chosen = request.POST.get("person", "")
        allowed = {str(p.pk): p for p in people}
        if chosen in allowed:
            request.session[PERSON_KEY] = allowed[chosen].pk
            return redirect("portal:dashboard")
        messages.error(request, _("Choose whose record to use"))
    return render(request, "portal/switch.html", {"people": people, "current": portal.person})


@citizen_required
def account(request: HttpRequest) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    which = request.POST.get("form")
    details = AccountForm(
        posted(request) if which == "details" else None,
        prefix="details",
        initial={"display_name": portal.account.display_name, "language": portal.account.language},
    )
    password = PasswordForm(posted(request) if which == "password" else None, prefix="password")
    helper = IntermediaryForm(posted(request) if which == "intermediary" else None, prefix="helper")
    if details.is_valid():
        try:
            services.account_update(account=portal.account, **details.cleaned_data)
        except ValidationError as exc:
            details.add_service_errors(exc)
        else:
            messages.success(request, _("Your details have been saved."))
            return _remember_language(redirect("portal:account"), portal.account.language)
    if password.is_valid():
        try:
            services.account_set_password(
                account=portal.account, password=password.cleaned_data["password"]
            )
        except ValidationError as exc:
            password.add_service_errors(exc)
        else:
            messages.success(request, _("Your password has been set."))
            return redirect("portal:account")
    if helper.is_valid():
        try:
            services.intermediary_allow(account=portal.account, **helper.cleaned_data)
        except ValidationError as exc:
            helper.add_service_errors(exc)
        else:
            messages.success(request, _("They can now act for you in the portal."))
            return redirect("portal:account")
    helpers = my_intermediaries(context=portal)
    return render(
        request,
        "portal/account.html",
        {"details": details, "password_form": password, "helper_form": helper, "helpers": helpers},
    )


@require_POST
@citizen_required
def intermediary_revoke(request: HttpRequest, intermediary_id: int) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    granted = my_intermediary(context=portal, intermediary_id=intermediary_id)
    services.intermediary_revoke(account=portal.account, intermediary=granted)
    messages.success(request, _("They can no longer act for you."))
    return redirect("portal:account")
