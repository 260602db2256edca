"""Secure two-way messages between a person (in the portal) and the agencies working with
them. The text is encrypted at rest; e-mails only say that there is a message."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.core.crypto import EncryptedTextField
from wraparound.directory.models import Organisation
from wraparound.people.models import Person

# What people write about their support is case-note material: the strictest category a
# worker of the organisation already needs to read the conversation.
CATEGORY = DataCategory.CASE_NOTES


class Thread(models.Model):
    personal_data = PersonalData(CATEGORY)

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="message_threads")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="message_threads"
    )
    subject = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(fields=["person", "-last_message_at"], name="thread_person"),
            models.Index(fields=["organisation", "-last_message_at"], name="thread_organisation"),
        ]

    def __str__(self) -> str:
        return f"Thread {self.pk}"


class Message(models.Model):
    personal_data = PersonalData(CATEGORY)

    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    body = EncryptedTextField()
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_account = models.ForeignKey(
        "portal.CitizenAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf = models.BooleanField(
        default=False, help_text="Written by someone the person allowed to act for them."
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["thread", "sent_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(author_user__isnull=False) ^ Q(author_account__isnull=False),
                name="message_one_author",
            )
        ]

    def __str__(self) -> str:
        return f"Message {self.pk}"

    @property
    def from_person_side(self) -> bool:
        return self.author_account_id is not None


class ThreadRead(models.Model):
    """How far a reader (one side or the other) has read a thread."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        "portal.CitizenAccount", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    last_read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="thread_read_user"),
            models.UniqueConstraint(fields=["thread", "account"], name="thread_read_account"),
        ]

    def __str__(self) -> str:
        return f"Read marker of thread {self.thread_id}"
