"""The survey page the e-mailed link opens: no sign-in, nothing about the person shown."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from wraparound.core.forms import posted
from wraparound.satisfaction import selectors, services
from wraparound.satisfaction.forms import SurveyForm
from wraparound.satisfaction.services import SurveyError


def _closed(request: HttpRequest, error: SurveyError) -> HttpResponse:
    """Unknown links are not found (404); expired and answered ones are gone (410)."""
    status = 404 if error.code == SurveyError.UNKNOWN else 410
    return render(
        request,
        "satisfaction/closed.html",
        {"message": error.message, "reason": error.code},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        selectors.invitation_for_token(token=token)
    except SurveyError as error:
        return _closed(request, error)
    form = SurveyForm(posted(request))
    if form.is_valid():
        try:
            services.survey_answer(token=token, answers=form.answers())
        except SurveyError as error:
            return _closed(request, error)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("satisfaction:thanks")
    response = render(request, "satisfaction/answer.html", {"form": form})
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the address
    return response


def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "satisfaction/thanks.html")
