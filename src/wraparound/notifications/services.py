"""Writes: tell people something happened; mark what they have read."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import User
from wraparound.notifications.models import Notification
from wraparound.notifications.tasks import email_notification


def notification_send(
    *,
    recipients: Iterable[User | None],
    subject: str,
    kind: str,
    url: str = "",
    body: str = "",
    email: bool = True,
) -> list[Notification]:
    """One notification per distinct active recipient (None and duplicates skipped); the
    e-mails go after the surrounding transaction commits."""
    seen: set[int] = set()
    notes = []
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        notes.append(Notification(recipient=user, subject=subject, body=body, url=url, kind=kind))
    with transaction.atomic():
        created = Notification.objects.bulk_create(notes)
        if email:
            for note in created:
                transaction.on_commit(partial(email_notification.enqueue, notification_id=note.pk))
    return created


def notifications_mark_read(*, actor: Actor, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notifications read (all, or those ``ids``); returns how many."""
    if actor.user is None:
        return 0
    unread = Notification.objects.filter(recipient=actor.user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
