"""In-app notifications: a line and a link for one member of staff. The text never holds
sensitive details (a reference and what happened); the record behind the link is read
through the access policy like any other page."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=40, help_text="What produced it, e.g. referral.accepted")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")
        ]

    def __str__(self) -> str:
        return self.subject
