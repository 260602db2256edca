"""The SLA check, run periodically (``wraparound run_periodic``): for each open referral with
a deadline — a reminder to the receiving team once 75% of the working time has passed, an
escalation to its managers when the deadline is missed, then a word to the referrer and the
key worker. Each notice goes once per referral, deadline and kind (``SlaEvent``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES, Role, User
from wraparound.audit.services import audit_record
from wraparound.notifications.services import notification_send
from wraparound.referrals.models import Referral, ReferralStatus, SlaEvent, SlaNotice
from wraparound.referrals.sla import Calendar, calendar_for

REMIND_AT = 0.75
S = ReferralStatus


@dataclass(frozen=True)
class Deadline:
    name: str  # "respond" or "first_contact"
    label: str
    due: str  # field with the due time
    done: str  # field set when met
    statuses: frozenset[str]


DEADLINES = (
    Deadline("respond", "answer", "respond_by", "responded_at", frozenset({S.REQUESTED})),
    Deadline(
        "first_contact",
        "first contact",
        "first_contact_by",
        "first_contact_at",
        frozenset({S.ACCEPTED, S.IN_PROGRESS}),
    ),
)


def _team(organisation_id: int, roles: frozenset[str]) -> list[User | None]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation_id=organisation_id,
            memberships__is_active=True,
            memberships__role__in=sorted(roles),
        ).distinct()
    )


def _send(
    referral: Referral, deadline: Deadline, notice: str, to: list[User | None], text: str
) -> bool:
    """Record the notice once (the unique constraint decides between two runs) and send it."""
    try:
        with transaction.atomic():
            SlaEvent.objects.create(referral=referral, deadline=deadline.name, notice=notice)
            notification_send(
                recipients=to,
                subject=f"{referral.reference}: {text}",
                kind=f"referral.sla.{notice}",
                url=reverse("referrals:detail", args=[referral.pk]),
            )
            audit_record(
                actor=Actor.system("SLA check"),
                action=f"referral.sla_{notice}",
                person_id=referral.person_id,
                target=referral,
                summary=f"SLA {deadline.label}: {SlaNotice(notice).label.lower()}",
                categories=["plans_referrals"],
            )
    except IntegrityError:
        return False  # sent already (another run got there first)
    return True


def referral_sla_check(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    sent = dict.fromkeys(SlaNotice.values, 0)
    calendars: dict[int, Calendar] = {}
    for deadline in DEADLINES:
        open_ = Referral.objects.filter(
            Q(**{f"{deadline.due}__isnull": False, f"{deadline.done}__isnull": True}),
            status__in=sorted(deadline.statuses),
        ).select_related("service", "case__key_worker", "referred_by")
        done = set(
            SlaEvent.objects.filter(deadline=deadline.name, referral__in=open_).values_list(
                "referral_id", "notice"
            )
        )
        for referral in open_.iterator(chunk_size=500):
            due: dt.datetime = getattr(referral, deadline.due)
            start = referral.requested_at or referral.created_at
            calendar = calendars.setdefault(referral.network_id, calendar_for(referral.network_id))
            if due <= now:
                if (referral.pk, SlaNotice.ESCALATED) not in done:
                    managers = _team(referral.receiving_organisation_id, frozenset({Role.MANAGER}))
                    sent[SlaNotice.ESCALATED] += _send(
                        referral,
                        deadline,
                        SlaNotice.ESCALATED,
                        managers,
                        f"{deadline.label} overdue at {referral.service.name}",
                    )
                if (referral.pk, SlaNotice.REFERRER_TOLD) not in done:
                    key_worker = referral.case.key_worker if referral.case else None
                    sent[SlaNotice.REFERRER_TOLD] += _send(
                        referral,
                        deadline,
                        SlaNotice.REFERRER_TOLD,
                        [referral.referred_by, key_worker],
                        f"the service has missed its {deadline.label} deadline",
                    )
                continue
            total = calendar.working_hours_between(start, due)
            passed = calendar.working_hours_between(start, now)
            if (
                total
                and passed / total >= REMIND_AT
                and (referral.pk, SlaNotice.REMINDER) not in done
            ):
                sent[SlaNotice.REMINDER] += _send(
                    referral,
                    deadline,
                    SlaNotice.REMINDER,
                    _team(referral.receiving_organisation_id, CASEWORK_ROLES),
                    f"{deadline.label} due {timezone.localtime(due):%d %b %H:%M}",
                )
    return sent
