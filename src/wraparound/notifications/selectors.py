"""Reads of the actor's own notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from wraparound.accounts.actor import Actor
from wraparound.notifications.models import Notification


def notifications_for(*, actor: Actor) -> QuerySet[Notification]:
    if actor.user is None:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=actor.user)


def unread_count(*, actor: Actor) -> int:
    return notifications_for(actor=actor).filter(read_at__isnull=True).count()
