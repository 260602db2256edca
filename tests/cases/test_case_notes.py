"""Case notes: written by the lead organisation's caseworkers, encrypted at rest, each shared
as its category allows; withheld notes are counted with the reason, never shown."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.conftest import Personas
from tests.consent import make_consent
from wraparound.audit.models import AuditEvent
from wraparound.cases.models import Case, CaseNote, CaseStatus
from wraparound.cases.selectors import case_notes
from wraparound.cases.services import case_note_add
from wraparound.consent.categories import DataCategory
from wraparound.people.models import Person

pytestmark = pytest.mark.django_db

MENTAL = "Low mood since the eviction notice; GP appointment booked"


@pytest.fixture
def person(personas: Personas) -> Person:
    return f.PersonFactory(
        network=personas.network,
        registered_by=personas.one_stop,
        given_name="Dafydd",
        family_name="Rees",
    )


@pytest.fixture
def case(personas: Personas, person: Person) -> Case:
    return f.CaseFactory(
        person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker
    )


def add(personas: Personas, case: Case, text: str, category: str = DataCategory.CASE_NOTES):  # type: ignore[no-untyped-def]
    return case_note_add(
        actor=personas.actor(personas.keyworker), case=case, text=text, category=category
    )


def raw_text(note: CaseNote) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM cases_casenote WHERE id = %s", [note.pk])
        return cursor.fetchone()[0]


# --- Writing -----------------------------------------------------------------------------


def test_a_note_is_kept_encrypted_and_audited_with_its_category(personas, case):
    note = add(personas, case, f"  {MENTAL}\n", DataCategory.MENTAL_HEALTH)
    assert note.text == MENTAL
    assert note.author == personas.keyworker
    assert note.author_organisation == personas.one_stop
    stored = raw_text(note)
    assert "eviction" not in stored and stored.startswith("gAAAAA")
    assert CaseNote.objects.get(pk=note.pk).text == MENTAL
    event = AuditEvent.objects.get(action="case_note.add")
    assert event.categories == [DataCategory.MENTAL_HEALTH]
    assert event.person_id == case.person_id
    assert "eviction" not in event.summary  # the audit trail never holds the note itself
    case.refresh_from_db()
    assert case.last_activity_at == note.created_at


def test_bad_notes_are_refused(personas, case):
    with pytest.raises(ValidationError) as empty:
        add(personas, case, "   ")
    assert empty.value.message_dict == {"text": ["Enter the note"]}
    with pytest.raises(ValidationError) as category:
        add(personas, case, "x", DataCategory.IDENTITY)
    assert "category" in category.value.message_dict
    with pytest.raises(ValidationError) as long:
        add(personas, case, "x" * 10_001)
    assert long.value.message_dict["text"] == ["The note must be 10,000 characters or fewer"]
    Case.objects.filter(pk=case.pk).update(
        status=CaseStatus.CLOSED, closed_on=case.opened_on, closure_reason="goals_met"
    )
    case.refresh_from_db()
    with pytest.raises(ValidationError, match="Reopen the case"):
        add(personas, case, "After closing")
    assert not CaseNote.objects.exists()


@pytest.mark.parametrize("who", ["partner", "netadmin", "privacy"])
def test_only_the_lead_organisations_caseworkers_write_notes(personas, case, who):
    user = getattr(personas, who)
    with pytest.raises(PermissionDenied):
        case_note_add(actor=personas.actor(user), case=case, text="x")


def test_a_manager_of_the_lead_organisation_may(personas, case):
    case_note_add(actor=personas.actor(personas.manager), case=case, text="Supervision note")
    assert CaseNote.objects.count() == 1


# --- Reading -----------------------------------------------------------------------------


def test_the_lead_organisation_reads_every_note(personas, case):
    add(personas, case, "Visited at home")
    add(personas, case, MENTAL, DataCategory.MENTAL_HEALTH)
    notes = case_notes(actor=personas.actor(personas.manager), case=case)
    assert [n.text for n in notes.page] == [MENTAL, "Visited at home"]
    assert notes.withheld == []


def test_a_partner_sees_only_the_categories_consented(personas, case, person):
    add(personas, case, "Visited at home")
    add(personas, case, MENTAL, DataCategory.MENTAL_HEALTH)
    add(personas, case, "Second mental health note", DataCategory.MENTAL_HEALTH)
    add(personas, case, "Court date in May", DataCategory.LEGAL)
    make_consent(
        person,
        organisation=personas.partner_org,
        categories=[DataCategory.PLANS_REFERRALS, DataCategory.CASE_NOTES],
    )
    partner = personas.actor(personas.partner)
    notes = case_notes(actor=partner, case=case)
    assert [n.text for n in notes.page] == ["Visited at home"]
    assert notes.withheld == [
        "1 note withheld: no consent for legal and justice",
        "2 notes withheld: no consent for mental health",
    ]
    event = AuditEvent.objects.get(action="case_notes.view")
    assert event.categories == [DataCategory.CASE_NOTES]
    assert event.changes == {"withheld": [DataCategory.LEGAL, DataCategory.MENTAL_HEALTH]}

    make_consent(person, organisation=personas.partner_org, categories=[DataCategory.MENTAL_HEALTH])
    notes = case_notes(actor=personas.actor(personas.partner), case=case)
    assert len(notes.page) == 3
    assert notes.withheld == ["1 note withheld: no consent for legal and justice"]


def test_withheld_notes_are_never_decrypted(personas, case, person, monkeypatch):
    add(personas, case, "Visited at home")
    add(personas, case, MENTAL, DataCategory.MENTAL_HEALTH)
    make_consent(person, organisation=personas.partner_org, categories=[DataCategory.CASE_NOTES])
    from wraparound.core import crypto

    opened: list[str] = []
    real = crypto.decrypt_str

    def spy(token: str) -> str:
        opened.append(real(token))
        return opened[-1]

    monkeypatch.setattr(crypto, "decrypt_str", spy)
    case_notes(actor=personas.actor(personas.partner), case=case)
    assert opened == ["Visited at home"]


def test_notes_are_paginated(personas, case):
    for n in range(5):
        add(personas, case, f"Note {n}")
    actor = personas.actor(personas.keyworker)
    first = case_notes(actor=actor, case=case, per_page=2)
    assert [n.text for n in first.page] == ["Note 4", "Note 3"]
    assert first.page.paginator.num_pages == 3
    last = case_notes(actor=actor, case=case, page="3", per_page=2)
    assert [n.text for n in last.page] == ["Note 0"]


# --- The case page -----------------------------------------------------------------------


def test_add_a_note_on_the_case_page(personas, keyworker_client, case):
    page = keyworker_client.get(f"/cases/{case.pk}/").content.decode()
    assert "Case notes" in page and "No notes yet." in page and "Add a note" in page
    response = keyworker_client.post(
        f"/cases/{case.pk}/notes", {"text": MENTAL, "category": DataCategory.MENTAL_HEALTH}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/#notes"
    page = keyworker_client.get(f"/cases/{case.pk}/").content.decode()
    assert MENTAL in page and "Mental health" in page and "Note added" in page


def test_the_form_says_what_is_wrong(personas, keyworker_client, case):
    response = keyworker_client.post(f"/cases/{case.pk}/notes", {"text": " ", "category": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "<title>Error: Case" in page
    assert 'href="#id_text"' in page and "Enter the note" in page
    assert "Choose what the note is about" in page
    assert not CaseNote.objects.exists()


def test_the_partner_sees_the_withheld_line_and_no_form(personas, case, person):
    add(personas, case, MENTAL, DataCategory.MENTAL_HEALTH)
    make_consent(
        person, organisation=personas.partner_org, categories=[DataCategory.PLANS_REFERRALS]
    )
    client = personas.client(personas.partner)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "1 note withheld: no consent for mental health" in page
    assert MENTAL not in page and "Add a note" not in page
    assert client.post(f"/cases/{case.pk}/notes", {"text": "x"}).status_code == 404
    assert not CaseNote.objects.filter(text__isnull=True).exists()
    assert CaseNote.objects.count() == 1


def test_the_case_page_query_count_does_not_grow_with_notes(personas, keyworker_client, case):
    add(personas, case, "First")

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert keyworker_client.get(f"/cases/{case.pk}/").status_code == 200
        return len(context)

    one = queries()
    for n in range(10):
        add(personas, case, f"Note {n}", DataCategory.HEALTH if n % 2 else DataCategory.CASE_NOTES)
    assert queries() == one
