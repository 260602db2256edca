"""Signed consent forms: checked by content and size, scanned for viruses when clamd is
configured, encrypted at rest, and only ever downloaded, by those allowed."""

from __future__ import annotations

import shutil
import socket
import struct
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests import factories as f
from tests.conftest import Personas
from tests.consent import make_consent
from wraparound.audit.models import AuditEvent
from wraparound.consent.categories import DataCategory
from wraparound.consent.evidence import (
    ScannerUnavailable,
    clamd_scan,
    consent_evidence_attach,
    detect_type,
)
from wraparound.consent.models import Consent, ConsentEvidence
from wraparound.people.models import Person

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\nSigned: Dafydd Rees\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@pytest.fixture(autouse=True)
def documents(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    settings.WRAPAROUND_DOCUMENTS_DIR = tmp_path / "documents"
    settings.CLAMD_SOCKET = ""
    return settings.WRAPAROUND_DOCUMENTS_DIR


@pytest.fixture
def person(personas: Personas) -> Person:
    return f.PersonFactory(network=personas.network, registered_by=personas.one_stop)


@pytest.fixture
def consent(person: Person, personas: Personas) -> Consent:
    return make_consent(person, organisation=personas.partner_org, categories=["health"])


def upload(content: bytes, name: str = "form.pdf", content_type: str = "application/pdf"):  # type: ignore[no-untyped-def]
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- The checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"), (b"GIF89a", None)],
)
def test_type_is_told_by_content(content: bytes, expected: str | None) -> None:
    kind = detect_type(content[:16])
    assert (kind.content_type if kind else None) == expected


@pytest.mark.django_db
def test_a_pdf_is_kept_encrypted_and_audited(personas, consent, documents):
    actor = personas.actor(personas.keyworker)
    evidence = consent_evidence_attach(
        actor=actor, consent=consent, upload=upload(PDF, "../../Dafydd's form.pdf")
    )
    assert evidence.original_name == "Dafydd's form.pdf"
    assert evidence.content_type == "application/pdf"
    assert evidence.size == len(PDF)
    assert evidence.uploaded_by == personas.keyworker
    stored = documents / evidence.file.name
    assert evidence.file.name.startswith("consent/") and evidence.file.name.endswith(".pdf")
    assert "Dafydd" not in evidence.file.name  # stored under a random name
    assert b"Dafydd" not in stored.read_bytes()
    with evidence.file.open("rb") as handle:
        assert handle.read() == PDF
    event = AuditEvent.objects.get(action="consent.evidence_attach")
    assert event.categories == [DataCategory.DOCUMENTS]
    assert event.person_id == consent.person_id


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "name", "browser_type"),
    [
        (b"<html><script>alert(1)</script>", "form.pdf", "application/pdf"),  # lies twice
        (b"GIF89a" + b"\x00" * 20, "form.png", "image/png"),
        (b"MZ\x90\x00 a Windows program", "form.jpg", "image/jpeg"),
    ],
)
def test_anything_else_is_refused_whatever_its_name(personas, consent, content, name, browser_type):
    with pytest.raises(ValidationError) as refused:
        consent_evidence_attach(
            actor=personas.actor(personas.keyworker),
            consent=consent,
            upload=upload(content, name, browser_type),
        )
    assert refused.value.message_dict == {"file": ["The selected file must be a PDF, PNG or JPEG"]}
    assert not ConsentEvidence.objects.exists()


@pytest.mark.django_db
def test_size_is_capped(personas, consent, settings):
    settings.WRAPAROUND_MAX_UPLOAD_MB = 1
    actor = personas.actor(personas.keyworker)
    too_big = PDF + b"0" * (1024 * 1024)
    with pytest.raises(ValidationError, match="smaller than 1MB"):
        consent_evidence_attach(actor=actor, consent=consent, upload=upload(too_big))
    with pytest.raises(ValidationError, match="empty"):
        consent_evidence_attach(actor=actor, consent=consent, upload=upload(b""))
    consent_evidence_attach(actor=actor, consent=consent, upload=upload(PDF + b"0" * 1000))
    assert ConsentEvidence.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["outsider", "partner", "netadmin", "privacy"])
def test_only_workers_who_may_change_the_record_upload(personas, consent, who):
    with pytest.raises(PermissionDenied):
        consent_evidence_attach(
            actor=personas.actor(getattr(personas, who)), consent=consent, upload=upload(PDF)
        )


# --- Antivirus: clamd's INSTREAM protocol, against a fake clamd -----------------------------


class FakeClamd:
    """A clamd on a unix socket that speaks INSTREAM, records what it was sent and says
    FOUND when the stream holds the EICAR test string."""

    def __init__(self, path: str, *, reply: bytes | None = None) -> None:
        self.path = path
        self.reply = reply
        self.commands: list[bytes] = []
        self.chunks: list[bytes] = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(5)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read(self, conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            part = conn.recv(size - len(data))
            if not part:
                raise ConnectionError("closed")
            data += part
        return data

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                command = b""
                while not command.endswith(b"\0"):
                    command += self._read(conn, 1)
                self.commands.append(command)
                stream = b""
                while True:
                    (length,) = struct.unpack("!I", self._read(conn, 4))
                    if length == 0:
                        break
                    chunk = self._read(conn, length)
                    self.chunks.append(chunk)
                    stream += chunk
                if self.reply is not None:
                    conn.sendall(self.reply)
                elif EICAR in stream:
                    conn.sendall(b"stream: Eicar-Test-Signature FOUND\0")
                else:
                    conn.sendall(b"stream: OK\0")

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def socket_dir() -> Iterator[str]:
    # Unix socket paths are limited to about 100 characters: pytest's tmp_path can be longer.
    path = tempfile.mkdtemp(prefix="clamd", dir="/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def clamd(socket_dir: str, settings) -> Iterator[FakeClamd]:  # type: ignore[no-untyped-def]
    fake = FakeClamd(f"{socket_dir}/clamd.sock")
    settings.CLAMD_SOCKET = fake.path
    yield fake
    fake.close()


def test_the_instream_protocol(clamd: FakeClamd) -> None:
    data = bytes(range(256)) * 600  # 150 KiB: sent as several length-prefixed chunks
    assert clamd_scan([data[:1000], data[1000:]], socket_path=clamd.path) is None
    assert clamd.commands == [b"zINSTREAM\0"]
    assert b"".join(clamd.chunks) == data
    assert max(len(c) for c in clamd.chunks) == 64 * 1024
    assert clamd_scan([b"%PDF-1.7 ", EICAR], socket_path=clamd.path) == "Eicar-Test-Signature"


def test_a_scanner_that_is_not_there_or_errs_is_unavailable(socket_dir: str) -> None:
    with pytest.raises(ScannerUnavailable, match="did not answer"):
        clamd_scan([b"x"], socket_path=f"{socket_dir}/nobody.sock", timeout=1)
    fake = FakeClamd(f"{socket_dir}/err.sock", reply=b"INSTREAM size limit exceeded. ERROR\0")
    try:
        with pytest.raises(ScannerUnavailable, match="size limit"):
            clamd_scan([b"x"], socket_path=fake.path)
    finally:
        fake.close()


@pytest.mark.django_db
def test_an_infected_upload_is_refused(personas, consent, clamd):
    actor = personas.actor(personas.keyworker)
    with pytest.raises(ValidationError) as refused:
        consent_evidence_attach(actor=actor, consent=consent, upload=upload(PDF + EICAR))
    assert refused.value.message_dict["file"] == [
        "The selected file contains a virus (Eicar-Test-Signature) and was not uploaded"
    ]
    assert not ConsentEvidence.objects.exists()
    evidence = consent_evidence_attach(actor=actor, consent=consent, upload=upload(PDF))
    assert b"".join(clamd.chunks[-1:]) == PDF
    with evidence.file.open("rb") as handle:
        assert handle.read() == PDF  # scanning did not eat the upload


@pytest.mark.django_db
def test_uploads_wait_when_the_scanner_is_down(personas, consent, settings, socket_dir):
    settings.CLAMD_SOCKET = f"{socket_dir}/down.sock"
    with pytest.raises(ValidationError, match="could not be checked for viruses"):
        consent_evidence_attach(
            actor=personas.actor(personas.keyworker), consent=consent, upload=upload(PDF)
        )


# --- The pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_upload_page_and_download(personas, consent, keyworker_client):
    url = f"/consent/evidence/{consent.pk}/"
    page = keyworker_client.get(url).content.decode()
    assert "Signed consent forms" in page and "No signed form has been uploaded" in page
    assert 'enctype="multipart/form-data"' in page

    response = keyworker_client.post(url, {"file": upload(PDF, "signed.pdf")})
    assert response.status_code == 302 and response["Location"] == url
    evidence = ConsentEvidence.objects.get()
    page = keyworker_client.get(url).content.decode()
    assert "signed.pdf" in page and "Signed consent form uploaded" in page

    response = keyworker_client.get(f"/consent/evidence/document/{evidence.pk}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="signed.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="consent.evidence_download").count() == 1


@pytest.mark.django_db
def test_a_refused_upload_says_why(personas, consent, keyworker_client):
    url = f"/consent/evidence/{consent.pk}/"
    response = keyworker_client.post(url, {"file": upload(b"GIF89a....", "form.pdf")})
    assert response.status_code == 400
    page = response.content.decode()
    assert "<title>Error: Signed consent forms" in page
    assert "The selected file must be a PDF, PNG or JPEG" in page
    response = keyworker_client.post(url, {})
    assert "Select the signed consent form" in response.content.decode()


@pytest.mark.django_db
def test_who_may_download(personas, consent):
    evidence = consent_evidence_attach(
        actor=personas.actor(personas.keyworker), consent=consent, upload=upload(PNG, "f.png")
    )
    url = f"/consent/evidence/document/{evidence.pk}"
    # A worker who may change the record, and the network's privacy officer.
    assert personas.client(personas.manager).get(url).status_code == 200
    privacy = personas.client(personas.privacy)
    assert privacy.get(url)["Content-Disposition"].startswith("attachment")
    # The privacy officer sees the list but cannot upload.
    page = privacy.get(f"/consent/evidence/{consent.pk}/").content.decode()
    assert "f.png" in page and "Upload a signed form" not in page
    assert (
        privacy.post(f"/consent/evidence/{consent.pk}/", {"file": upload(PDF)}).status_code == 403
    )
    # The consent's recipient reads what was shared, not the form; others see nothing.
    for who in ("partner", "outsider", "netadmin"):
        client = personas.client(getattr(personas, who))
        assert client.get(url).status_code == 404, who
        assert client.get(f"/consent/evidence/{consent.pk}/").status_code == 404, who
    assert Client().get(url).status_code == 302  # sign in first
