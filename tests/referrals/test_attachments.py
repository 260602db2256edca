"""Documents sent with a referral: checked by content, either side adds and downloads,
always as a download, never for an unrelated organisation."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.referrals.factories import consent_to, housing_service, refer
from wraparound.audit.models import AuditEvent
from wraparound.referrals.models import ReferralAttachment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_add_and_download_by_either_side_only(personas, person, case):
    consent_to(personas, person, personas.partner_org)
    referral = refer(personas, person, housing_service(personas))
    keyworker = personas.client(personas.keyworker)
    keyworker.post(
        reverse("referrals:attach", args=[referral.pk]),
        {"file": SimpleUploadedFile("tenancy.pdf", PDF, content_type="application/pdf")},
    )
    document = ReferralAttachment.objects.get()
    assert document.content_type == "application/pdf" and document.original_name == "tenancy.pdf"
    url = reverse("referrals:attachment", args=[document.pk])
    response = personas.client(personas.partner).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="referral.attachment_download").exists()
    assert personas.client(personas.outsider).get(url).status_code == 404


def test_content_not_matching_a_document_type_is_refused(personas, person, case):
    consent_to(personas, person, personas.partner_org)
    referral = refer(personas, person, housing_service(personas))
    page = personas.client(personas.keyworker).post(
        reverse("referrals:attach", args=[referral.pk]),
        {
            "file": SimpleUploadedFile(
                "invoice.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
            )
        },
        follow=True,
    )
    assert "must be a PDF, PNG or JPEG" in page.content.decode()
    assert not ReferralAttachment.objects.exists()
    empty = personas.client(personas.keyworker).post(
        reverse("referrals:attach", args=[referral.pk]), {}, follow=True
    )
    assert "Select a file" in empty.content.decode()
