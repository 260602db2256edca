"""Reads of documents: the person's own (portal), an application's (the organisation
applied to)."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES
from wraparound.audit.services import PersonRead, audit_reads, audit_record
from wraparound.consent.categories import DataCategory
from wraparound.documents.models import Document, DocumentRequest
from wraparound.portal.session import PortalContext


def _mine(context: PortalContext, prefix: str = "") -> Q:
    if context.person is not None:
        return Q(**{f"{prefix}person": context.person}) | Q(
            **{f"{prefix}account": context.account, f"{prefix}person__isnull": True}
        )
    return Q(**{f"{prefix}account": context.account})


def my_documents(*, context: PortalContext) -> list[Document]:
    return list(Document.objects.filter(_mine(context)).select_related("application"))


def open_requests(*, context: PortalContext) -> list[DocumentRequest]:
    return list(
        DocumentRequest.objects.filter(_mine(context, "application__"), fulfilled_at__isnull=True)
        .select_related("application__organisation")
        .order_by("requested_at")
    )


def my_request(*, context: PortalContext, request_id: int) -> DocumentRequest:
    found = next((r for r in open_requests(context=context) if r.pk == request_id), None)
    if found is None:
        raise Http404
    return found


def portal_badge_count(*, context: PortalContext) -> int:
    """Documents an agency asked for and the person has not sent yet."""
    return DocumentRequest.objects.filter(
        _mine(context, "application__"), fulfilled_at__isnull=True
    ).count()


def document_for_staff(*, actor: Actor, document_id: int) -> Document:
    """A document of an application to the actor's organisation; the download is audited."""
    membership = actor.require_membership()
    if membership.role not in CASEWORK_ROLES:
        raise Http404
    found = (
        Document.objects.filter(
            pk=document_id, application__organisation_id=membership.organisation_id
        )
        .select_related("application")
        .first()
    )
    if found is None:
        raise Http404
    if found.person_id:
        audit_reads(
            actor=actor,
            action="document.download",
            purpose="application",
            summary=f"Downloaded {found.original_name}",
            reads=[
                PersonRead(found.person_id, [DataCategory.DOCUMENTS], "applied to the organisation")
            ],
        )
    else:
        audit_record(
            actor=actor,
            action="document.download",
            kind="read",
            summary=f"Downloaded {found.original_name} (application not yet linked to a person)",
            target=found,
            categories=[DataCategory.DOCUMENTS],
        )
    return found


def my_document(*, context: PortalContext, document_id: int) -> Document:
    found = Document.objects.filter(_mine(context), pk=document_id).first()
    if found is None:
        raise Http404
    return found
