"""Secure messages: only with organisations working with the person, unread counts on both
sides, e-mails without the content, intermediaries marked."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.portal.factories import CitizenAccountFactory, citizen_client
from wraparound.accounts.actor import actor_for_user
from wraparound.messaging import services
from wraparound.messaging.models import Message, Thread
from wraparound.notifications.models import Notification
from wraparound.portal.session import ACCOUNT_KEY  # noqa: F401


@pytest.fixture
def mailbox(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return django_capture_on_commit_callbacks


def test_the_person_writes_to_the_organisation_leading_their_case(personas, account, case, mailbox):
    client = citizen_client(account)
    new = client.get(reverse("portal_messaging:new")).content.decode()
    assert personas.one_stop.name in new and personas.outsider_org.name not in new
    with mailbox(execute=True):
        response = client.post(
            reverse("portal_messaging:new"),
            {
                "organisation": personas.one_stop.pk,
                "subject": "My rent",
                "body": "The rent went up again",
            },
        )
    thread = Thread.objects.get()
    assert response.url == reverse("portal_messaging:thread", args=[thread.pk])
    note = Notification.objects.get(recipient=personas.keyworker, kind="portal_message")
    assert "rent" not in note.subject.lower()
    worker = personas.client(personas.keyworker)
    inbox = worker.get(reverse("messaging:inbox")).content.decode()
    assert "My rent" in inbox and 'govuk-tag--red">1<' in inbox


def test_a_message_to_an_organisation_not_working_with_them_is_refused(personas, account, case):
    client = citizen_client(account)
    page = client.post(
        reverse("portal_messaging:new"),
        {"organisation": personas.outsider_org.pk, "subject": "Hi", "body": "Typed with care"},
    )
    html = page.content.decode()
    assert "Choose who to message" in html
    assert "Typed with care" in html  # nothing typed is lost
    assert not Thread.objects.exists()
    from wraparound.portal.session import portal_context

    class _Request:
        session: dict = {}
        META: dict = {}

    context = portal_context(_Request(), account)  # type: ignore[arg-type]
    with pytest.raises(
        ValidationError, match="only message an organisation that is working with you"
    ):
        services.thread_start_by_person(
            context=context, organisation_id=personas.outsider_org.pk, subject="x", body="y"
        )


def test_staff_reply_reaches_the_person_by_an_email_without_content(
    personas, account, case, mailbox
):
    client = citizen_client(account)
    client.post(
        reverse("portal_messaging:new"),
        {"organisation": personas.one_stop.pk, "subject": "Help", "body": "Can we meet?"},
    )
    thread = Thread.objects.get()
    worker = personas.client(personas.keyworker)
    with mailbox(execute=True):
        worker.post(
            reverse("messaging:thread", args=[thread.pk]), {"body": "Tuesday at 10, secret words"}
        )
    assert mail.outbox[-1].to == [account.email]
    assert "secret words" not in mail.outbox[-1].body
    listing = client.get(reverse("portal_messaging:list")).content.decode()
    assert "wa-portal-count" in listing
    page = client.get(reverse("portal_messaging:thread", args=[thread.pk])).content.decode()
    assert "Tuesday at 10" in page
    after = client.get(reverse("portal_messaging:list")).content.decode()
    assert "wa-portal-count" not in after  # read now


def test_other_organisations_cannot_read_or_write(personas, account, case):
    citizen_client(account).post(
        reverse("portal_messaging:new"),
        {"organisation": personas.one_stop.pk, "subject": "Help", "body": "Hello"},
    )
    thread = Thread.objects.get()
    assert (
        personas.client(personas.partner)
        .get(reverse("messaging:thread", args=[thread.pk]))
        .status_code
        == 404
    )
    with pytest.raises(PermissionDenied):
        services.message_send_by_staff(
            actor=actor_for_user(personas.partner, via="web"), thread=thread, body="x"
        )
    stranger = CitizenAccountFactory(network=personas.network, person=None)
    assert (
        citizen_client(stranger)
        .get(reverse("portal_messaging:thread", args=[thread.pk]))
        .status_code
        == 302
    )


def test_empty_and_long_messages_are_refused(personas, account, case):
    client = citizen_client(account)
    empty = client.post(
        reverse("portal_messaging:new"),
        {"organisation": personas.one_stop.pk, "subject": "x", "body": ""},
    )
    assert "Write your message" in empty.content.decode()
    long = client.post(
        reverse("portal_messaging:new"),
        {"organisation": personas.one_stop.pk, "subject": "x", "body": "a" * 5001},
    )
    assert "5,000 characters or fewer" in long.content.decode()


def test_the_body_is_encrypted_at_rest(personas, account, case):
    from django.db import connection

    citizen_client(account).post(
        reverse("portal_messaging:new"),
        {"organisation": personas.one_stop.pk, "subject": "x", "body": "plain words here"},
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM messaging_message")
        (raw,) = cursor.fetchone()
    assert "plain words" not in raw
    assert Message.objects.get().body == "plain words here"


def test_an_intermediarys_message_is_marked(personas, account, case, person):
    from tests.portal.factories import IntermediaryFactory

    helper = CitizenAccountFactory(network=personas.network)
    IntermediaryFactory(person=person, account=helper)
    client = citizen_client(helper)
    client.post(reverse("portal:switch"), {"person": person.pk})
    client.post(
        reverse("portal_messaging:new"),
        {"organisation": personas.one_stop.pk, "subject": "For Dad", "body": "Writing for him"},
    )
    message = Message.objects.get()
    assert message.on_behalf and message.author_account == helper


def test_staff_start_a_conversation_from_the_record(personas, account, case):
    worker = personas.client(personas.keyworker)
    worker.post(
        reverse("messaging:new", args=[account.person.pk]),
        {"subject": "Your appointment", "body": "See you"},
    )
    thread = Thread.objects.get()
    assert thread.organisation == personas.one_stop
    assert (
        "Your appointment"
        in citizen_client(account).get(reverse("portal_messaging:list")).content.decode()
    )
