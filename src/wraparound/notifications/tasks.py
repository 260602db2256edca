"""E-mail a notification: the subject and a link only, never personal details."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from wraparound.notifications.models import Notification


@task()
def email_notification(*, notification_id: int) -> bool:
    note = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if note is None or not note.recipient.email or not note.recipient.is_active:
        return False
    link = settings.SITE_URL + note.url if note.url else settings.SITE_URL
    send_mail(
        subject=f"Wraparound: {note.subject}",
        message=(
            f"Hello {note.recipient.name},\n\n{note.subject}.\n\nSign in to see it: {link}\n\n"
            "This e-mail does not contain personal details on purpose.\n"
        ),
        from_email=None,
        recipient_list=[note.recipient.email],
    )
    return True
