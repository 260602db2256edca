"""The person's documents: what agencies asked for, what they sent, and sending more."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wraparound.applications.models import OPEN_STATUSES
from wraparound.applications.selectors import my_applications
from wraparound.core.downloads import attachment_response
from wraparound.core.forms import posted
from wraparound.documents import selectors, services
from wraparound.documents.forms import UploadForm
from wraparound.portal.session import citizen_required


@citizen_required
def documents(request: HttpRequest) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    applications = [a for a in my_applications(context=portal) if a.status in OPEN_STATUSES]
    answering = None
    if request.GET.get("request"):
        answering = selectors.my_request(context=portal, request_id=int(request.GET["request"]))
    form = UploadForm(
        posted(request),
        request.FILES or None,
        applications=[(a.pk, a.programme_name) for a in applications],
        initial={"kind": answering.kind} if answering else None,
    )
    if form.is_valid():
        chosen = next((a for a in applications if a.pk == form.cleaned_data["application"]), None)
        try:
            services.document_upload(
                context=portal,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                application=chosen,
                request=answering,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Your document has been sent."))
            return redirect("portal_documents:list")
    return render(
        request,
        "documents/portal/list.html",
        {
            "form": form,
            "answering": answering,
            "requests": selectors.open_requests(context=portal),
            "documents": selectors.my_documents(context=portal),
        },
    )


@citizen_required
def download(request: HttpRequest, document_id: int) -> FileResponse:
    document = selectors.my_document(context=request.portal, document_id=document_id)  # type: ignore[attr-defined]
    return attachment_response(
        document.file.open("rb"),
        filename=document.original_name,
        content_type=document.content_type,
    )
