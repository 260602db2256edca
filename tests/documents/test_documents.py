"""Proofs sent in the portal: checked by content and by name, size-capped, scanned when a
scanner is configured, encrypted at rest, downloaded only as attachments."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.portal.factories import citizen_client
from wraparound.accounts.actor import actor_for_user
from wraparound.applications import services as apply
from wraparound.documents import services
from wraparound.documents.models import Document, DocumentRequest
from wraparound.eligibility.selectors import service_ref
from wraparound.portal.services import portal_actor

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def application(setup, account):
    draft = apply.draft_start(
        account=account,
        person=account.person,
        refs=[service_ref(setup.youth.pk)],
        prefill={
            "contact": {
                "given_name": "Rhys",
                "family_name": "Morgan",
                "date_of_birth": "1990-01-01",
            }
        },
    )
    return apply.application_submit(
        actor=portal_actor(account=account, person=account.person), draft=draft
    )[0]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _post(client, name, content, **extra):  # type: ignore[no-untyped-def]
    data = {"kind": "income", "file": SimpleUploadedFile(name, content), **extra}
    return client.post(reverse("portal_documents:list") + extra.pop("query", ""), data)


def test_upload_is_encrypted_and_downloads_as_an_attachment(account, application, tmp_path):
    client = citizen_client(account)
    response = _post(client, "payslip.pdf", PDF, application=str(application.pk))
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.application == application and document.content_type == "application/pdf"
    with open(document.file.path, "rb") as stored:
        raw = stored.read()
    assert PDF not in raw  # encrypted at rest
    download = client.get(reverse("portal_documents:download", args=[document.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "The selected file is empty"),
        ("notes.txt", b"hello there", "must be a PDF, PNG or JPEG"),
        ("payslip.pdf", PNG, "is called payslip.pdf but it is a PNG"),
    ],
)
def test_bad_files_are_refused_with_the_reason(account, application, name, content, message):
    response = _post(citizen_client(account), name, content)
    assert message in response.content.decode()
    assert not Document.objects.exists()


def test_too_big(account, application, settings):
    settings.WRAPAROUND_MAX_UPLOAD_MB = 1
    response = _post(citizen_client(account), "big.pdf", PDF + b"0" * (1024 * 1024 + 1))
    assert "must be smaller than 1MB" in response.content.decode()


def test_the_virus_scan_hook(account, application, settings, monkeypatch):
    settings.CLAMD_SOCKET = "/run/clamd.sock"
    monkeypatch.setattr(
        "wraparound.consent.evidence.clamd_scan", lambda *a, **k: "Eicar-Test-Signature"
    )
    response = _post(citizen_client(account), "scan.pdf", PDF)
    assert "contains a virus (Eicar-Test-Signature)" in response.content.decode()
    assert not Document.objects.exists()


def test_an_agency_asks_and_the_person_sees_and_answers(setup, account, application):
    worker = actor_for_user(setup.personas.partner, via="web")
    asked = services.document_request(
        actor=worker, application=application, kind="address", note="A recent bill"
    )
    client = citizen_client(account)
    page = client.get(reverse("portal_documents:list")).content.decode()
    assert "A recent bill" in page
    nav = client.get(reverse("portal:dashboard")).content.decode()
    assert "wa-portal-count" in nav
    _post(client, "bill.png", PNG, query=f"?request={asked.pk}")
    asked.refresh_from_db()
    assert asked.fulfilled_at is not None
    assert Document.objects.get().request == asked


def test_staff_of_another_organisation_cannot_download(setup, account, application):
    client = citizen_client(account)
    _post(client, "payslip.pdf", PDF, application=str(application.pk))
    document = Document.objects.get()
    outsider = setup.personas.client(setup.personas.keyworker)
    assert outsider.get(reverse("documents:download", args=[document.pk])).status_code == 404
    insider = setup.personas.client(setup.personas.partner)
    response = insider.get(reverse("documents:download", args=[document.pk]))
    assert response["Content-Disposition"].startswith("attachment")


def test_staff_ask_from_the_application_page(setup, account, application):
    insider = setup.personas.client(setup.personas.partner)
    insider.post(reverse("documents:ask", args=[application.pk]), {"kind": "identity", "note": ""})
    assert DocumentRequest.objects.get().kind == "identity"


def test_the_services_required_documents_are_listed(setup, account, application):
    from wraparound.directory.models import RequiredDocument

    RequiredDocument.objects.create(
        service=setup.youth, document="Proof of age, such as a passport"
    )
    page = citizen_client(account).get(reverse("portal_applications:detail", args=[application.pk]))
    assert "Proof of age, such as a passport" in page.content.decode()
