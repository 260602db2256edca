"""Staff side: download an application's documents, ask for another."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from wraparound.accounts.actor import actor_from_request
from wraparound.applications.selectors import application_get
from wraparound.core.downloads import attachment_response
from wraparound.documents import selectors, services
from wraparound.documents.forms import RequestForm


@login_required
def download(request: HttpRequest, document_id: int) -> FileResponse:
    document = selectors.document_for_staff(
        actor=actor_from_request(request), document_id=document_id
    )
    return attachment_response(
        document.file.open("rb"),
        filename=document.original_name,
        content_type=document.content_type,
    )


@require_POST
@login_required
def ask(request: HttpRequest, application_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    application = application_get(actor=actor, application_id=application_id)
    form = RequestForm(request.POST)
    if form.is_valid():
        try:
            services.document_request(actor=actor, application=application, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Asked. The person sees the request in the portal.")
    else:
        messages.error(request, "Choose which document you need")
    return redirect("applications:detail", application_id=application.pk)
