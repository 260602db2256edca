"""Every staff page needs the second factor when WRAPAROUND_REQUIRE_2FA is on."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from wraparound.accounts.two_factor import confirmed_device

# Pages a signed-in but not yet verified user may still reach. The API authenticates each
# request with a bearer token of its own, not the session.
# The portal and the survey are for citizens, who sign in (or not) on their own terms.
ALWAYS_OPEN = ("/healthz", "/api/", "/accounts/two-factor/", "/portal/", "/survey/")


class TwoFactorRequiredMiddleware:
    """Sends a signed-in user whose session has no verified device to set one up (no device
    yet) or to enter a code (a device). Goes after django-otp's OTPMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.WRAPAROUND_REQUIRE_2FA and self._needs_second_factor(request):
            return self._redirect(request)
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        open_paths = (
            *ALWAYS_OPEN,
            settings.STATIC_URL or "/static/",
            reverse("accounts:login"),
            reverse("accounts:logout"),
        )
        return path.startswith(open_paths)

    def _needs_second_factor(self, request: HttpRequest) -> bool:
        if self._open(request.path_info):
            return False
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        return not user.is_verified()

    @staticmethod
    def _redirect(request: HttpRequest) -> HttpResponse:
        name = "two_factor_verify" if confirmed_device(request.user) else "two_factor_setup"  # type: ignore[arg-type]
        target = reverse(f"accounts:{name}")
        if request.headers.get("HX-Request") == "true":
            # htmx would swap the page into a fragment: ask it to navigate instead, and come
            # back to the page the user was on.
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            back = current.path + (f"?{current.query}" if current.query else "")
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target + ("?" + urlencode({"next": back}) if back else "")
            return response
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)
