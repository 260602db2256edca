"""Uploading proofs from the portal and asking for them from the staff side."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES
from wraparound.applications.models import OPEN_STATUSES, Application
from wraparound.audit.services import audit_record
from wraparound.consent.categories import DataCategory
from wraparound.consent.evidence import check_upload_named, clean_upload_name, store_upload
from wraparound.documents.models import Document, DocumentKind, DocumentRequest
from wraparound.notifications.services import notification_send
from wraparound.portal.session import PortalContext

CATEGORIES = [DataCategory.DOCUMENTS]


def document_upload(
    *,
    context: PortalContext,
    upload: UploadedFile,
    kind: str,
    application: Application | None = None,
    request: DocumentRequest | None = None,
) -> Document:
    """Keep a proof the person sent, once it passes every check (size, type by content and
    by name, virus scan when configured)."""
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": _("Choose what the document is")})
    if request is not None:
        application = request.application
        if request.fulfilled_at is not None:
            raise ValidationError({"file": _("This request has already been answered")})
    if application is not None and application.status not in OPEN_STATUSES:
        raise ValidationError(
            {"file": _("This application is closed: documents can no longer be added")}
        )
    file_kind = check_upload_named(upload)
    person = context.person
    document = Document(
        account=context.account,
        person=person,
        on_behalf=context.acting_for_someone,
        application=application,
        request=request,
        kind=kind,
        original_name=clean_upload_name(upload.name or ""),
        content_type=file_kind.content_type,
        size=upload.size or 0,
    )

    def audit() -> None:
        if request is not None:
            DocumentRequest.objects.filter(pk=request.pk).update(fulfilled_at=timezone.now())
        audit_record(
            actor=context.actor,
            action="document.upload",
            person_id=person.pk if person else None,
            target=document,
            summary=f"{file_kind.label} ({document.size:,} bytes) sent in the portal",
            categories=CATEGORIES,
        )
        if application is not None:
            recipients = [t.by_user for t in application.transitions.all() if t.by_user_id]
            notification_send(
                recipients=recipients,
                subject="A document was sent for an application",
                kind="document_uploaded",
                url=f"/applications/{application.pk}/",
            )

    store_upload(document, "file", upload, file_kind, audit)
    return document


def document_request(
    *, actor: Actor, application: Application, kind: str, note: str = ""
) -> DocumentRequest:
    membership = actor.require_membership()
    if (
        membership.organisation_id != application.organisation_id
        or membership.role not in CASEWORK_ROLES
    ):
        raise PermissionDenied("Only caseworkers of the organisation applied to can ask.")
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": "Choose which document you need"})
    if application.status not in OPEN_STATUSES:
        raise ValidationError({"kind": "The application is closed"})
    with transaction.atomic():
        asked = DocumentRequest.objects.create(
            application=application,
            kind=kind,
            note=note.strip()[:500],
            requested_by=membership.user,
        )
        audit_record(
            actor=actor,
            action="document.request",
            person_id=application.person_id,
            target=asked,
            summary=f"Asked for a document ({kind}) for {application.programme_name}",
            categories=CATEGORIES,
        )
    return asked
