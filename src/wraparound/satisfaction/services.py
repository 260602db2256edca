"""Writes of the satisfaction survey: send it when a case steps down or closes, and record
the answers (given online through the e-mailed link, or in person to a worker)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES, Membership, Role, User
from wraparound.audit.services import audit_record
from wraparound.cases.models import Case, ClosureReason
from wraparound.consent.categories import DataCategory
from wraparound.notifications.services import notification_send
from wraparound.portal.models import CitizenAccount
from wraparound.satisfaction.models import (
    AGREEMENT,
    ANSWER_FIELDS,
    HIGHEST,
    LOWEST,
    QUESTIONS,
    SurveyChannel,
    SurveyInvitation,
    SurveyTrigger,
)

INVITATION_LIFETIME = timedelta(days=30)
# A step-down or closure recorded (backdated) longer ago than this is history, not news:
# no survey is sent for it (the demo's seeded past, a late data entry).
SEND_WINDOW = timedelta(days=30)
CATEGORY = DataCategory.PLANS_REFERRALS


class SurveyError(ValidationError):
    """A survey link that cannot be answered; ``code`` says why (``unknown``, ``expired``
    or ``answered``)."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    ANSWERED = "answered"

    def __init__(self, code: str) -> None:
        messages = {
            self.UNKNOWN: _(
                "This survey link is not right. Check that you copied all of it from the e-mail."
            ),
            self.EXPIRED: _("This survey has closed. Survey links work for 30 days."),
            self.ANSWERED: _("This survey has already been answered. Thank you for your time."),
        }
        super().__init__(messages[code], code=code)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('satisfaction:answer', args=[token])}"


def _event_day(case: Case, trigger: str) -> date | None:
    return case.stepped_down_on if trigger == SurveyTrigger.STEP_DOWN else case.closed_on


def _should_ask(case: Case, trigger: str) -> bool:
    if trigger == SurveyTrigger.CLOSURE and case.closure_reason == ClosureReason.DIED:
        return False
    day = _event_day(case, trigger)
    return day is None or day >= timezone.localdate() - SEND_WINDOW


def _email_person(account: CitizenAccount, token: str) -> None:
    """Says only that there is a survey: no name, no organisation, nothing about the
    support (an e-mail can be read by someone else)."""
    link = survey_url(token)
    language = account.language or settings.LANGUAGE_CODE

    def send() -> None:
        with translation.override(language):
            send_mail(
                _("How was your support?"),
                _(
                    "We would like to know how your support went. There are 4 short "
                    "questions and it takes about 2 minutes. Your answers help the services "
                    "work better together and do not change the support you get.\n\n"
                    "Answer the questions: %(link)s\n\n"
                    "The link works for 30 days. If you do not want to answer, you can "
                    "ignore this e-mail."
                )
                % {"link": link},
                None,
                [account.email],
            )

    transaction.on_commit(send)


def _workers_to_ask(case: Case) -> list[User | None]:
    """The key worker; without one, the lead organisation's managers."""
    if case.key_worker_id is not None:
        return [case.key_worker]
    return [
        m.user
        for m in Membership.objects.filter(
            organisation_id=case.lead_organisation_id,
            role=Role.MANAGER,
            is_active=True,
            user__is_active=True,
        ).select_related("user")
    ]


def _tell_worker(case: Case, trigger: str) -> None:
    moment = "stepping down" if trigger == SurveyTrigger.STEP_DOWN else "closing"
    notification_send(
        recipients=_workers_to_ask(case),
        subject=f"Satisfaction survey due for case {case.reference}: ask it in person",
        body=(
            f"Case {case.reference} is {moment}. The person has no portal account, so ask "
            "them the four survey questions at your next contact and record their answers."
        ),
        kind="survey.due",
        url=reverse("satisfaction:record", args=[case.pk, trigger]),
    )


@transaction.atomic
def survey_send(*, case: Case, trigger: str, actor: Actor | None = None) -> SurveyInvitation | None:
    """Send the survey for ``case`` at ``trigger`` (once: None when it was sent already, or
    when it is not to be sent). With a linked portal account the person gets a link by
    e-mail; otherwise their key worker is asked to put the questions in person."""
    trigger = SurveyTrigger(trigger)
    if SurveyInvitation.objects.filter(case=case, trigger=trigger).exists():
        return None
    if not _should_ask(case, trigger):
        return None
    account = CitizenAccount.objects.filter(person_id=case.person_id, is_active=True).first()
    channel = SurveyChannel.PORTAL if account is not None else SurveyChannel.WORKER
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    try:
        with transaction.atomic():
            invitation = SurveyInvitation.objects.create(
                person_id=case.person_id,
                case=case,
                organisation_id=case.lead_organisation_id,
                trigger=trigger,
                channel=channel,
                token_hash=token_digest(token),
                sent_at=now,
                sent_by=actor.user if actor is not None else None,
                expires_at=now + INVITATION_LIFETIME,
            )
    except IntegrityError:  # sent at the same moment by someone else
        return None
    audit_record(
        actor=actor or Actor.system("satisfaction survey"),
        action="survey.send",
        person_id=case.person_id,
        target=invitation,
        summary=(
            f"Satisfaction survey sent for case {case.reference} "
            f"({SurveyTrigger(trigger).label.lower()}, {channel})"
        ),
        categories=[CATEGORY],
    )
    if account is not None:
        _email_person(account, token)
    else:
        _tell_worker(case, trigger)
    return invitation


def _answer_error(scale: str) -> str:
    if scale == AGREEMENT:
        return _("Select how much you agree, from strongly disagree to strongly agree")
    return _("Select how satisfied you are, from very dissatisfied to very satisfied")


def _is_score(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and LOWEST <= value <= HIGHEST


def clean_answers(answers: Mapping[str, object]) -> dict[str, int | None]:
    """Each answer a whole number from 1 to 5 or left out; ``overall`` is required."""
    errors: dict[str, str] = {
        name: _("This is not one of the survey questions")
        for name in sorted(set(answers) - set(ANSWER_FIELDS))
    }
    cleaned: dict[str, int | None] = {}
    for name, _question, scale in QUESTIONS:
        value = answers.get(name)
        if value is None or value == "":
            if name == "overall":
                errors[name] = _("Select how satisfied you are with the support overall")
            cleaned[name] = None
        elif _is_score(value):
            cleaned[name] = value  # type: ignore[assignment]
        else:
            errors[name] = _answer_error(scale)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _store(invitation: SurveyInvitation, answers: dict[str, int | None]) -> None:
    for name, value in answers.items():
        setattr(invitation, name, value)
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=[*ANSWER_FIELDS, "answered_at"])


def _respondent() -> Actor:
    return Actor(
        user=None, membership=None, via="survey", label="survey respondent (e-mailed link)"
    )


@transaction.atomic
def survey_answer(*, token: str, answers: Mapping[str, object]) -> SurveyInvitation:
    """The person answers through the link. Unknown, expired and answered links are refused
    with a ``SurveyError``; bad answers with a ``ValidationError`` by question."""
    invitation = (
        SurveyInvitation.objects.select_for_update().filter(token_hash=token_digest(token)).first()
    )
    if invitation is None:
        raise SurveyError(SurveyError.UNKNOWN)
    if invitation.is_answered:
        raise SurveyError(SurveyError.ANSWERED)
    if invitation.is_expired:
        raise SurveyError(SurveyError.EXPIRED)
    _store(invitation, clean_answers(answers))
    audit_record(
        actor=_respondent(),
        action="survey.answer",
        person_id=invitation.person_id,
        target=invitation,
        summary="Satisfaction survey answered online",
        categories=[CATEGORY],
    )
    return invitation


@transaction.atomic
def survey_record_by_worker(
    *, actor: Actor, invitation: SurveyInvitation, answers: Mapping[str, object]
) -> SurveyInvitation:
    """A worker of the organisation holding the case records answers the person gave in
    person (also after the e-mailed link expired: the person was asked)."""
    membership = actor.require_membership()
    locked = (
        SurveyInvitation.objects.select_for_update().select_related("case").get(pk=invitation.pk)
    )
    if (
        membership.organisation_id != locked.case.lead_organisation_id
        or membership.role not in CASEWORK_ROLES
    ):
        raise PermissionDenied("Only caseworkers of the organisation holding the case can.")
    if locked.is_answered:
        raise SurveyError(SurveyError.ANSWERED)
    _store(locked, clean_answers(answers))
    audit_record(
        actor=actor,
        action="survey.record_in_person",
        person_id=locked.person_id,
        target=locked,
        summary=f"Satisfaction survey answers given in person recorded for case "
        f"{locked.case.reference}",
        categories=[CATEGORY],
    )
    return locked
