"""Reads of survey invitations: by the link's token (the person, who is not signed in: the
page shows nothing about them), by case for a worker of the organisation holding it, and
the rows of the analytics store's ``satisfaction`` table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from django.http import Http404
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES
from wraparound.cases.models import Case
from wraparound.cases.selectors import case_get
from wraparound.people.selectors import PersonNotFound
from wraparound.satisfaction.models import SurveyInvitation, SurveyTrigger
from wraparound.satisfaction.services import SurveyError, token_digest

CHUNK = 10_000


def invitation_for_token(*, token: str) -> SurveyInvitation:
    """The invitation the link is for, if it can still be answered; else a ``SurveyError``
    saying why (unknown, answered, expired)."""
    invitation = SurveyInvitation.objects.filter(token_hash=token_digest(token)).first()
    if invitation is None:
        raise SurveyError(SurveyError.UNKNOWN)
    if invitation.is_answered:
        raise SurveyError(SurveyError.ANSWERED)
    if invitation.is_expired:
        raise SurveyError(SurveyError.EXPIRED)
    return invitation


def invitation_for_worker(*, actor: Actor, case_id: int, trigger: str) -> SurveyInvitation:
    """The case's invitation for ``trigger``, for a caseworker of the organisation holding
    the case (who may see it); 404 for anybody else, as for a case that does not exist."""
    membership = actor.membership
    if (
        trigger not in SurveyTrigger.values
        or membership is None
        or membership.role not in CASEWORK_ROLES
    ):
        raise Http404
    holds = Case.objects.filter(pk=case_id, lead_organisation_id=membership.organisation_id)
    if not holds.exists():
        raise Http404
    try:
        case = case_get(actor=actor, case_id=case_id, audit_as="survey.case_view")
    except PersonNotFound as exc:
        raise Http404 from exc
    invitation = SurveyInvitation.objects.filter(case=case, trigger=trigger).first()
    if invitation is None:
        raise Http404
    invitation.case = case  # with its person, already read through the policy
    return invitation


def surveys_for_case(*, case: Case) -> list[SurveyInvitation]:
    """The case's survey invitations (the case was read through the policy by the caller),
    for its page: when sent, how, and whether answered."""
    return list(SurveyInvitation.objects.filter(case=case).order_by("sent_at"))


def _day(value: datetime | None) -> date | None:
    return timezone.localtime(value).date() if value is not None else None


def analytics_rows(network_id: int | None, key: Callable[[int], str]) -> Iterator[tuple[Any, ...]]:
    """One row per invitation, in the columns of ``analytics.schema``'s ``satisfaction``
    table: person_key, organisation_id, trigger, sent_on, answered_on, the four answers."""
    rows = SurveyInvitation.objects.all()
    if network_id:
        rows = rows.filter(case__network_id=network_id)
    for pid, org, trigger, sent_at, answered_at, story, contact, talked, overall in (
        rows.order_by("id")
        .values_list(
            "person_id",
            "organisation_id",
            "trigger",
            "sent_at",
            "answered_at",
            "told_story_once",
            "knew_who_to_contact",
            "agencies_talked",
            "overall",
        )
        .iterator(chunk_size=CHUNK)
    ):
        yield (
            key(pid),
            org,
            trigger,
            _day(sent_at),
            _day(answered_at),
            story,
            contact,
            talked,
            overall,
        )
