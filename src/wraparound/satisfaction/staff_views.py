"""Staff side: a worker records the survey answers a person gave in person."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from wraparound.accounts.actor import actor_from_request
from wraparound.core.forms import posted
from wraparound.satisfaction import selectors, services
from wraparound.satisfaction.forms import SurveyForm
from wraparound.satisfaction.models import SurveyTrigger


@login_required
@require_http_methods(["GET", "POST"])
def record(request: HttpRequest, case_id: int, trigger: str) -> HttpResponse:
    # Under /survey/ the citizen's language is active; staff pages stay in the network's.
    with translation.override(settings.LANGUAGE_CODE):
        actor = actor_from_request(request)
        invitation = selectors.invitation_for_worker(actor=actor, case_id=case_id, trigger=trigger)
        form = SurveyForm(posted(request))
        if not invitation.is_answered and form.is_valid():
            try:
                services.survey_record_by_worker(
                    actor=actor, invitation=invitation, answers=form.answers()
                )
            except PermissionDenied as exc:
                raise Http404 from exc
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Survey answers recorded. Thank you.")
                return redirect("cases:detail", case_id=invitation.case_id)
        return render(
            request,
            "satisfaction/staff/record.html",
            {
                "invitation": invitation,
                "case": invitation.case,
                "trigger_label": SurveyTrigger(invitation.trigger).label.lower(),
                "form": form,
            },
        )
