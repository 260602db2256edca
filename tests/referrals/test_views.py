"""Referral pages: making one (and the consent-first detour), the referral page, the
inbox, outbox and key-worker lists, permissions and query counts."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from tests import factories as f
from tests.referrals.factories import consent_to, housing_service, refer
from wraparound.consent.models import Consent
from wraparound.referrals.models import Referral
from wraparound.referrals.models import ReferralStatus as S


@pytest.fixture
def service(personas):
    return housing_service(personas)


def form_data(service, **extra):
    return {
        "service": service.pk,
        "need": "housing-instability",
        "urgency": "urgent",
        "reason": "Rent arrears and a notice to quit",
        "notes": "",
        "bundle": ["assessments"],
        "action": "send",
        **extra,
    }


def test_key_worker_refers_from_the_form(personas, person, case, service):
    consent_to(personas, person, personas.partner_org, "assessments")
    client = personas.client(personas.keyworker)
    page = client.get(reverse("referrals:new") + f"?person={person.pk}&need=housing-instability")
    assert page.status_code == 200
    assert "Tenancy support" in page.content.decode()
    response = client.post(reverse("referrals:new") + f"?person={person.pk}", form_data(service))
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:detail", args=[referral.pk])
    assert referral.status == S.REQUESTED and referral.urgency == "urgent"
    assert referral.bundle == ["assessments"]


def test_draft_is_saved_not_sent(personas, person, case, service):
    consent_to(personas, person, personas.partner_org)
    client = personas.client(personas.keyworker)
    client.post(
        reverse("referrals:new") + f"?person={person.pk}", form_data(service, action="draft")
    )
    assert Referral.objects.get().status == S.DRAFT


def test_without_consent_nothing_is_sent_and_the_typed_answers_survive_the_detour(
    personas, person, case, service
):
    client = personas.client(personas.keyworker)
    url = reverse("referrals:new") + f"?person={person.pk}"
    page = client.post(url, form_data(service, reason="Typed carefully"))
    body = page.content.decode()
    assert page.status_code == 200
    assert not Referral.objects.exists()
    assert "Record consent first" in body
    link = re.search(r'href="(/people/\d+/consents/new\?[^"]+)"', body).group(1)
    link = link.replace("&amp;", "&")
    query = parse_qs(urlsplit(link).query)
    assert query["organisation"] == [str(personas.partner_org.pk)]
    back = query["next"][0]
    # Record the consent through the page, then come back to the form.
    response = client.post(
        link,
        {
            "recipient_kind": "organisation",
            "recipient_organisation": personas.partner_org.pk,
            "purpose": "care_coordination",
            "categories": ["identity", "assessments"],
            "valid_from_0": "1",
            "valid_from_1": "1",
            "valid_from_2": "2026",
            "evidence": "verbal",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == back
    resumed = client.get(back)
    assert "Typed carefully" in resumed.content.decode()
    assert not Referral.objects.exists()  # shown again to send, not sent by the GET
    client.post(back, form_data(service, reason="Typed carefully"))
    assert Referral.objects.get().reason == "Typed carefully"


def test_referral_page_is_not_found_for_an_unrelated_organisation(personas, person, case, service):
    consent_to(personas, person, personas.partner_org)
    referral = refer(personas, person, service)
    url = reverse("referrals:detail", args=[referral.pk])
    assert personas.client(personas.outsider).get(url).status_code == 404
    assert personas.client(personas.partner).get(url).status_code == 200
    assert personas.client(personas.keyworker).get(url).status_code == 200


def test_receiver_sees_only_the_bundle(personas, person, case, service):
    from wraparound.referrals.selectors import referral_get

    consent_to(personas, person, personas.partner_org, "assessments", "finances")
    referral = refer(personas, person, service, bundle=["assessments"])
    view = referral_get(actor=personas.actor(personas.partner), referral_id=referral.pk)
    assert view.shown == ["assessments"]
    assert view.is_receiver and not view.is_referrer
    # Consent withdrawn since: the bundle is withheld again.
    from wraparound.consent.services import consent_withdraw

    consent_withdraw(actor=personas.actor(personas.keyworker), consent=Consent.objects.get())
    view = referral_get(actor=personas.actor(personas.partner), referral_id=referral.pk)
    assert view.shown == [] and "assessments" in view.withheld


def test_inbox_accepts_in_one_step_and_refuses_a_rejection_without_reason(
    personas, person, case, service
):
    consent_to(personas, person, personas.partner_org)
    referral = refer(personas, person, service)
    client = personas.client(personas.partner)
    inbox = client.get(reverse("referrals:inbox"))
    assert referral.reference in inbox.content.decode()
    transition = reverse("referrals:transition", args=[referral.pk])
    refused = client.post(
        transition,
        {"status": S.REJECTED, "reason_code": "", "reason": "", "from": "inbox"},
        follow=True,
    )
    assert "Choose why the referral is rejected" in refused.content.decode()
    assert Referral.objects.get().status == S.REQUESTED
    accepted = client.post(transition, {"status": S.ACCEPTED, "from": "inbox"})
    assert accepted["Location"] == reverse("referrals:inbox")
    assert Referral.objects.get().status == S.ACCEPTED


def test_an_illegal_move_names_the_allowed_ones(personas, person, case, service):
    consent_to(personas, person, personas.partner_org)
    referral = refer(personas, person, service)
    page = personas.client(personas.keyworker).post(
        reverse("referrals:transition", args=[referral.pk]), {"status": S.ACCEPTED}, follow=True
    )
    body = page.content.decode()
    assert "Only the receiving service can mark the referral accepted" in body
    assert "Allowed now:" in body and "cancelled" in body
    assert Referral.objects.get().status == S.REQUESTED


def test_outbox_and_key_worker_lists(personas, person, case, service):
    consent_to(personas, person, personas.partner_org)
    referral = refer(personas, person, service)
    keyworker = personas.client(personas.keyworker)
    assert referral.reference in keyworker.get(reverse("referrals:sent")).content.decode()
    assert referral.reference in keyworker.get(reverse("referrals:my_people")).content.decode()
    assert (
        referral.reference
        in keyworker.get(reverse("referrals:for_person", args=[person.pk])).content.decode()
    )
    outsider = personas.client(personas.outsider)
    assert referral.reference not in outsider.get(reverse("referrals:sent")).content.decode()
    assert referral.reference not in outsider.get(reverse("referrals:inbox")).content.decode()


def _referrals(personas, service, n):
    for _ in range(n):
        person = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
        consent_to(personas, person, personas.partner_org)
        refer(personas, person, service)


def test_inbox_query_count_does_not_grow_with_referrals(
    personas, service, django_assert_max_num_queries
):
    client = personas.client(personas.partner)
    _referrals(personas, service, 3)
    client.get(reverse("referrals:inbox"))  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("referrals:inbox"))
    _referrals(personas, service, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("referrals:inbox"))
    assert page.content.decode().count("R-0") >= 20


def test_lists_drop_the_name_once_consent_no_longer_covers_the_receiver(
    personas, person, case, service
):
    from wraparound.consent.services import consent_withdraw

    consent_to(personas, person, personas.partner_org)
    referral = refer(personas, person, service)
    client = personas.client(personas.partner)
    assert person.family_name in client.get(reverse("referrals:inbox")).content.decode()
    consent_withdraw(actor=personas.actor(personas.keyworker), consent=Consent.objects.get())
    page = client.get(reverse("referrals:inbox")).content.decode()
    assert referral.reference in page and person.family_name not in page
    assert "Withheld" in page
