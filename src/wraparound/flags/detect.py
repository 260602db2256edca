"""Detection of coordination flags over the database, for a set of people at once (a few
queries whatever their number). Pure reads: ``services.flags_refresh`` raises and resolves.

- duplication: two or more active enrolments in services meeting the same need, at
  different organisations (key: the need);
- five cars: N or more home visits by different organisations to one household (or the
  person, when not in a household) within a window of days (key: the household and the
  window's first day);
- gap: a need in the person's agreed care plan with no referral (other than cancelled or
  entered in error) and no active enrolment for it, N days after the plan was agreed
  (key: the need);
- bounce: referrals for the same need rejected N or more times (key: the need).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from wraparound.appointments.models import Appointment, AppointmentStatus, Place
from wraparound.directory.models import ServiceNeed
from wraparound.directory.needs import NeedCategory
from wraparound.enrolments.models import Enrolment, EnrolmentStatus
from wraparound.flags.models import FlagKind, FlagSettings
from wraparound.people.models import HouseholdMember
from wraparound.plans.models import CarePlanStatus, Goal
from wraparound.referrals.models import Referral, ReferralStatus

LOOK_BACK = dt.timedelta(days=7)
LOOK_AHEAD = dt.timedelta(days=28)


@dataclass(frozen=True)
class Thresholds:
    gap_days: int = 14
    home_visits: int = 3
    home_visit_window_days: int = 7
    bounce_rejections: int = 2


def thresholds_for(network_id: int) -> Thresholds:
    current = FlagSettings.objects.filter(network_id=network_id).order_by("-version").first()
    if current is None:
        return Thresholds()
    return Thresholds(
        gap_days=current.gap_days,
        home_visits=current.home_visits,
        home_visit_window_days=current.home_visit_window_days,
        bounce_rejections=current.bounce_rejections,
    )


@dataclass(frozen=True)
class Found:
    person_id: int
    kind: str
    key: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    household_id: int | None = None


def _need_label(code: str) -> str:
    try:
        return str(NeedCategory(code).label).lower()
    except ValueError:
        return code


def duplication(person_ids: list[int]) -> list[Found]:
    rows: list[dict[str, Any]] = [
        dict(r)
        for r in Enrolment.objects.filter(
            person_id__in=person_ids, status=EnrolmentStatus.ACTIVE
        ).values(
            "pk",
            "person_id",
            "service_id",
            "service__name",
            "organisation_id",
            "organisation__name",
        )
    ]
    needs: dict[int, set[str]] = defaultdict(set)
    for service_id, need in ServiceNeed.objects.filter(
        service_id__in={r["service_id"] for r in rows}
    ).values_list("service_id", "need"):
        needs[service_id].add(need)
    by_need: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        for need in needs[row["service_id"]]:
            by_need[(row["person_id"], need)].append(row)
    found = []
    for (person_id, need), enrolments in sorted(by_need.items()):
        organisations = {e["organisation_id"] for e in enrolments}
        if len(organisations) < 2:
            continue
        names = sorted({e["organisation__name"] for e in enrolments})
        found.append(
            Found(
                person_id,
                FlagKind.DUPLICATION,
                need,
                f"{_need_label(need).capitalize()} is being met by {len(organisations)} "
                f"organisations at once: {', '.join(names)}",
                {
                    "need": need,
                    "enrolments": sorted(e["pk"] for e in enrolments),
                    "organisations": sorted(organisations),
                },
            )
        )
    return found


def five_cars(person_ids: list[int], thresholds: Thresholds, now: dt.datetime) -> list[Found]:
    households: dict[int, int] = dict(
        HouseholdMember.objects.filter(person_id__in=person_ids).values_list(
            "person_id", "household_id"
        )
    )
    members: dict[int, list[int]] = defaultdict(list)
    for person_id, household_id in HouseholdMember.objects.filter(
        household_id__in=set(households.values())
    ).values_list("person_id", "household_id"):
        members[household_id].append(person_id)
    everyone = set(person_ids) | {p for ids in members.values() for p in ids}
    visits = list(
        Appointment.objects.filter(
            person_id__in=everyone,
            place=Place.HOME_VISIT,
            starts_at__gte=now - LOOK_BACK,
            starts_at__lt=now + LOOK_AHEAD,
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .values("pk", "person_id", "organisation_id", "organisation__name", "starts_at")
        .order_by("starts_at")
    )
    window = dt.timedelta(days=thresholds.home_visit_window_days)
    found = []
    for person_id in person_ids:
        home_id = households.get(person_id)
        home = set(members[home_id]) if home_id else {person_id}
        home_visits = [v for v in visits if v["person_id"] in home]
        for i, first in enumerate(home_visits):
            inside = [v for v in home_visits[i:] if v["starts_at"] < first["starts_at"] + window]
            organisations = {v["organisation_id"] for v in inside}
            if len(organisations) >= thresholds.home_visits:
                day = timezone.localtime(first["starts_at"]).date()
                names = sorted({v["organisation__name"] for v in inside})
                key = f"{'household:' + str(home_id) if home_id else 'person'}:{day}"
                found.append(
                    Found(
                        person_id,
                        FlagKind.FIVE_CARS,
                        key,
                        f"{len(organisations)} organisations visit the same home within "
                        f"{thresholds.home_visit_window_days} days from {day:%d %b}: "
                        f"{', '.join(names)}",
                        {"appointments": [v["pk"] for v in inside], "from": str(day)},
                        home_id,
                    )
                )
                break  # one flag per home per refresh: the earliest crowded window
    return found


def gaps(person_ids: list[int], thresholds: Thresholds, now: dt.datetime) -> list[Found]:
    cutoff = timezone.localdate(now) - dt.timedelta(days=thresholds.gap_days)
    goals = list(
        Goal.objects.filter(
            plan__person_id__in=person_ids,
            plan__status=CarePlanStatus.AGREED,
            plan__agreed_on__lte=cutoff,
        ).values("plan__person_id", "need_category", "plan__agreed_on")
    )
    referred = set(
        Referral.objects.filter(person_id__in=person_ids)
        .exclude(status__in=[ReferralStatus.CANCELLED, ReferralStatus.ENTERED_IN_ERROR])
        .values_list("person_id", "need")
    )
    enrolled: set[tuple[int, str]] = set()
    for person_id, need in Enrolment.objects.filter(
        person_id__in=person_ids, status=EnrolmentStatus.ACTIVE
    ).values_list("person_id", "service__needs__need"):
        if need:
            enrolled.add((person_id, need))
    found = []
    seen: set[tuple[int, str]] = set()
    for goal in goals:
        key = (goal["plan__person_id"], goal["need_category"])
        if key in seen or key in referred or key in enrolled:
            continue
        seen.add(key)
        found.append(
            Found(
                key[0],
                FlagKind.GAP,
                key[1],
                f"{_need_label(key[1]).capitalize()} is in the plan agreed on "
                f"{goal['plan__agreed_on']:%d %b %Y}, with no referral or service since",
                {"need": key[1], "agreed_on": str(goal["plan__agreed_on"])},
            )
        )
    return found


def bounces(person_ids: list[int], thresholds: Thresholds) -> list[Found]:
    rejected: dict[tuple[int, str], list[int]] = defaultdict(list)
    for pk, person_id, need in Referral.objects.filter(
        person_id__in=person_ids, status=ReferralStatus.REJECTED
    ).values_list("pk", "person_id", "need"):
        rejected[(person_id, need)].append(pk)
    return [
        Found(
            person_id,
            FlagKind.BOUNCE,
            need,
            f"Referrals for {_need_label(need)} were rejected {len(ids)} times",
            {"need": need, "referrals": sorted(ids)},
        )
        for (person_id, need), ids in sorted(rejected.items())
        if len(ids) >= thresholds.bounce_rejections
    ]


def detect(
    person_ids: Iterable[int], *, thresholds: Thresholds, now: dt.datetime | None = None
) -> list[Found]:
    ids = sorted(set(person_ids))
    now = now or timezone.now()
    return [
        *duplication(ids),
        *five_cars(ids, thresholds, now),
        *gaps(ids, thresholds, now),
        *bounces(ids, thresholds),
    ]
