"""Staff pages for signed consent forms: the list with an upload form, and the download."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from wraparound.accounts.actor import actor_from_request
from wraparound.consent import evidence
from wraparound.core.downloads import attachment_response
from wraparound.core.forms import ServiceForm


class EvidenceUploadForm(ServiceForm):
    file = forms.FileField(
        label="Signed consent form",
        error_messages={
            "required": "Select the signed consent form",
            "empty": "The selected file is empty",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, consent_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    page = evidence.consent_evidence_page(actor=actor, consent_id=consent_id)
    form = EvidenceUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    status = 200
    if request.method == "POST":
        if not page.can_upload:
            raise PermissionDenied("Only organisations working with the person can add documents")
        if form.is_valid():
            try:
                evidence.consent_evidence_attach(
                    actor=actor, consent=page.consent, upload=form.cleaned_data["file"]
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Signed consent form uploaded")
                return redirect("consent_evidence:upload", consent_id=page.consent.pk)
        status = 400
    return render(
        request,
        "consent/evidence.html",
        {
            "page": page,
            "form": form,
            "max_mb": evidence.max_upload_bytes() // (1024 * 1024),
            "accepted": evidence.ACCEPTED,
        },
        status=status,
    )


@login_required
@require_GET
def download(request: HttpRequest, evidence_id: int) -> FileResponse:
    """Always a download, never shown in the browser, whatever the file holds."""
    actor = actor_from_request(request)
    document = evidence.consent_evidence_get(actor=actor, evidence_id=evidence_id)
    return attachment_response(
        evidence.consent_evidence_open(document),
        filename=document.original_name,
        content_type=document.content_type,
    )
