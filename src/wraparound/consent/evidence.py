"""Evidence of consent: signed forms uploaded as PDF, PNG or JPEG, encrypted at rest.

An upload is checked before anything is kept: its size (``WRAPAROUND_MAX_UPLOAD_MB``), its
type by its first bytes (never by its name or the type the browser claims), and, when
``CLAMD_SOCKET`` is set, by ClamAV over clamd's INSTREAM protocol (an infected file, or a
scanner that does not answer, means no upload). Files are stored under random names by
``EncryptedFileSystemStorage`` and only ever served as a download, to workers who may change
the person's record and to privacy officers of the network.
"""

from __future__ import annotations

import os
import socket
import struct
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext

from wraparound.accounts.actor import Actor
from wraparound.audit.services import PersonRead, audit_reads, audit_record
from wraparound.consent.categories import DataCategory
from wraparound.consent.models import Consent, ConsentEvidence, Purpose
from wraparound.consent.policy import AccessDecision, Action, decide, is_privacy_officer
from wraparound.people.selectors import PersonNotFound

# --- What a file is, by its content ------------------------------------------------------


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    label: str


# Leading bytes ("magic numbers") of the formats accepted.
SIGNATURES: tuple[tuple[bytes, FileType], ...] = (
    (b"%PDF-", FileType("application/pdf", ".pdf", "PDF")),
    (b"\x89PNG\r\n\x1a\n", FileType("image/png", ".png", "PNG")),
    (b"\xff\xd8\xff", FileType("image/jpeg", ".jpg", "JPEG")),
)
ACCEPTED = "a PDF, PNG or JPEG"


def detect_type(head: bytes) -> FileType | None:
    for magic, kind in SIGNATURES:
        if head.startswith(magic):
            return kind
    return None


def max_upload_bytes() -> int:
    return int(settings.WRAPAROUND_MAX_UPLOAD_MB) * 1024 * 1024


# --- Antivirus: clamd's INSTREAM protocol over its unix socket -----------------------------


class ScannerUnavailable(Exception):
    """clamd could not be reached or gave an answer that is neither clean nor infected."""


CLAMD_CHUNK = 64 * 1024


def clamd_scan(chunks: Iterable[bytes], *, socket_path: str, timeout: float = 30) -> str | None:
    """Stream the bytes to clamd: None when clean, the signature's name when infected.

    The protocol: ``zINSTREAM\\0``, then chunks each prefixed with their length as a 4-byte
    big-endian integer, then a zero length; clamd answers ``stream: OK`` or
    ``stream: <signature> FOUND`` (or ``... ERROR``), ending with a NUL.
    """
    reply = b""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(socket_path)
            try:
                sock.sendall(b"zINSTREAM\0")
                for chunk in chunks:
                    for start in range(0, len(chunk), CLAMD_CHUNK):
                        piece = chunk[start : start + CLAMD_CHUNK]
                        sock.sendall(struct.pack("!I", len(piece)) + piece)
                sock.sendall(struct.pack("!I", 0))
            except BrokenPipeError:
                pass  # clamd stopped reading (a size limit, say): its answer says why
            while not reply.endswith(b"\0"):
                data = sock.recv(4096)
                if not data:
                    break
                reply += data
    except OSError as exc:
        raise ScannerUnavailable(f"clamd at {socket_path} did not answer: {exc}") from exc
    answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if answer.endswith(" OK"):
        return None
    if answer.endswith(" FOUND"):
        signature = answer.removesuffix(" FOUND").removeprefix("stream:").strip()
        return signature or "unknown"
    raise ScannerUnavailable(f"clamd answered {answer!r}")


# --- Access ----------------------------------------------------------------------------------


def _access(actor: Actor, consent: Consent) -> AccessDecision:
    """Workers who may change the person's record, and the network's privacy officers."""
    if is_privacy_officer(actor, network_id=consent.network_id):
        return AccessDecision(True, "privacy officer of the network")
    return decide(actor=actor, person=consent.person, action=Action.EDIT)


@dataclass(frozen=True)
class EvidencePage:
    consent: Consent
    documents: list[ConsentEvidence]
    can_upload: bool
    person_shown: bool


def consent_evidence_page(*, actor: Actor, consent_id: int) -> EvidencePage:
    """A consent and its documents, for someone who may see them; else not found."""
    consent = (
        Consent.objects.select_related("person", "recipient_organisation")
        .filter(pk=consent_id)
        .first()
    )
    if consent is None or not _access(actor, consent):
        raise PersonNotFound("No consent with that id")
    documents = list(
        ConsentEvidence.objects.filter(consent=consent).select_related(
            "uploaded_by", "uploaded_by_organisation"
        )
    )
    can_upload = bool(decide(actor=actor, person=consent.person, action=Action.EDIT))
    person_shown = bool(decide(actor=actor, person=consent.person))
    return EvidencePage(consent, documents, can_upload, person_shown)


def consent_evidence_get(*, actor: Actor, evidence_id: int) -> ConsentEvidence:
    """One document for download, audited as a read of the person's documents."""
    evidence = (
        ConsentEvidence.objects.select_related("consent__person").filter(pk=evidence_id).first()
    )
    if evidence is None:
        raise PersonNotFound("No document with that id")
    decision = _access(actor, evidence.consent)
    if not decision:
        raise PersonNotFound("No document with that id")
    audit_reads(
        actor=actor,
        action="consent.evidence_download",
        purpose=Purpose.CARE_COORDINATION,
        summary=f"Downloaded a signed form of consent #{evidence.consent_id}",
        reads=[
            PersonRead(
                evidence.consent.person_id,
                [DataCategory.DOCUMENTS],
                decision.reason,
                decision.break_glass,
            )
        ],
    )
    return evidence


def consent_evidence_open(evidence: ConsentEvidence) -> File:
    """The decrypted content of a document the caller was allowed (consent_evidence_get)."""
    return evidence.file.storage.open(evidence.file.name, "rb")


# --- Upload ----------------------------------------------------------------------------------


def clean_upload_name(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/"))
    printable = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return printable[-200:] or "document"


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def check_upload(upload: UploadedFile) -> FileType:
    """Size, type by content and (when configured) a virus scan; a ValidationError on
    ``file`` naming what is wrong (translated: citizens upload through the portal)."""
    size = upload.size or 0
    limit = int(settings.WRAPAROUND_MAX_UPLOAD_MB)
    if size == 0:
        raise _refuse(gettext("The selected file is empty"))
    if size > max_upload_bytes():
        raise _refuse(
            gettext("The selected file must be smaller than %(limit)sMB") % {"limit": limit}
        )
    upload.seek(0)
    kind = detect_type(upload.read(16))
    upload.seek(0)
    if kind is None:
        raise _refuse(gettext("The selected file must be a PDF, PNG or JPEG"))
    if settings.CLAMD_SOCKET:
        try:
            signature = clamd_scan(
                upload.chunks(), socket_path=settings.CLAMD_SOCKET, timeout=settings.CLAMD_TIMEOUT
            )
        except ScannerUnavailable as exc:
            raise _refuse(
                gettext(
                    "The file could not be checked for viruses and was not uploaded. "
                    "Try again later"
                )
            ) from exc
        finally:
            upload.seek(0)
        if signature is not None:
            raise _refuse(
                gettext("The selected file contains a virus (%(name)s) and was not uploaded")
                % {"name": signature}
            )
    return kind


# The extensions a file of each detected type may be called by.
EXTENSIONS = {"application/pdf": {".pdf"}, "image/png": {".png"}, "image/jpeg": {".jpg", ".jpeg"}}


def check_upload_named(upload: UploadedFile) -> FileType:
    """As ``check_upload``, and the file's name must say what it is: "payslip.pdf" that is
    really a JPEG is refused (a renamed file is often a mistake, sometimes worse)."""
    kind = check_upload(upload)
    extension = os.path.splitext(upload.name or "")[1].lower()
    if extension not in EXTENSIONS[kind.content_type]:
        raise _refuse(
            gettext("The file is called %(name)s but it is a %(kind)s. Rename it or choose another")
            % {"name": clean_upload_name(upload.name or ""), "kind": kind.label}
        )
    return kind


def store_upload(record: Any, field: str, upload: UploadedFile, kind: FileType, audit: Any) -> None:
    """Save a checked upload (encrypted by the field's storage) with its record and the
    audit event in one transaction; the stored file is removed again if any of it fails."""
    stored = getattr(record, field)
    stored.save(f"{uuid.uuid4().hex}{kind.extension}", upload, save=False)
    try:
        with transaction.atomic():
            record.save()
            audit()
    except BaseException:
        stored.storage.delete(stored.name)
        raise


def consent_evidence_attach(
    *, actor: Actor, consent: Consent, upload: UploadedFile
) -> ConsentEvidence:
    """Keep a signed consent form with its consent, once it has passed every check."""
    membership = actor.require_membership()
    if not decide(actor=actor, person=consent.person, action=Action.EDIT):
        raise PermissionDenied("Only organisations working with the person can add documents")
    kind = check_upload(upload)
    evidence = ConsentEvidence(
        consent=consent,
        original_name=clean_upload_name(upload.name or ""),
        content_type=kind.content_type,
        size=upload.size or 0,
        uploaded_by=membership.user,
        uploaded_by_organisation=membership.organisation,
    )
    store_upload(
        evidence,
        "file",
        upload,
        kind,
        lambda: audit_record(
            actor=actor,
            action="consent.evidence_attach",
            person_id=consent.person_id,
            target=evidence,
            summary=f"Signed form ({kind.label}, {evidence.size:,} bytes) added to "
            f"consent #{consent.pk}",
            categories=[DataCategory.DOCUMENTS],
        ),
    )
    return evidence
