"""Encryption at rest: keys from the environment, encrypted text fields, encrypted document
storage, and `wraparound rotate_keys`."""

from __future__ import annotations

import os
import stat
from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from tests import factories as f
from tests.conftest import Personas
from tests.consent import make_break_glass, make_consent, make_legal_basis
from tests.core.test_config import settings_error
from wraparound import config
from wraparound.cases.models import Case, CaseNote
from wraparound.consent.categories import DataCategory
from wraparound.consent.models import BreakGlass, Consent, ConsentEvidence, LegalBasis
from wraparound.core import crypto

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
SECRET = "Disclosed a relapse; sleeping at a friend's"


def raw(model: type, pk: int, column: str) -> str:
    """The value as the database holds it, bypassing the field."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote(column)} FROM {quote(model._meta.db_table)} WHERE id = %s",  # noqa: S608
            [pk],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def documents(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    settings.WRAPAROUND_DOCUMENTS_DIR = tmp_path / "documents"
    return settings.WRAPAROUND_DOCUMENTS_DIR


# --- Keys -----------------------------------------------------------------------------------


def test_production_requires_encryption_keys(tmp_path: Path) -> None:
    message = settings_error({"SECRET_KEY": "k" * 40, "ALLOWED_HOSTS": "example.org"}, tmp_path)
    assert "WRAPAROUND_ENCRYPTION_KEYS is not set" in message


def test_keys_are_checked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WRAPAROUND_ENCRYPTION_KEYS", f"{KEY_B}, {KEY_A}")
    assert config.encryption_keys(var_dir=tmp_path, allow_generated=False) == [KEY_B, KEY_A]
    monkeypatch.setenv("WRAPAROUND_ENCRYPTION_KEYS", f"{KEY_B},not-a-key")
    with pytest.raises(ImproperlyConfigured, match="key 2 is not a Fernet key"):
        config.encryption_keys(var_dir=tmp_path, allow_generated=False)


def test_keys_file_variant(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"{KEY_A}\n")
    monkeypatch.delenv("WRAPAROUND_ENCRYPTION_KEYS", raising=False)
    monkeypatch.setenv("WRAPAROUND_ENCRYPTION_KEYS_FILE", str(keys_file))
    assert config.encryption_keys(var_dir=tmp_path, allow_generated=False) == [KEY_A]


def test_demo_and_test_generate_a_key_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WRAPAROUND_ENCRYPTION_KEYS", raising=False)
    first = config.encryption_keys(var_dir=tmp_path, allow_generated=True)
    assert len(first) == 1
    Fernet(first[0])
    assert config.encryption_keys(var_dir=tmp_path, allow_generated=True) == first
    assert stat.S_IMODE((tmp_path / "encryption_keys").stat().st_mode) == 0o600


# --- Encrypted text -------------------------------------------------------------------------


@pytest.mark.django_db
def test_text_is_encrypted_in_the_database_and_plain_in_python(personas: Personas) -> None:
    case = f.CaseFactory(lead_organisation=personas.one_stop, closure_note=SECRET)
    stored = raw(Case, case.pk, "closure_note")
    assert stored.startswith("gAAAAA")  # a Fernet token
    assert SECRET not in stored and "relapse" not in stored
    assert Case.objects.get(pk=case.pk).closure_note == SECRET
    # Encryption is randomised: the same text never gives the same token twice.
    again = f.CaseFactory(lead_organisation=personas.one_stop, closure_note=SECRET)
    assert raw(Case, again.pk, "closure_note") != stored


@pytest.mark.django_db
def test_empty_text_stays_empty_and_only_that_can_be_filtered(personas: Personas) -> None:
    with_note = f.CaseFactory(lead_organisation=personas.one_stop, closure_note=SECRET)
    without = f.CaseFactory(lead_organisation=personas.one_stop)
    assert raw(Case, without.pk, "closure_note") == ""
    assert list(Case.objects.filter(closure_note="")) == [without]
    assert list(Case.objects.exclude(closure_note="")) == [with_note]
    with pytest.raises(FieldError, match="encrypted"):
        list(Case.objects.filter(closure_note=SECRET))
    with pytest.raises(FieldError, match="Unsupported lookup"):
        list(Case.objects.filter(closure_note__icontains="relapse"))


@pytest.mark.django_db
def test_a_value_no_key_can_open_is_a_clear_error(personas: Personas) -> None:
    with override_settings(WRAPAROUND_ENCRYPTION_KEYS=[KEY_A]):
        case = f.CaseFactory(lead_organisation=personas.one_stop, closure_note=SECRET)
    with (
        override_settings(WRAPAROUND_ENCRYPTION_KEYS=[KEY_B]),
        pytest.raises(crypto.DecryptionError, match="rotate_keys"),
    ):
        Case.objects.get(pk=case.pk)


# --- Encrypted documents --------------------------------------------------------------------


def test_documents_are_encrypted_on_disk(documents: Path) -> None:
    storage = crypto.document_storage()
    content = b"%PDF-1.7 signed by Sian Evans"
    name = storage.save("consent/form.pdf", ContentFile(content))
    on_disk = (documents / name).read_bytes()
    assert b"Sian" not in on_disk and on_disk.startswith(b"gAAAAA")
    assert stat.S_IMODE((documents / name).stat().st_mode) == 0o600
    assert stat.S_IMODE((documents / "consent").stat().st_mode) == 0o700
    with storage.open(name) as handle:
        assert handle.read() == content
    with pytest.raises(ValueError, match="no URL"):
        storage.url(name)
    with pytest.raises(ValueError, match="reading only"):
        storage.open(name, "wb")


# --- Rotation -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rotate_keys_moves_everything_to_the_newest_key(
    personas: Personas, documents: Path
) -> None:
    person = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    with override_settings(WRAPAROUND_ENCRYPTION_KEYS=[KEY_A]):
        case = f.CaseFactory(person=person, lead_organisation=personas.one_stop)
        case.closure_note = SECRET
        case.save()
        note = CaseNote.objects.create(
            case=case,
            author=personas.keyworker,
            author_organisation=personas.one_stop,
            category=DataCategory.MENTAL_HEALTH,
            text="Seen by the crisis team",
        )
        consent = make_consent(person, categories=[DataCategory.HEALTH])
        Consent.objects.filter(pk=consent.pk).update(evidence_note="Signed at the clinic")
        basis = make_legal_basis(
            person,
            organisation=personas.partner_org,
            categories=[DataCategory.SAFETY],
            recorded_by=personas.manager,
        )
        glass = make_break_glass(person, user=personas.partner, organisation=personas.partner_org)
        evidence = ConsentEvidence(
            consent=consent,
            original_name="form.pdf",
            content_type="application/pdf",
            size=9,
            uploaded_by=personas.keyworker,
            uploaded_by_organisation=personas.one_stop,
        )
        evidence.file.save("form.pdf", ContentFile(b"%PDF-1.7\n"), save=True)
    before = raw(Case, case.pk, "closure_note")
    document_before = (documents / evidence.file.name).read_bytes()

    out = StringIO()
    with override_settings(WRAPAROUND_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        call_command("rotate_keys", "--batch-size", "2", stdout=out)
    output = out.getvalue()
    assert "cases.Case.closure_note: 1 checked, 1 re-encrypted" in output
    assert "Done: 5 value(s) re-encrypted, 0 already under the newest key; 1 document(s)" in (
        output
    )
    assert raw(Case, case.pk, "closure_note") != before
    assert (documents / evidence.file.name).read_bytes() != document_before

    # The old key can go: the newest alone opens everything.
    with override_settings(WRAPAROUND_ENCRYPTION_KEYS=[KEY_B]):
        assert Case.objects.get(pk=case.pk).closure_note == SECRET
        assert CaseNote.objects.get(pk=note.pk).text == "Seen by the crisis team"
        assert Consent.objects.get(pk=consent.pk).evidence_note == "Signed at the clinic"
        assert LegalBasis.objects.get(pk=basis.pk).reason == basis.reason
        refreshed = BreakGlass.objects.get(pk=glass.pk)
        assert refreshed.justification == glass.justification
        with ConsentEvidence.objects.get(pk=evidence.pk).file.open("rb") as handle:
            assert handle.read() == b"%PDF-1.7\n"
    # ... and the old one alone opens nothing.
    with (
        override_settings(WRAPAROUND_ENCRYPTION_KEYS=[KEY_A]),
        pytest.raises(crypto.DecryptionError),
    ):
        Case.objects.get(pk=case.pk)

    # Running it again changes nothing.
    out = StringIO()
    with override_settings(WRAPAROUND_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        call_command("rotate_keys", stdout=out)
    assert "Done: 0 value(s) re-encrypted, 5 already under the newest key; 0 document(s) " in (
        out.getvalue()
    )


@pytest.mark.django_db
def test_rotate_keys_reports_missing_documents(personas: Personas, documents: Path) -> None:
    person = f.PersonFactory(network=personas.network)
    consent = make_consent(person, categories=[DataCategory.HEALTH])
    evidence = ConsentEvidence(
        consent=consent,
        original_name="form.png",
        content_type="image/png",
        size=8,
        uploaded_by=personas.keyworker,
        uploaded_by_organisation=personas.one_stop,
    )
    evidence.file.save("form.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    os.remove(documents / evidence.file.name)
    out = StringIO()
    call_command("rotate_keys", stdout=out)
    assert "1 document(s) recorded in the database are missing" in out.getvalue()


def test_every_sensitive_free_text_field_is_encrypted() -> None:
    fields = {(m._meta.label, fld.name) for m, fld in crypto.encrypted_columns()}
    assert {
        ("cases.Case", "closure_note"),
        ("cases.CaseNote", "text"),
        ("consent.Consent", "evidence_note"),
        ("consent.LegalBasis", "reason"),
        ("consent.BreakGlass", "justification"),
        ("consent.BreakGlass", "review_note"),
    } <= fields
    assert sorted((m._meta.label, fld.name) for m, fld in crypto.encrypted_file_fields()) == [
        ("consent.ConsentEvidence", "file"),
        ("documents.Document", "file"),
        ("referrals.ReferralAttachment", "file"),
    ]
    assert {
        ("referrals.Referral", "reason"),
        ("referrals.Referral", "notes"),
        ("referrals.Referral", "status_reason"),
        ("referrals.Referral", "outcome"),
        ("referrals.ReferralTransition", "reason"),
        ("messaging.Message", "body"),
        ("messaging.Thread", "subject"),
        ("applications.Application", "answers"),
        ("applications.ApplicationDraft", "answers"),
        ("portal.LinkRequest", "given_name"),
    } <= fields
