"""Two years of history for the demo network, so that every dashboard shows something
meaningful, with the effects a working network would have (ADR 0017):

- **referral journeys**: most case-managed people were referred from their key worker to a
  partner service soon after their case opened, accepted, enrolled, served every two to four
  weeks and ended (goals met mostly, some disengaged), closing the loop;
- **crisis events**: emergency attendances, admissions, shelter nights and crisis-team
  contacts, more often in the year before a case opened than during support;
- **a comparison group**: people known to agencies but never case managed, assessed twice
  by the organisation that registered them, improving less and with steady crisis use;
- **records registered** when the person first came to the network, not when the seed ran;
- **satisfaction** answers at step-down and closure, **shared targets** and **crisis unit
  costs**, and the analytics store refreshed at the end.

Everything goes through the services, as the staff would have done it, then dates are moved
back the way ``referrals/demo.py`` does."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from wraparound.accounts.actor import Actor, actor_for_user
from wraparound.accounts.models import CASEWORK_ROLES, Membership, Role
from wraparound.analytics.models import TargetDirection
from wraparound.analytics.services import target_define, unit_costs_set
from wraparound.assessments.demo import (
    ADULT_AGE,
    MATRIX,
    _at,
    _backdate,
    _first_scores,
    _matrix_answers,
    _next_scores,
    _profile,
)
from wraparound.assessments.models import Assessment, AssessmentStatus
from wraparound.assessments.services import assessment_submit
from wraparound.cases.models import Case
from wraparound.consent.models import Consent
from wraparound.core.models import Network
from wraparound.crisis.demo import KINDS_BY_SECTOR
from wraparound.crisis.services import crisis_events_import
from wraparound.directory.models import Organisation
from wraparound.enrolments.models import EndReason
from wraparound.enrolments.services import enrolment_end, enrolment_start, service_event_record
from wraparound.people.models import Person
from wraparound.referrals.demo import (
    _backdate as _backdate_referral,
)
from wraparound.referrals.demo import (
    _bundle,
    _Counts,
    _move,
    _services_by_need,
    _staff_actor,
)
from wraparound.referrals.models import Referral, ReferralTransition
from wraparound.referrals.models import ReferralStatus as S
from wraparound.referrals.services import referral_create

SHARE_REFERRED = 0.8
SHARE_COMPARISON_ASSESSED = 0.9
MAX_EVENTS = 10
CRISIS_KINDS = {
    "ed_attendance": 0.45,
    "hospital_admission": 0.15,
    "shelter_night": 0.25,
    "crisis_team": 0.15,
}
# Published-style unit costs for the demo, printed beside every cost-benefit figure.
DEMO_UNIT_COSTS = {
    "ed_attendance": 242,
    "hospital_admission": 3100,
    "shelter_night": 95,
    "police_custody": 480,
    "crisis_team": 370,
}
DEMO_COST_SOURCE = (
    "Demo figures in the style of national reference costs (emergency attendance, "
    "non-elective admission, a night of emergency accommodation, a custody episode, a crisis "
    "team contact), 2025 prices"
)


class _Skip(Exception):
    """A journey that cannot happen (a full service, no one to receive it): rolled back."""


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means used here."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _moment(day: date, rng: random.Random) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(rng.randint(0, 23), rng.randint(0, 59))))


def _backdate_people(network: Network, rng: random.Random) -> None:
    """A person was registered when they first came: before their first case or assessment."""
    today = timezone.localdate()
    first_case = dict(
        Case.objects.filter(network=network)
        .values("person_id")
        .annotate(first=Min("opened_on"))
        .values_list("person_id", "first")
    )
    for person_id in Person.objects.filter(network=network).values_list("pk", flat=True):
        came = first_case.get(person_id) or today - timedelta(days=rng.randint(0, 700))
        when = _moment(came - timedelta(days=rng.randint(0, 20)), rng)
        Person.objects.filter(pk=person_id).update(created_at=min(when, timezone.now()))


def _journey(case: Case, options: list[tuple[str, object]], rng: random.Random) -> int:
    """One referral from the key worker to a partner service, accepted, enrolled, served and
    ended, all in the past. Returns the service events recorded."""
    today = timezone.localdate()
    start = case.opened_on + timedelta(days=rng.randint(7, 30))
    support_end = case.closed_on or case.stepped_down_on or today - timedelta(days=3)
    if start >= support_end - timedelta(days=21):
        raise _Skip
    need, service = rng.choice(options)
    referrer = actor_for_user(case.key_worker, via="cli") if case.key_worker else None
    receiver = _staff_actor(service.organisation_id, rng)  # type: ignore[attr-defined]
    if referrer is None or referrer.membership is None or receiver is None:
        raise _Skip
    if referrer.membership.organisation_id != case.lead_organisation_id or receiver.user is None:
        raise _Skip
    bundle = _bundle(referrer, case.person, service, _Counts())  # type: ignore[arg-type]
    referral = referral_create(
        actor=referrer,
        person=case.person,
        service=service,  # type: ignore[arg-type]
        need=need,
        case=case,
        reason="Referred when the support plan was agreed",
        bundle=bundle,
    )
    referral = _move(receiver, referral, S.ACCEPTED, rng)
    if not referral.holds_slot:
        raise _Skip
    enrolment = enrolment_start(actor=receiver, referral=referral, started_on=start)
    end = min(support_end, start + timedelta(days=rng.randint(60, 300)))
    day, events = start, 0
    while day < end and events < MAX_EVENTS:
        service_event_record(
            actor=receiver,
            enrolment=enrolment,
            on=day,
            event_type=rng.choice(["one_to_one", "advice", "practical", "advocacy"]),
            mode=rng.choice(["centre", "home_visit", "phone", "video"]),
            units=Decimal(rng.choice([1, 1, 1, 2])),
            duration_minutes=rng.choice([30, 45, 60, 90]),
            delivered_by=receiver.user,
        )
        events += 1
        day += timedelta(days=rng.randint(10, 28))
    reason = rng.choices(
        [EndReason.GOALS_MET, EndReason.COMPLETED, EndReason.DISENGAGED], weights=[5, 3, 2]
    )[0]
    enrolment_end(actor=receiver, enrolment=enrolment, ended_on=end, end_reason=reason)
    # Sent a few hours before the start's morning, answered within the SLA mostly.
    _backdate_referral(referral, (today - start).days, rng.choice([2, 5, 20, 30, 70]))
    closed = _moment(end, rng)
    Referral.objects.filter(pk=referral.pk).update(closed_at=closed, status_changed_at=closed)
    ReferralTransition.objects.filter(
        referral=referral, to_status__in=[S.COMPLETED, S.FAILED]
    ).update(at=closed)
    return events


def _referral_journeys(
    network: Network, cases: Sequence[Case], rng: random.Random, unrelated: Sequence[str]
) -> dict[str, int]:
    found = _services_by_need(network)
    counts = {"history_referrals": 0, "history_service_events": 0}
    for case in cases:
        if rng.random() >= SHARE_REFERRED:
            continue
        options = [
            (need, service)
            for need, services in found.items()
            for service in services
            if service.organisation_id != case.lead_organisation_id
            and service.organisation.slug not in unrelated
        ]
        if not options:
            continue
        try:
            with transaction.atomic():
                events = _journey(case, options, rng)  # type: ignore[arg-type]
        except (_Skip, ValidationError, PermissionDenied):
            continue
        counts["history_referrals"] += 1
        counts["history_service_events"] += events
    return counts


def _crisis_sources(network: Network) -> dict[str, Organisation]:
    sources: dict[str, Organisation] = {}
    for sector, kinds in KINDS_BY_SECTOR.items():
        organisation = Organisation.objects.filter(network=network, sector=sector).first()
        if organisation is not None:
            for kind in kinds:
                sources[kind] = organisation
    return sources


def _crisis_history(
    network: Network,
    cases: Sequence[Case],
    comparison: Sequence[Person],
    rng: random.Random,
) -> int:
    """More crises in the year before a case opened than during support; steady crisis use
    for people never case managed."""
    today = timezone.localdate()
    sources = _crisis_sources(network)
    kinds = [k for k in CRISIS_KINDS if k in sources]
    if not kinds:
        return 0
    weights = [CRISIS_KINDS[k] for k in kinds]
    rows: dict[int, list[dict[str, str]]] = {}

    def add(person: Person, day: date) -> None:
        if person.date_of_birth and day < person.date_of_birth:
            return
        kind = rng.choices(kinds, weights)[0]
        source = sources[kind]
        batch = rows.setdefault(source.pk, [])
        batch.append(
            {
                "local_id": f"HIST-{person.pk}-{len(batch)}",
                "person_reference": person.reference,
                "kind": kind,
                "occurred_at": _moment(day, rng).isoformat(timespec="minutes"),
                "detail": "",
            }
        )

    seen: set[int] = set()
    for case in cases:
        if case.person_id in seen:
            continue
        seen.add(case.person_id)
        entry = case.opened_on
        before_rate = rng.uniform(0.5, 3.5)
        for _ in range(_poisson(rng, before_rate)):
            add(case.person, entry - timedelta(days=rng.randint(1, 365)))
        support_end = min(
            case.closed_on or case.stepped_down_on or today, entry + timedelta(days=365), today
        )
        days = (support_end - entry).days
        if days > 0:
            after_rate = before_rate * rng.uniform(0.2, 0.7) * days / 365
            for _ in range(_poisson(rng, after_rate)):
                add(case.person, entry + timedelta(days=rng.randint(0, days - 1)))
    for person in comparison:
        rate = rng.uniform(0.4, 2.5)
        for _ in range(_poisson(rng, rate * 2)):
            add(person, today - timedelta(days=rng.randint(1, 729)))
    created = 0
    for source_id, batch in rows.items():
        source = Organisation.objects.get(pk=source_id)
        result = crisis_events_import(actor=Actor.system("seed_demo"), source=source, rows=batch)
        created += len(result.created)
    return created


def _assessor(person: Person) -> Actor | None:
    """A caseworker of the organisation that registered the person (who may assess them)."""
    if person.registered_by_id is None:
        return None
    membership = (
        Membership.objects.filter(
            organisation_id=person.registered_by_id,
            is_active=True,
            role__in=sorted(CASEWORK_ROLES),
            user__is_active=True,
        )
        .select_related("user", "organisation")
        .order_by("id")
        .first()
    )
    return Actor(user=membership.user, membership=membership, via="cli") if membership else None


def _comparison_assessments(people: Sequence[Person], rng: random.Random) -> int:
    """Two matrices, months apart, for people known to agencies who never had a key worker:
    mostly stalled, some improving, some worse (less change than with coordinated support)."""
    today = timezone.localdate()
    written = 0
    for person in people:
        if rng.random() >= SHARE_COMPARISON_ASSESSED:
            continue
        actor = _assessor(person)
        if actor is None:
            continue
        groups = sorted(g.group for g in person.population_groups.all())
        profile = _profile(rng, groups, family=False, stepped=False)
        profile.trajectory = rng.choices(["stalled", "improving", "worse"], [6, 2, 2])[0]
        scores = _first_scores(rng, profile)
        first = today - timedelta(days=rng.randint(200, 700))
        second = min(today - timedelta(days=1), first + timedelta(days=rng.randint(120, 260)))
        try:
            with transaction.atomic():
                for index, day in enumerate((first, second)):
                    if index:
                        scores = _next_scores(rng, profile, scores)
                    matrix = assessment_submit(
                        actor=actor,
                        person=person,
                        instrument=MATRIX,
                        answers=_matrix_answers(rng, profile, scores),
                    )
                    _backdate(matrix, _at(day, rng))
        except (ValidationError, PermissionDenied):
            continue
        written += 2
    return written


def _targets_and_costs(network: Network) -> None:
    admin = (
        Membership.objects.filter(
            organisation__network=network, role=Role.NETWORK_ADMIN, is_active=True
        )
        .select_related("user", "organisation")
        .first()
    )
    if admin is None:
        return
    actor = Actor(user=admin.user, membership=admin, via="cli")
    target_define(
        actor=actor,
        code="intensive-housing-6m",
        title="Intensive tier: housing safe within 6 months",
        outcome="stable_housing_6m",
        tier="intensive",
        target_percent=70,
        note="Housing, health and social services together",
    )
    target_define(
        actor=actor,
        code="basic-needs-safe",
        title="Basic needs reach safe",
        outcome="reached_safe",
        target_percent=60,
    )
    target_define(
        actor=actor,
        code="no-crisis-after-step-down",
        title="Back in crisis within 90 days of step-down",
        outcome="representation_after_step_down",
        target_percent=15,
        direction=TargetDirection.AT_MOST,
        note="Lower is better: a ceiling, not a floor",
    )
    unit_costs_set(actor=actor, costs=DEMO_UNIT_COSTS, source=DEMO_COST_SOURCE)


def seed_history(
    *,
    network: Network,
    people: Sequence[Person],
    rng: random.Random,
    unrelated: Sequence[str] = (),
) -> dict[str, int]:
    from wraparound.satisfaction.demo import seed_satisfaction

    today = timezone.localdate()
    ids = [p.pk for p in people]
    _backdate_people(network, rng)
    cases = list(
        Case.objects.filter(
            network=network,
            person_id__in=ids,
            key_worker__isnull=False,
            opened_on__lte=today - timedelta(days=45),
        )
        .select_related("person", "key_worker", "lead_organisation")
        .order_by("id")
    )
    # People whose consent was withdrawn or ran out keep the demo's story ("nobody gets
    # in"): no new referral (and its consent) for them.
    lapsed = set(
        Consent.objects.filter(network=network)
        .filter(Q(withdrawal__isnull=False) | Q(valid_until__lte=timezone.now()))
        .values_list("person_id", flat=True)
    )
    journeys = [case for case in cases if case.person_id not in lapsed]
    counts = _referral_journeys(network, journeys, rng, unrelated)
    case_managed = set(
        Case.objects.filter(network=network, key_worker__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    assessed = set(
        Assessment.objects.filter(network=network, status=AssessmentStatus.COMPLETED).values_list(
            "person_id", flat=True
        )
    )
    adult_born_before = today - timedelta(days=int(ADULT_AGE * 365.25))
    comparison = list(
        Person.objects.filter(
            pk__in=ids, merged_into__isnull=True, date_of_birth__lte=adult_born_before
        )
        .exclude(pk__in=case_managed | assessed)
        .prefetch_related("population_groups")
        .order_by("id")
    )
    counts["comparison_assessments"] = _comparison_assessments(comparison, rng)
    counts["history_crisis_events"] = _crisis_history(network, cases, comparison, rng)
    counts |= seed_satisfaction(network=network, rng=rng)
    _targets_and_costs(network)
    return counts
