"""Demo survey answers: every case of the network that stepped down or closed got its
survey on that day (by e-mail when the person has a portal account, else from the key
worker), and most were answered. Scores are a little better where more of the agreed
plan's actions were done, with noise, so the reports have something to show."""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from wraparound.cases.models import Case, ClosureReason
from wraparound.core.models import Network
from wraparound.plans.models import CarePlanStatus
from wraparound.portal.models import CitizenAccount
from wraparound.satisfaction.models import (
    HIGHEST,
    LOWEST,
    SurveyChannel,
    SurveyInvitation,
    SurveyTrigger,
)
from wraparound.satisfaction.services import INVITATION_LIFETIME, token_digest

# Share answered: people asked in person answer more often than by e-mail.
RESPONSE_RATE = {SurveyChannel.PORTAL: 0.55, SurveyChannel.WORKER: 0.8}
# Each question's lean against the case's base score: people know whom to call more
# often than they feel the agencies talked to each other.
LEAN = {
    "told_story_once": -0.3,
    "knew_who_to_contact": 0.4,
    "agencies_talked": -0.5,
    "overall": 0.2,
}
SKIP_OPTIONAL = 0.06


def _at(day: date, now: datetime) -> datetime:
    return min(now, timezone.make_aware(datetime.combine(day, time(10, 0))))


def _score(rng: random.Random, mean: float) -> int:
    return max(LOWEST, min(HIGHEST, round(rng.gauss(mean, 0.9))))


def _answers(rng: random.Random, done_actions: int) -> dict[str, int | None]:
    base = 2.9 + 1.2 * min(done_actions, 6) / 6
    return {
        name: None
        if name != "overall" and rng.random() < SKIP_OPTIONAL
        else _score(rng, base + lean)
        for name, lean in LEAN.items()
    }


def seed_satisfaction(*, network: Network, rng: random.Random) -> dict[str, int]:
    now = timezone.now()
    linked = set(
        CitizenAccount.objects.filter(
            network=network, person__isnull=False, is_active=True
        ).values_list("person_id", flat=True)
    )
    cases = (
        Case.objects.filter(network=network)
        .filter(Q(stepped_down_on__isnull=False) | Q(closed_on__isnull=False))
        .annotate(
            done_actions=Count(
                "care_plans__goals__actions",
                filter=Q(
                    care_plans__status__in=[CarePlanStatus.AGREED, CarePlanStatus.SUPERSEDED],
                    care_plans__goals__actions__done_on__isnull=False,
                ),
            )
        )
        .order_by("id")
    )
    invitations = []
    for case in cases:
        moments = [(SurveyTrigger.STEP_DOWN, case.stepped_down_on)]
        if case.closure_reason != ClosureReason.DIED:
            moments.append((SurveyTrigger.CLOSURE, case.closed_on))
        for trigger, day in moments:
            if day is None:
                continue
            channel = SurveyChannel.PORTAL if case.person_id in linked else SurveyChannel.WORKER
            sent_at = _at(day, now)
            invitation = SurveyInvitation(
                person_id=case.person_id,
                case=case,
                organisation_id=case.lead_organisation_id,
                trigger=trigger,
                channel=channel,
                token_hash=token_digest(secrets.token_urlsafe(32)),
                sent_at=sent_at,
                sent_by_id=case.key_worker_id,
                expires_at=sent_at + INVITATION_LIFETIME,
            )
            answered_at = sent_at + timedelta(days=rng.randint(0, 21), hours=rng.randint(0, 8))
            if rng.random() < RESPONSE_RATE[channel] and answered_at <= now:
                invitation.answered_at = answered_at
                for name, value in _answers(rng, case.done_actions).items():
                    setattr(invitation, name, value)
            invitations.append(invitation)
    SurveyInvitation.objects.bulk_create(invitations, batch_size=500)
    return {
        "surveys_sent": len(invitations),
        "surveys_answered": sum(1 for i in invitations if i.answered_at is not None),
    }
