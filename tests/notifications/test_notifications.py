"""Notifications: one per person, e-mailed without personal details, marked read."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from tests import factories as f
from wraparound.notifications.models import Notification
from wraparound.notifications.services import notification_send, notifications_mark_read


def test_one_per_active_recipient_and_the_email_names_no_one(
    personas, django_capture_on_commit_callbacks
):
    gone = f.UserFactory(username="gone", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        notes = notification_send(
            recipients=[personas.keyworker, personas.keyworker, None, gone],
            subject="R-000001: now accepted",
            kind="referral.accepted",
            url="/referrals/1/",
        )
    assert [n.recipient for n in notes] == [personas.keyworker]
    assert len(mail.outbox) == 1
    assert "does not contain personal details" in mail.outbox[0].body
    assert "/referrals/1/" in mail.outbox[0].body


def test_inbox_and_mark_read_only_touch_ones_own(personas):
    notification_send(recipients=[personas.keyworker], subject="A", kind="x", email=False)
    notification_send(recipients=[personas.partner], subject="B", kind="x", email=False)
    client = personas.client(personas.keyworker)
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert "A" in page and ">B<" not in page and "1 unread" in page
    client.post(reverse("notifications:mark_all_read"))
    assert not Notification.objects.filter(recipient=personas.keyworker, read_at=None).exists()
    assert Notification.objects.filter(recipient=personas.partner, read_at=None).exists()
    assert notifications_mark_read(actor=personas.actor(personas.partner), ids=[]) == 0
