"""Languages for the citizen-facing pages only (the portal and the survey): the choice made
with the switcher, else the account's language, else the browser's Accept-Language. Staff
pages stay in the network's language (LANGUAGE_CODE)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

CITIZEN_PATHS = ("/portal/", "/survey/")


def is_citizen_path(path: str) -> bool:
    return path.startswith(CITIZEN_PATHS)


class CitizenLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Activated for this request only: the thread goes back to the default afterwards,
        # so nothing run later in it (a task, a test) inherits a citizen's language.
        try:
            if not is_citizen_path(request.path_info):
                translation.activate(settings.LANGUAGE_CODE)
                return self.get_response(request)
            language = self._language(request)
            translation.activate(language)
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", language)
            vary = response.headers.get("Vary", "")
            if "Accept-Language" not in vary:
                response.headers["Vary"] = f"{vary}, Accept-Language" if vary else "Accept-Language"
            return response
        finally:
            translation.deactivate()

    @staticmethod
    def _language(request: HttpRequest) -> str:
        supported = dict(settings.LANGUAGES)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if chosen in supported:
            return chosen
        from wraparound.portal.session import current_account

        account = current_account(request) if hasattr(request, "session") else None
        if account is not None and account.language in supported:
            return account.language
        return translation.get_language_from_request(request, check_path=False)
