"""Reads of crisis events and re-presentation alerts, through the access policy.

Each event is decided on its own category (health, mental health, legal, or plans and
referrals for a shelter night) with its source organisation as the recorder; an alert is
"cases, plans and referrals" and shows what kind of event raised it only where the event
itself may be seen.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Q

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import Role
from wraparound.audit.services import PersonRead, audit_reads
from wraparound.consent.categories import DataCategory
from wraparound.consent.models import Purpose
from wraparound.consent.policy import decide, visible_people
from wraparound.crisis.models import AlertStatus, CrisisEvent, RepresentationAlert
from wraparound.people.models import Person
from wraparound.people.selectors import PersonNotFound, decide_or_404


@dataclass(frozen=True)
class PersonCrisisEvents:
    shown: list[CrisisEvent]
    withheld: list[str]  # "2 events withheld: no consent for health"


def crisis_events_for_person(*, actor: Actor, person: Person) -> PersonCrisisEvents:
    """The person's crisis events the actor may see, newest first; the others counted by
    reason, never shown."""
    decide_or_404(actor=actor, person=person)
    shown: list[CrisisEvent] = []
    reasons: Counter[str] = Counter()
    categories: set[str] = set()
    withheld_categories: set[str] = set()
    grounds: set[str] = set()
    break_glass = False
    for event in CrisisEvent.objects.filter(person=person).select_related("source_organisation"):
        decision = decide(
            actor=actor,
            person=person,
            category=event.category,
            recorded_by_organisation_id=event.source_organisation_id,
        )
        if decision:
            shown.append(event)
            categories.add(event.category)
            grounds.add(decision.reason)
            break_glass = break_glass or decision.break_glass
        else:
            reasons[decision.reason] += 1
            withheld_categories.add(event.category)
    audit_reads(
        actor=actor,
        action="crisis_events.view",
        purpose=Purpose.CARE_COORDINATION,
        summary=f"Viewed {len(shown)} crisis event(s)",
        reads=[
            PersonRead(
                person.pk,
                sorted(categories),
                "; ".join(sorted(grounds)) or "no event shown",
                break_glass,
                sorted(withheld_categories),
            )
        ],
    )
    withheld = [
        f"{n} {'event' if n == 1 else 'events'} withheld: {reason.removeprefix('withheld: ')}"
        for reason, n in sorted(reasons.items())
    ]
    return PersonCrisisEvents(shown, withheld)


@dataclass(frozen=True)
class AlertView:
    alert: RepresentationAlert
    event_shown: bool
    event_withheld_reason: str

    @property
    def can_act(self) -> bool:
        return self.alert.status == AlertStatus.OPEN


def _alerts_for_actor(actor: Actor, status: str | None) -> Q:
    membership = actor.membership
    assert membership is not None
    mine = Q(organisation_id=membership.organisation_id)
    if membership.role != Role.MANAGER:
        # A key worker sees their own alerts and the organisation's unassigned ones.
        mine &= Q(key_worker=membership.user) | Q(key_worker__isnull=True)
    if status:
        mine &= Q(status=status)
    return mine


def _view(actor: Actor, alert: RepresentationAlert) -> tuple[AlertView, PersonRead]:
    decision = decide(actor=actor, person=alert.person, category=DataCategory.PLANS_REFERRALS)
    event = alert.event
    event_decision = decide(
        actor=actor,
        person=alert.person,
        category=event.category,
        recorded_by_organisation_id=event.source_organisation_id,
    )
    categories = [DataCategory.IDENTITY, DataCategory.PLANS_REFERRALS]
    if event_decision:
        categories.append(DataCategory(event.category))
    read = PersonRead(
        alert.person_id,
        sorted(set(categories)),
        decision.reason,
        decision.break_glass or event_decision.break_glass,
        [] if event_decision else [event.category],
    )
    return AlertView(alert, bool(event_decision), event_decision.reason), read


def alerts_list(*, actor: Actor, status: str | None = AlertStatus.OPEN) -> list[AlertView]:
    """Re-presentation alerts for the actor (a key worker: theirs and their organisation's
    unassigned ones; a manager: all of the organisation's), newest first."""
    if actor.membership is None:
        return []
    alerts = (
        RepresentationAlert.objects.filter(_alerts_for_actor(actor, status))
        .filter(person__in=visible_people(actor))
        .select_related("case", "person", "event__source_organisation", "key_worker")
        .order_by("-created_at", "-id")[:200]
    )
    views = []
    reads = []
    for alert in alerts:
        if not decide(actor=actor, person=alert.person, category=DataCategory.PLANS_REFERRALS):
            continue
        view, read = _view(actor, alert)
        views.append(view)
        reads.append(read)
    audit_reads(
        actor=actor,
        action="representation_alerts.list",
        purpose=Purpose.CARE_COORDINATION,
        summary="Shown in the re-presentation alerts list",
        reads=reads,
    )
    return views


def open_alert_count(*, actor: Actor) -> int:
    if actor.membership is None:
        return 0
    return (
        RepresentationAlert.objects.filter(_alerts_for_actor(actor, AlertStatus.OPEN))
        .filter(person__in=visible_people(actor))
        .count()
    )


def alert_get(*, actor: Actor, alert_id: int, audit: bool = True) -> AlertView:
    alert = (
        RepresentationAlert.objects.select_related(
            "case__lead_organisation", "person", "event__source_organisation", "key_worker"
        )
        .filter(pk=alert_id)
        .first()
    )
    if alert is None or actor.membership is None:
        raise PersonNotFound("No alert with that id")
    if not RepresentationAlert.objects.filter(_alerts_for_actor(actor, None), pk=alert.pk).exists():
        raise PersonNotFound("No alert with that id")
    decide_or_404(actor=actor, person=alert.person)
    if not decide(actor=actor, person=alert.person, category=DataCategory.PLANS_REFERRALS):
        raise PersonNotFound("No alert with that id")
    view, read = _view(actor, alert)
    if audit:
        audit_reads(
            actor=actor,
            action="representation_alert.view",
            purpose=Purpose.CARE_COORDINATION,
            summary=f"Viewed the re-presentation alert for case {alert.case.reference}",
            reads=[read],
        )
    return view
