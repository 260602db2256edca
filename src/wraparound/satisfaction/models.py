"""The experience-of-coordination survey: four questions asked when a case steps down or
closes, by a link e-mailed to the person's portal account or, without one, in person by
their key worker. Only a hash of the link's token is stored; the link itself is in the
e-mail alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wraparound.cases.models import Case
from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.directory.models import Organisation
from wraparound.people.models import Person

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class SurveyTrigger(models.TextChoices):
    STEP_DOWN = "step_down", "Support stepped down"
    CLOSURE = "closure", "Case closed"


class SurveyChannel(models.TextChoices):
    PORTAL = "portal", "E-mailed link, answered online"
    WORKER = "worker", "Asked in person by the key worker"


# The questions, in the order they are asked: (field, question, scale). The first three are
# agreement statements, the last is overall satisfaction.
AGREEMENT = "agreement"
SATISFACTION = "satisfaction"
QUESTIONS: tuple[tuple[str, StrPromise, str], ...] = (
    ("told_story_once", _("I only had to tell my story once"), AGREEMENT),
    ("knew_who_to_contact", _("I knew who to contact"), AGREEMENT),
    ("agencies_talked", _("The agencies I dealt with talked to each other"), AGREEMENT),
    ("overall", _("Overall, how satisfied are you with the support?"), SATISFACTION),
)
ANSWER_FIELDS: tuple[str, ...] = tuple(name for name, _question, _scale in QUESTIONS)
SCALES: dict[str, tuple[tuple[int, StrPromise], ...]] = {
    AGREEMENT: (
        (1, _("Strongly disagree")),
        (2, _("Disagree")),
        (3, _("Neither agree nor disagree")),
        (4, _("Agree")),
        (5, _("Strongly agree")),
    ),
    SATISFACTION: (
        (1, _("Very dissatisfied")),
        (2, _("Dissatisfied")),
        (3, _("Neither satisfied nor dissatisfied")),
        (4, _("Satisfied")),
        (5, _("Very satisfied")),
    ),
}
LOWEST, HIGHEST = 1, 5


def _in_range(field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(
        **{f"{field}__gte": LOWEST, f"{field}__lte": HIGHEST}
    )


class SurveyInvitation(models.Model):
    """One survey sent for one case at one moment (its step-down or its closure)."""

    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="survey_invitations")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="survey_invitations")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The case's lead organisation, which sends the survey.",
    )
    trigger = models.CharField(max_length=20, choices=SurveyTrigger.choices)
    channel = models.CharField(max_length=20, choices=SurveyChannel.choices)
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    sent_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    told_story_once = models.SmallIntegerField(null=True, blank=True)
    knew_who_to_contact = models.SmallIntegerField(null=True, blank=True)
    agencies_talked = models.SmallIntegerField(null=True, blank=True)
    overall = models.SmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "trigger"], name="survey_one_per_case_trigger"),
            models.CheckConstraint(
                condition=_in_range("told_story_once")
                & _in_range("knew_who_to_contact")
                & _in_range("agencies_talked")
                & _in_range("overall"),
                name="survey_answers_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(overall__isnull=False),
                name="survey_answered_has_overall",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "sent_at"], name="survey_by_sender")]

    def __str__(self) -> str:
        return f"Survey {self.pk} ({self.trigger}) for case {self.case_id}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    def answers(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in ANSWER_FIELDS}
