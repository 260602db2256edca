"""The trust layer's staff pages: sharing and consent on the record, recording and withdrawing
consent, legal bases, who has seen the record (and its CSV), emergency access and its review."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tests import factories as f
from tests.consent import DAY, make_break_glass, make_consent, make_legal_basis
from wraparound.audit.models import AuditEvent
from wraparound.consent.models import BreakGlass, Consent, LegalBasis, Review

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(personas):
    """Someone the one-stop registered and leads a case for, with the key worker."""
    person = f.PersonFactory(
        network=personas.network, registered_by=personas.one_stop, given_name="Siân"
    )
    f.CaseFactory(person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker)
    return person


def consent_form(personas, **overrides):
    today = timezone.localdate()
    data = {
        "recipient_kind": "organisation",
        "recipient_organisation": str(personas.partner_org.pk),
        "recipient_sector": "",
        "purpose": "care_coordination",
        "purpose_detail": "",
        "categories": ["identity", "household"],
        "sensitive_categories": ["mental_health"],
        "valid_from_0": str(today.day),
        "valid_from_1": str(today.month),
        "valid_from_2": str(today.year),
        "valid_until_0": "",
        "valid_until_1": "",
        "valid_until_2": "",
        "evidence": "verbal",
        "evidence_note": "Agreed at the drop-in",
    }
    data.update(overrides)
    return data


def date_parts(name, day: dt.date):
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def html(response) -> str:
    return response.content.decode()


# --- the record page's section ----------------------------------------------------------


def test_record_lists_consents_and_legal_bases_for_the_organisations_working_with_them(
    personas, person
):
    make_consent(person, organisation=personas.partner_org, categories=["identity", "health"])
    make_consent(person, sector="housing", categories=["household"], withdrawn=True)
    make_consent(
        person,
        categories=["identity"],
        valid_from=timezone.now() - 3 * DAY,
        valid_until=timezone.now() - DAY,
    )
    make_legal_basis(
        person,
        organisation=personas.outsider_org,
        categories=["legal"],
        recorded_by=personas.manager,
    )
    page = html(personas.client(personas.keyworker).get(f"/people/{person.pk}/"))
    assert 'id="sharing"' in page
    assert "Taff Housing Association" in page
    assert "Every housing organisation" in page
    assert ">Active</strong>" in page and ">Withdrawn</strong>" in page
    assert ">Expired</strong>" in page
    assert "<strong>Sensitive:</strong> Health" in page
    assert "Safeguarding (risk of harm): Valleys Law Clinic" in page
    assert f"/people/{person.pk}/consents/new" in page
    assert "Withdraw<span" in page  # only for the active one
    assert page.count("Withdraw<span") == 1
    assert f"/people/{person.pk}/access-log" in page
    assert f"/people/{person.pk}/address-withholding" in page
    # Only a manager records a legal basis.
    assert f"/people/{person.pk}/legal-bases/new" not in page
    manager_page = html(personas.client(personas.manager).get(f"/people/{person.pk}/"))
    assert f"/people/{person.pk}/legal-bases/new" in manager_page
    assert "/end" in manager_page


def test_someone_seeing_by_consent_sees_why_not_the_consents(personas, person):
    consent = make_consent(person, organisation=personas.partner_org, categories=["identity"])
    page = html(personas.client(personas.partner).get(f"/people/{person.pk}/"))
    assert f"You see this record because: consent #{consent.pk}" in page
    assert f"/people/{person.pk}/consents/new" not in page
    assert f"/people/{person.pk}/access-log" not in page


def test_a_privacy_officer_sees_the_consents_but_records_none(personas, person):
    make_consent(person, organisation=personas.partner_org, categories=["identity"])
    page = html(personas.client(personas.privacy).get(f"/people/{person.pk}/"))
    assert "Taff Housing Association" in page
    assert f"/people/{person.pk}/access-log" in page
    assert f"/people/{person.pk}/consents/new" not in page
    assert "Withdraw<span" not in page


# --- recording consent ------------------------------------------------------------------


def test_record_a_consent(personas, person):
    client = personas.client(personas.keyworker)
    assert client.get(f"/people/{person.pk}/consents/new").status_code == 200
    until = timezone.localdate() + dt.timedelta(days=30)
    response = client.post(
        f"/people/{person.pk}/consents/new",
        consent_form(personas, **date_parts("valid_until", until)),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/people/{person.pk}/#sharing"
    consent = Consent.objects.get()
    assert sorted(consent.category_codes) == ["household", "identity", "mental_health"]
    assert consent.recipient_organisation == personas.partner_org
    assert consent.recorded_by == personas.keyworker
    assert consent.evidence_note == "Agreed at the drop-in"
    # Whole days, local time: from the start of today to the end of the last day.
    start = timezone.localtime(consent.valid_from)
    end = timezone.localtime(consent.valid_until)
    assert (start.date(), start.time()) == (timezone.localdate(), dt.time.min)
    assert (end.date(), end.time()) == (until, dt.time.max)
    page = html(client.get(response["Location"]))
    assert "Consent recorded: shared with Taff Housing Association" in page
    # The partner now sees the person, and the mental health information named.
    assert personas.client(personas.partner).get(f"/people/{person.pk}/").status_code == 200


def test_a_signed_form_consent_goes_on_to_the_upload_page_when_there_is_one(personas, person):
    response = personas.client(personas.keyworker).post(
        f"/people/{person.pk}/consents/new", consent_form(personas, evidence="signed_form")
    )
    consent = Consent.objects.get()
    try:
        expected = reverse("consent_evidence:upload", args=[consent.pk])
    except NoReverseMatch:
        expected = f"/people/{person.pk}/#sharing"
    assert response["Location"] == expected


def test_consent_ending_before_it_starts_is_a_field_error_and_keeps_what_was_typed(
    personas, person
):
    today = timezone.localdate()
    response = personas.client(personas.keyworker).post(
        f"/people/{person.pk}/consents/new",
        consent_form(
            personas,
            **date_parts("valid_from", today + dt.timedelta(days=10)),
            **date_parts("valid_until", today + dt.timedelta(days=2)),
        ),
    )
    page = html(response)
    assert response.status_code == 200
    assert "<title>Error: Record consent" in page
    assert 'href="#id_valid_until_0"' in page
    assert "The end must be after the start" in page
    assert 'value="Agreed at the drop-in"' in page
    assert 'value="mental_health" checked' in page
    assert not Consent.objects.exists()


def test_an_unknown_category_in_a_crafted_post_is_refused(personas, person):
    response = personas.client(personas.keyworker).post(
        f"/people/{person.pk}/consents/new",
        consent_form(personas, sensitive_categories=["mental_health", "bank_pin"]),
    )
    assert response.status_code == 200
    assert "Unknown category: bank_pin" in html(response)
    assert not Consent.objects.exists()


def test_a_recipient_organisation_of_another_network_is_refused(personas, person):
    elsewhere = f.OrganisationFactory(network=f.NetworkFactory(), name="Faraway Trust")
    response = personas.client(personas.keyworker).post(
        f"/people/{person.pk}/consents/new",
        consent_form(personas, recipient_organisation=str(elsewhere.pk)),
    )
    page = html(response)
    assert response.status_code == 200
    assert 'href="#id_recipient_organisation"' in page
    assert "That organisation is not in this network" in page
    assert not Consent.objects.exists()


def test_service_rules_land_on_their_fields(personas, person):
    response = personas.client(personas.keyworker).post(
        f"/people/{person.pk}/consents/new",
        consent_form(
            personas,
            recipient_kind="sector",
            recipient_organisation="",
            recipient_sector="",
            purpose="referral",
            categories=[],
            sensitive_categories=["substance_use"],
        ),
    )
    page = html(response)
    assert 'href="#id_recipient_sector"' in page and "Choose the sector" in page
    assert 'href="#id_purpose_detail"' in page and "Say which referral" in page
    assert "Substance use can only be shared with one named organisation" in page
    assert not Consent.objects.exists()


def test_an_empty_consent_form_says_what_is_missing(personas, person):
    response = personas.client(personas.keyworker).post(f"/people/{person.pk}/consents/new", {})
    page = html(response)
    assert response.status_code == 200
    for message in (
        "Choose who the information may be shared with",
        "Choose what the information may be used for",
        "Enter the date the consent starts",
        "Say how the consent was given",
    ):
        assert message in page


def test_who_may_record_consent(personas, person):
    url = f"/people/{person.pk}/consents/new"
    # Sees the person (the one-stop registered them) but the role cannot change records.
    assert personas.client(personas.netadmin).get(url).status_code == 403
    assert personas.client(personas.privacy).get(url).status_code == 403
    # Cannot see the person at all: as if they did not exist.
    assert personas.client(personas.outsider).get(url).status_code == 404
    assert personas.client(personas.outsider).post(url, consent_form(personas)).status_code == 404
    assert personas.client(personas.keyworker).get("/people/999999/consents/new").status_code == 404
    assert not Consent.objects.exists()


# --- withdrawing consent ----------------------------------------------------------------


def test_withdrawal_takes_effect_on_the_next_request(personas, person):
    consent = make_consent(person, organisation=personas.partner_org, categories=["identity"])
    partner = personas.client(personas.partner)
    assert partner.get(f"/people/{person.pk}/").status_code == 200

    keyworker = personas.client(personas.keyworker)
    url = f"/people/{person.pk}/consents/{consent.pk}/withdraw"
    page = html(keyworker.get(url))
    assert "Withdraw consent" in page and "Taff Housing Association" in page
    response = keyworker.post(url, {"reason": "She asked us to stop sharing"})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawal.reason == "She asked us to stop sharing"
    assert consent.withdrawal.withdrawn_by == personas.keyworker

    assert partner.get(f"/people/{person.pk}/").status_code == 404
    record = html(keyworker.get(f"/people/{person.pk}/"))
    assert ">Withdrawn</strong>" in record and "She asked us to stop sharing" in record


def test_withdrawing_twice_is_an_error_not_a_crash(personas, person):
    consent = make_consent(person, organisation=personas.partner_org, categories=["identity"])
    client = personas.client(personas.keyworker)
    url = f"/people/{person.pk}/consents/{consent.pk}/withdraw"
    assert client.post(url, {"reason": ""}).status_code == 302
    response = client.post(url, {"reason": "again"})
    assert response.status_code == 200
    assert "This consent was already withdrawn" in html(response)


def test_withdraw_a_consent_through_another_persons_address_is_not_found(personas, person):
    other = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    consent = make_consent(other, organisation=personas.partner_org, categories=["identity"])
    client = personas.client(personas.keyworker)
    assert client.get(f"/people/{person.pk}/consents/{consent.pk}/withdraw").status_code == 404
    # The partner cannot withdraw what was given to it: it does not work with the person.
    mine = make_consent(person, organisation=personas.partner_org, categories=["identity"])
    response = personas.client(personas.partner).post(
        f"/people/{person.pk}/consents/{mine.pk}/withdraw", {"reason": ""}
    )
    assert response.status_code == 403
    assert not hasattr(Consent.objects.get(pk=mine.pk), "withdrawal")


# --- legal bases ------------------------------------------------------------------------


def legal_basis_form(personas, **overrides):
    data = {
        "kind": "safeguarding",
        "recipient_organisation": str(personas.outsider_org.pk),
        "categories": ["identity"],
        "sensitive_categories": ["legal", "safety"],
        "reason": "Police report a serious risk of harm from a former partner",
        **date_parts("valid_until", timezone.localdate() + dt.timedelta(days=30)),
    }
    data.update(overrides)
    return data


def test_a_manager_records_and_ends_a_legal_basis(personas, person):
    client = personas.client(personas.manager)
    assert client.get(f"/people/{person.pk}/legal-bases/new").status_code == 200
    response = client.post(f"/people/{person.pk}/legal-bases/new", legal_basis_form(personas))
    assert response.status_code == 302
    basis = LegalBasis.objects.get()
    assert basis.categories == ["identity", "legal", "safety"]
    assert basis.recorded_by == personas.manager
    assert timezone.localtime(basis.valid_until).time() == dt.time.max
    # The law clinic now sees the person.
    assert personas.client(personas.outsider).get(f"/people/{person.pk}/").status_code == 200

    response = client.post(f"/people/{person.pk}/legal-bases/{basis.pk}/end")
    assert response.status_code == 302
    basis.refresh_from_db()
    assert basis.ended_at is not None
    assert personas.client(personas.outsider).get(f"/people/{person.pk}/").status_code == 404


def test_a_legal_basis_may_last_to_the_ninetieth_day(personas, person):
    last_day = timezone.localdate() + dt.timedelta(days=90)
    response = personas.client(personas.manager).post(
        f"/people/{person.pk}/legal-bases/new",
        legal_basis_form(personas, **date_parts("valid_until", last_day)),
    )
    assert response.status_code == 302
    basis = LegalBasis.objects.get()
    assert timezone.localdate(basis.valid_until) == last_day
    assert basis.valid_until <= timezone.now() + dt.timedelta(days=90)


def test_a_key_worker_cannot_record_or_end_a_legal_basis(personas, person):
    client = personas.client(personas.keyworker)
    assert client.get(f"/people/{person.pk}/legal-bases/new").status_code == 403
    response = client.post(f"/people/{person.pk}/legal-bases/new", legal_basis_form(personas))
    assert response.status_code == 403
    assert not LegalBasis.objects.exists()
    basis = make_legal_basis(
        person,
        organisation=personas.outsider_org,
        categories=["legal"],
        recorded_by=personas.manager,
    )
    assert client.post(f"/people/{person.pk}/legal-bases/{basis.pk}/end").status_code == 403
    basis.refresh_from_db()
    assert basis.ended_at is None


def test_legal_basis_errors(personas, person):
    client = personas.client(personas.manager)
    response = client.post(
        f"/people/{person.pk}/legal-bases/new",
        legal_basis_form(
            personas,
            reason="Because",
            categories=[],
            sensitive_categories=[],
            **date_parts("valid_until", timezone.localdate() + dt.timedelta(days=200)),
        ),
    )
    page = html(response)
    assert response.status_code == 200
    assert "Explain the reason in at least 20 characters" in page
    assert "Choose what may be shared" in page
    assert "A legal basis lasts at most 90 days" in page
    assert not LegalBasis.objects.exists()
    # Ending a legal basis of someone else, through this person's address: not found.
    other = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    basis = make_legal_basis(
        other,
        organisation=personas.outsider_org,
        categories=["legal"],
        recorded_by=personas.manager,
    )
    assert client.post(f"/people/{person.pk}/legal-bases/{basis.pk}/end").status_code == 404
    assert client.get(f"/people/{person.pk}/legal-bases/{basis.pk}/end").status_code == 405


# --- who has seen this record -----------------------------------------------------------


def test_the_access_log_lists_reads_and_refusals(personas, person):
    make_consent(person, organisation=personas.partner_org, categories=["identity"])
    personas.client(personas.partner).get(f"/people/{person.pk}/")
    personas.client(personas.outsider).get(f"/people/{person.pk}/")  # refused: 404
    response = personas.client(personas.keyworker).get(f"/people/{person.pk}/access-log")
    page = html(response)
    assert response.status_code == 200
    assert "Who has seen this record" in page
    assert "Taff Housing Association" in page and "Practitioner" in page
    assert ">Refused</strong>" in page and "Valleys Law Clinic" in page
    assert "Withheld: " in page  # the partner saw the record with categories withheld
    assert f"/people/{person.pk}/access-log.csv" in page
    refused = html(
        personas.client(personas.keyworker).get(f"/people/{person.pk}/access-log?show=denied")
    )
    assert "Valleys Law Clinic" in refused and "Taff Housing Association" not in refused
    assert AuditEvent.objects.filter(action="access_log.view", person_id=person.pk).exists()


def test_who_may_see_the_access_log(personas, person):
    url = f"/people/{person.pk}/access-log"
    make_consent(person, organisation=personas.partner_org, categories=["identity"])
    assert personas.client(personas.partner).get(url).status_code == 403
    assert personas.client(personas.outsider).get(url).status_code == 404
    assert personas.client(personas.outsider).get(url + ".csv").status_code == 404
    # A privacy officer may see anyone's in the network, even someone the one-stop does not
    # work with.
    theirs = f.PersonFactory(network=personas.network, registered_by=personas.partner_org)
    assert (
        personas.client(personas.privacy).get(f"/people/{theirs.pk}/access-log").status_code == 200
    )
    elsewhere = f.PersonFactory(network=f.NetworkFactory())
    assert (
        personas.client(personas.privacy).get(f"/people/{elsewhere.pk}/access-log").status_code
        == 404
    )


def test_the_access_log_downloads_as_csv(personas, person):
    make_consent(person, organisation=personas.partner_org, categories=["identity"])
    personas.client(personas.partner).get(f"/people/{person.pk}/")
    response = personas.client(personas.keyworker).get(f"/people/{person.pk}/access-log.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        f'attachment; filename="access-log-{person.reference}.csv"'
    )
    assert response["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["time", "who", "organisation", "role"]
    partner_rows = [r for r in rows[1:] if r[2] == "Taff Housing Association"]
    assert partner_rows and partner_rows[0][3] == "Practitioner"
    assert partner_rows[0][10] == "allowed"
    assert AuditEvent.objects.filter(action="access_log.export", person_id=person.pk).exists()


def test_csv_cells_cannot_become_formulas(personas, person):
    evil = f.UserFactory(username="evil", display_name='=HYPERLINK("http://x")')
    f.MembershipFactory(user=evil, organisation=personas.one_stop, role="key_worker")
    personas.client(evil).get(f"/people/{person.pk}/")
    response = personas.client(personas.keyworker).get(f"/people/{person.pk}/access-log.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert any(r[1] == '\'=HYPERLINK("http://x")' for r in rows)


# --- emergency access -------------------------------------------------------------------


def test_emergency_access_opens_the_record_with_a_banner(personas, person):
    client = personas.client(personas.outsider)
    assert client.get(f"/people/{person.pk}/").status_code == 404
    page = html(client.get("/consent/emergency-access"))
    assert "Emergency access" in page and "for 60 minutes" in page
    response = client.post(
        "/consent/emergency-access",
        {
            "reference": person.reference.lower(),
            "reason": "risk_to_life",
            "justification": "Police at the door report an immediate risk to her life",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/people/{person.pk}/"
    access = BreakGlass.objects.get()
    assert access.user == personas.outsider and access.review == Review.PENDING
    record = html(client.get(f"/people/{person.pk}/"))
    assert "wa-break-glass" in record and f"break-glass #{access.pk}" in record


def test_emergency_access_by_identifier(personas, person):
    f.IdentifierFactory(person=person, value="RCT0012345")
    response = personas.client(personas.outsider).post(
        "/consent/emergency-access",
        {
            "reference": "rct 001 2345",
            "reason": "missing_person",
            "justification": "Reported missing this morning by her daughter",
        },
    )
    assert response.status_code == 302
    assert BreakGlass.objects.get().person == person


def test_emergency_access_errors(personas, person):
    client = personas.client(personas.outsider)
    response = client.post(
        "/consent/emergency-access",
        {"reference": "P-999999", "reason": "", "justification": "urgent"},
    )
    page = html(response)
    assert response.status_code == 200
    assert "<title>Error: Emergency access" in page
    assert 'href="#id_reference"' in page
    assert "No person with that record number or identifier" in page
    assert 'href="#id_reason_0"' in page and "Choose the emergency" in page
    assert "in at least 20 characters" in page
    assert 'value="P-999999"' in page
    # Found, but no justification: nothing is opened.
    response = client.post(
        "/consent/emergency-access",
        {"reference": person.reference, "reason": "risk_to_life", "justification": ""},
    )
    assert "Explain why you need the record now" in html(response)
    # Someone of another network is "not found" too.
    elsewhere = f.PersonFactory(network=f.NetworkFactory())
    response = client.post(
        "/consent/emergency-access",
        {
            "reference": elsewhere.reference,
            "reason": "risk_to_life",
            "justification": "Police at the door report an immediate risk to her life",
        },
    )
    assert "No person with that record number or identifier" in html(response)
    assert not BreakGlass.objects.exists()


def test_roles_without_casework_cannot_use_emergency_access(personas, person):
    for user in (personas.netadmin, personas.privacy):
        client = personas.client(user)
        assert client.get("/consent/emergency-access").status_code == 403
        response = client.post(
            "/consent/emergency-access",
            {
                "reference": person.reference,
                "reason": "risk_to_life",
                "justification": "Police at the door report an immediate risk to her life",
            },
        )
        assert response.status_code == 403
    assert not BreakGlass.objects.exists()


def test_navigation_links_by_role(personas):
    keyworker = html(personas.client(personas.keyworker).get("/"))
    assert 'href="/consent/emergency-access"' in keyworker
    assert 'href="/consent/emergency-access/reviews"' not in keyworker
    privacy = html(personas.client(personas.privacy).get("/"))
    assert 'href="/consent/emergency-access/reviews"' in privacy
    assert 'href="/consent/emergency-access"' not in privacy
    netadmin = html(personas.client(personas.netadmin).get("/"))
    assert "/consent/emergency-access" not in netadmin


# --- the privacy officer's review queue -------------------------------------------------


def test_the_privacy_officer_reviews_emergency_access(personas, person):
    pending = make_break_glass(person, user=personas.outsider, organisation=personas.outsider_org)
    older = make_break_glass(
        person, user=personas.partner, organisation=personas.partner_org, expired=True
    )
    client = personas.client(personas.privacy)
    page = html(client.get("/consent/emergency-access/reviews"))
    assert "2 waiting for review" in page
    assert "Police report an immediate risk to life tonight" in page
    assert f"/people/{person.pk}/access-log" in page
    assert f'id="id_review-{pending.pk}-outcome_0"' in page

    response = client.post(
        f"/consent/emergency-access/reviews/{pending.pk}",
        {f"review-{pending.pk}-outcome": "justified", f"review-{pending.pk}-note": ""},
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.review == Review.JUSTIFIED and pending.reviewed_by == personas.privacy

    # Not justified needs a note: the error sits on that item's form.
    response = client.post(
        f"/consent/emergency-access/reviews/{older.pk}",
        {f"review-{older.pk}-outcome": "not_justified", f"review-{older.pk}-note": ""},
    )
    page = html(response)
    assert response.status_code == 200
    assert "<title>Error: Emergency access reviews" in page
    assert f'href="#id_review-{older.pk}-note"' in page
    assert "Say why the access was not justified" in page
    older.refresh_from_db()
    assert older.review == Review.PENDING

    page = html(client.get("/consent/emergency-access/reviews"))
    assert "1 waiting for review" in page
    everything = html(client.get("/consent/emergency-access/reviews?show=all"))
    assert "2 emergency accesses" in everything and ">Justified</strong>" in everything


def test_reviewing_twice_is_an_error(personas, person):
    access = make_break_glass(person, user=personas.outsider, organisation=personas.outsider_org)
    client = personas.client(personas.privacy)
    data = {f"review-{access.pk}-outcome": "justified", f"review-{access.pk}-note": ""}
    assert client.post(f"/consent/emergency-access/reviews/{access.pk}", data).status_code == 302
    response = client.post(f"/consent/emergency-access/reviews/{access.pk}", data)
    assert response.status_code == 200
    assert "This access has already been reviewed" in html(response)


def test_only_privacy_officers_review(personas, person):
    access = make_break_glass(person, user=personas.outsider, organisation=personas.outsider_org)
    data = {f"review-{access.pk}-outcome": "justified", f"review-{access.pk}-note": ""}
    for user in (personas.keyworker, personas.manager, personas.outsider):
        client = personas.client(user)
        assert client.get("/consent/emergency-access/reviews").status_code == 403
        assert (
            client.post(f"/consent/emergency-access/reviews/{access.pk}", data).status_code == 403
        )
    # A privacy officer of another network does not find it.
    other_network = f.NetworkFactory()
    officer = f.UserFactory(username="other-privacy")
    f.MembershipFactory(
        user=officer,
        organisation=f.OrganisationFactory(network=other_network),
        role="privacy_officer",
    )
    response = personas.client(officer).post(f"/consent/emergency-access/reviews/{access.pk}", data)
    assert response.status_code == 404
    access.refresh_from_db()
    assert access.review == Review.PENDING


# --- query counts: lists cost the same however long they are -----------------------------


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_list_pages_take_a_fixed_number_of_queries(personas, person):
    manager = personas.client(personas.manager)
    make_consent(person, organisation=personas.partner_org, categories=["identity"])
    make_break_glass(person, user=personas.outsider, organisation=personas.outsider_org)
    personas.client(personas.partner).get(f"/people/{person.pk}/")
    urls = [f"/people/{person.pk}/", f"/people/{person.pk}/access-log"]
    before = [queries(manager, url) for url in urls]
    reviews_before = queries(personas.client(personas.privacy), "/consent/emergency-access/reviews")
    for _ in range(5):
        make_consent(person, sector="housing", categories=["household", "health"], withdrawn=True)
        make_legal_basis(
            person,
            organisation=personas.outsider_org,
            categories=["legal"],
            recorded_by=personas.manager,
        )
        make_break_glass(person, user=personas.partner, organisation=personas.partner_org)
        personas.client(personas.partner).get(f"/people/{person.pk}/")
    assert [queries(manager, url) for url in urls] == before
    assert (
        queries(personas.client(personas.privacy), "/consent/emergency-access/reviews")
        == reviews_before
    )
