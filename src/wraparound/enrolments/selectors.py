"""Reads of enrolments and service events, through the access policy: the organisation
running the service, and whoever may see the person's plans and referrals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from django.http import Http404

from wraparound.accounts.actor import Actor
from wraparound.audit.services import PersonRead, audit_reads
from wraparound.consent.categories import DataCategory
from wraparound.consent.models import Purpose
from wraparound.consent.policy import decide
from wraparound.enrolments.models import Enrolment, ServiceEvent

CATEGORY = DataCategory.PLANS_REFERRALS


class EnrolmentNotFound(Http404):
    pass


@dataclass(frozen=True)
class EnrolmentView:
    enrolment: Enrolment
    events: list[ServiceEvent]
    units: Decimal
    minutes: int
    cost: Decimal
    runs_service: bool


def enrolment_get(*, actor: Actor, enrolment_id: int) -> EnrolmentView:
    enrolment = (
        Enrolment.objects.select_related("person", "service", "organisation", "referral")
        .filter(pk=enrolment_id)
        .first()
    )
    if enrolment is None:
        raise EnrolmentNotFound("No enrolment with that id")
    membership = actor.membership
    runs = membership is not None and membership.organisation_id == enrolment.organisation_id
    decision = decide(actor=actor, person=enrolment.person, category=CATEGORY)
    if not runs and not decision:
        raise EnrolmentNotFound("No enrolment with that id")
    events = list(enrolment.events.select_related("delivered_by").order_by("-on", "-id"))
    totals = enrolment.events.aggregate(
        units=Sum("units"), minutes=Sum("duration_minutes"), cost=Sum("cost"), n=Count("id")
    )
    audit_reads(
        actor=actor,
        action="enrolment.view",
        purpose=Purpose.CARE_COORDINATION,
        summary=f"Viewed the enrolment in {enrolment.service.name}",
        reads=[
            PersonRead(
                enrolment.person_id,
                [CATEGORY],
                "your organisation runs the service" if runs else decision.reason,
                decision.break_glass and not runs,
            )
        ],
    )
    return EnrolmentView(
        enrolment=enrolment,
        events=events,
        units=totals["units"] or Decimal(0),
        minutes=totals["minutes"] or 0,
        cost=totals["cost"] or Decimal(0),
        runs_service=runs,
    )


def enrolment_for_update(*, actor: Actor, enrolment_id: int) -> Enrolment:
    enrolment = (
        Enrolment.objects.select_related("person", "service", "organisation", "referral")
        .filter(pk=enrolment_id)
        .first()
    )
    membership = actor.membership
    if (
        enrolment is None
        or membership is None
        or membership.organisation_id != enrolment.organisation_id
    ):
        raise EnrolmentNotFound("No enrolment with that id")
    return enrolment


def organisation_enrolments(*, actor: Actor, active_only: bool = True) -> list[Enrolment]:
    """The enrolments in the actor's organisation's services (first 200, newest first)."""
    membership = actor.membership
    if membership is None:
        return []
    queryset = Enrolment.objects.select_related("person", "service").filter(
        organisation_id=membership.organisation_id
    )
    if active_only:
        queryset = queryset.filter(status="active")
    return list(queryset.order_by("-started_on", "-id")[:200])
