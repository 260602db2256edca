"""Signing in without a password, linking to a record (never by e-mail alone), acting for
someone, and the language kept per account."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.portal.factories import CitizenAccountFactory, citizen_client
from wraparound.accounts.actor import actor_for_user
from wraparound.audit.models import AuditEvent
from wraparound.portal import services
from wraparound.portal.models import CitizenAccount, LinkRequest, LinkRequestStatus, SignInCode


def _code_from_mail() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)  # type: ignore[union-attr]


def _sign_in(client: Client, email: str, mailbox) -> object:  # type: ignore[no-untyped-def]
    with mailbox(execute=True):
        client.post(reverse("portal:sign_in"), {"email": email})
    return client.post(reverse("portal:sign_in_code"), {"code": _code_from_mail()})


@pytest.fixture
def mailbox(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return django_capture_on_commit_callbacks


def test_sign_in_with_a_code_creates_the_account_but_links_nothing(personas, mailbox):
    client = Client()
    with mailbox(execute=True):
        response = client.post(reverse("portal:sign_in"), {"email": " New.Person@Example.org "})
    assert response.url == reverse("portal:sign_in_code")
    assert "new.person@example.org" in mail.outbox[0].to
    assert not CitizenAccount.objects.exists()  # nobody learns who has an account
    signed = client.post(reverse("portal:sign_in_code"), {"code": _code_from_mail()})
    assert signed.url == reverse("portal:dashboard")
    account = CitizenAccount.objects.get()
    assert account.email == "new.person@example.org" and account.person is None
    assert "Link your account" in client.get(reverse("portal:dashboard")).content.decode()


def test_a_code_works_once(personas, mailbox):
    with mailbox(execute=True):
        issued = services.sign_in_code_send(network=personas.network, email="a@example.org")
    services.sign_in_with_code(network=personas.network, email="a@example.org", code=issued.code)
    with pytest.raises(ValidationError, match="already been used"):
        services.sign_in_with_code(
            network=personas.network, email="a@example.org", code=issued.code
        )


def test_an_expired_code_is_refused(personas, mailbox):
    with mailbox(execute=True):
        issued = services.sign_in_code_send(network=personas.network, email="a@example.org")
    SignInCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValidationError, match="expired"):
        services.sign_in_with_code(
            network=personas.network, email="a@example.org", code=issued.code
        )


def test_wrong_codes_use_up_the_code(personas, mailbox):
    with mailbox(execute=True):
        issued = services.sign_in_code_send(network=personas.network, email="a@example.org")
    wrong = "000000" if issued.code != "000000" else "111111"
    for _ in range(services.MAX_CODE_ATTEMPTS - 1):
        with pytest.raises(ValidationError, match="not right"):
            services.sign_in_with_code(network=personas.network, email="a@example.org", code=wrong)
    with pytest.raises(ValidationError, match="Too many wrong codes"):
        services.sign_in_with_code(network=personas.network, email="a@example.org", code=wrong)
    with pytest.raises(ValidationError, match="expired or has already been used"):
        services.sign_in_with_code(
            network=personas.network, email="a@example.org", code=issued.code
        )


def test_codes_are_rate_limited(personas, mailbox):
    with mailbox(execute=True):
        for _ in range(services.CODES_PER_WINDOW):
            services.sign_in_code_send(network=personas.network, email="a@example.org")
    with pytest.raises(ValidationError, match="Wait a few minutes"):
        services.sign_in_code_send(network=personas.network, email="a@example.org")
    page = Client().post(reverse("portal:sign_in"), {"email": "a@example.org"})
    assert "Wait a few minutes" in page.content.decode()


def test_the_magic_link_needs_a_click_and_works_once(personas, mailbox):
    with mailbox(execute=True):
        issued = services.sign_in_code_send(network=personas.network, email="b@example.org")
    url = reverse("portal:sign_in_link", args=[issued.link_token])
    client = Client()
    assert client.get(url).status_code == 200  # an e-mail scanner opening it uses nothing
    assert client.post(url).url == reverse("portal:dashboard")
    again = Client().post(url)
    assert "expired or has already been used" in again.content.decode()


def test_the_email_holds_the_code_and_the_link(personas, mailbox):
    with mailbox(execute=True):
        Client().post(reverse("portal:sign_in"), {"email": "c@example.org"})
    body = mail.outbox[0].body
    assert re.search(r"\b\d{6}\b", body)
    assert "/portal/sign-in/link/" in body


def test_password_sign_in_is_optional(personas, account):
    client = citizen_client(account)
    weak = client.post(
        reverse("portal:account"), {"form": "password", "password-password": "short"}
    )
    assert "too short" in weak.content.decode()
    client.post(
        reverse("portal:account"),
        {"form": "password", "password-password": "a long enough passphrase"},
    )
    ok = Client().post(
        reverse("portal:sign_in_password"),
        {"email": account.email, "password": "a long enough passphrase"},
    )
    assert ok.url == reverse("portal:dashboard")
    bad = Client().post(
        reverse("portal:sign_in_password"), {"email": account.email, "password": "nope"}
    )
    assert "is not right" in bad.content.decode()


def test_the_next_page_stays_inside_the_portal(personas, mailbox):
    client = Client()
    client.get(reverse("portal:sign_in") + "?next=https://evil.example/")
    response = _sign_in(client, "d@example.org", mailbox)
    assert response.url == reverse("portal:dashboard")


# --- Linking ---------------------------------------------------------------------------


def test_link_code_and_date_of_birth_link_the_account(personas, person):
    actor = actor_for_user(personas.keyworker, via="web")
    code = services.link_code_create(actor=actor, person=person)
    account = CitizenAccountFactory(network=personas.network)
    client = citizen_client(account)
    dob = person.date_of_birth
    wrong = client.post(
        reverse("portal:link"),
        {
            "form": "code",
            "code-code": code,
            "code-date_of_birth_0": "1",
            "code-date_of_birth_1": "1",
            "code-date_of_birth_2": "1900",
        },
    )
    assert "does not match our record" in wrong.content.decode()
    assert f'value="{code}"' in wrong.content.decode()  # what was typed is kept
    response = client.post(
        reverse("portal:link"),
        {
            "form": "code",
            "code-code": code.lower(),
            "code-date_of_birth_0": str(dob.day),
            "code-date_of_birth_1": str(dob.month),
            "code-date_of_birth_2": str(dob.year),
        },
    )
    assert response.url == reverse("portal:dashboard")
    account.refresh_from_db()
    assert account.person == person and account.link_method == "link_code"
    assert AuditEvent.objects.filter(action="portal.account_link", person_id=person.pk).exists()
    other = CitizenAccountFactory(network=personas.network)
    with pytest.raises(ValidationError, match="not right, has expired or has been used"):
        services.link_with_code(account=other, code=code, date_of_birth=dob)


def test_a_worker_confirms_a_link_request(personas, person):
    account = CitizenAccountFactory(network=personas.network)
    request = services.link_request_create(
        account=account,
        given_name=person.given_name,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
        postcode="CF40 1AA",
    )
    worker = personas.client(personas.keyworker)
    queue = worker.get(reverse("portal_staff:link_requests")).content.decode()
    assert person.given_name in queue
    page = worker.get(reverse("portal_staff:link_request", args=[request.pk])).content.decode()
    assert f'value="{person.pk}"' in page  # the matching person is offered
    worker.post(reverse("portal_staff:link_request", args=[request.pk]), {"person": person.pk})
    request.refresh_from_db()
    account.refresh_from_db()
    assert request.status == LinkRequestStatus.CONFIRMED
    assert account.person == person and account.linked_by == personas.keyworker


def test_a_worker_without_access_cannot_confirm(personas, person):
    account = CitizenAccountFactory(network=personas.network)
    request = services.link_request_create(
        account=account,
        given_name=person.given_name,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
    )
    outsider = actor_for_user(personas.outsider, via="web")
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied or not found
        services.link_request_decide(actor=outsider, request=request, person=person)
    assert LinkRequest.objects.get().status == LinkRequestStatus.PENDING


def test_a_date_of_birth_that_does_not_match_is_refused(personas, person):
    account = CitizenAccountFactory(network=personas.network)
    request = services.link_request_create(
        account=account,
        given_name=person.given_name,
        family_name=person.family_name,
        date_of_birth=dt.date(1950, 1, 1),
    )
    actor = actor_for_user(personas.keyworker, via="web")
    with pytest.raises(ValidationError, match="does not match"):
        services.link_request_decide(actor=actor, request=request, person=person)
    account.refresh_from_db()
    assert account.person is None


def test_record_pages_wait_for_a_link(personas):
    account = CitizenAccountFactory(network=personas.network)
    assert citizen_client(account).get(reverse("portal:plan")).url == reverse("portal:link")
    assert Client().get(reverse("portal:plan")).url.startswith(reverse("portal:sign_in"))


# --- Acting for someone ------------------------------------------------------------------


def test_an_intermediary_acts_for_the_person_and_is_marked(personas, account, person):
    helper = CitizenAccountFactory(network=personas.network, email="daughter@example.org")
    client = citizen_client(account)
    client.post(
        reverse("portal:account"),
        {
            "form": "intermediary",
            "helper-email": "daughter@example.org",
            "helper-relationship": "relative",
        },
    )
    helper_client = citizen_client(helper)
    helper_client.post(reverse("portal:switch"), {"person": person.pk})
    page = helper_client.get(reverse("portal:plan")).content.decode()
    assert "You are acting for" in page
    event = AuditEvent.objects.filter(action="portal.plan_view").latest("sequence")
    assert "intermediary for person" in event.actor_label and event.person_id == person.pk
    # Stopped: the very next request no longer shows the record.
    grant = helper.acts_for.get()
    client.post(reverse("portal:intermediary_revoke", args=[grant.pk]))
    assert helper_client.get(reverse("portal:plan")).url == reverse("portal:link")


def test_someone_cannot_choose_a_person_who_did_not_allow_them(personas, person):
    stranger = CitizenAccountFactory(network=personas.network)
    client = citizen_client(stranger)
    client.post(reverse("portal:switch"), {"person": person.pk})
    assert client.get(reverse("portal:plan")).url == reverse("portal:link")


# --- Language -----------------------------------------------------------------------------


def test_language_is_kept_on_the_account(personas, account):
    client = citizen_client(account)
    client.get(reverse("portal:language", args=["fr"]) + "?next=/portal/home/")
    account.refresh_from_db()
    assert account.language == "fr"
    fresh = citizen_client(account)  # another device: no cookie, the account decides
    assert 'lang="fr"' in fresh.get(reverse("portal:dashboard")).content.decode()


def test_staff_pages_ignore_the_browser_language(personas):
    client = personas.client(personas.keyworker)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "cy"
    assert 'lang="en' in client.get("/").content.decode()


def test_five_wrong_dates_of_birth_kill_a_link_code(personas, person):
    actor = actor_for_user(personas.keyworker, via="web")
    code = services.link_code_create(actor=actor, person=person)
    account = CitizenAccountFactory(network=personas.network)
    for _ in range(services.MAX_CODE_ATTEMPTS):
        with pytest.raises(ValidationError, match="does not match"):
            services.link_with_code(account=account, code=code, date_of_birth=dt.date(1900, 1, 1))
    with pytest.raises(ValidationError, match="can no longer be used"):
        services.link_with_code(account=account, code=code, date_of_birth=person.date_of_birth)
