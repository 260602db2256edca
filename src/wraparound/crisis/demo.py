"""Demo crisis events: imported from the network's health organisation as an agency would
send them, so that some people whose support was stepped down or closed recently raise
re-presentation alerts, and others (still in open support) do not."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.cases.models import Case, CaseStatus
from wraparound.core.models import Network
from wraparound.crisis.models import CrisisKind
from wraparound.crisis.services import crisis_events_import
from wraparound.directory.models import Organisation, Sector
from wraparound.people.models import Person

KINDS_BY_SECTOR: dict[str, tuple[str, ...]] = {
    Sector.HEALTH: (CrisisKind.ED_ATTENDANCE, CrisisKind.HOSPITAL_ADMISSION),
    Sector.MENTAL_HEALTH: (CrisisKind.CRISIS_TEAM,),
    Sector.HOUSING: (CrisisKind.SHELTER_NIGHT,),
}


def _source(network: Network) -> Organisation | None:
    """The first organisation of the first sector that runs crisis services."""
    for sector in KINDS_BY_SECTOR:
        found = Organisation.objects.filter(network=network, sector=sector).order_by("id").first()
        if found is not None:
            return found
    return Organisation.objects.filter(network=network).order_by("id").first()


def seed_crisis(
    *, network: Network, people: Sequence[Person], rng: random.Random, alerts: int = 6
) -> dict[str, int]:
    source = _source(network)
    if source is None:
        return {"crisis_events": 0, "representation_alerts": 0}
    kinds = KINDS_BY_SECTOR.get(source.sector, (CrisisKind.ED_ATTENDANCE,))
    ids = [p.pk for p in people]
    now = timezone.now()
    recent = now.date() - timedelta(days=300)
    stepped = list(
        Case.objects.filter(network=network, person_id__in=ids)
        .filter(
            status__in=[CaseStatus.STEPPED_DOWN, CaseStatus.CLOSED],
        )
        .exclude(stepped_down_on__lt=recent, status=CaseStatus.STEPPED_DOWN)
        .exclude(closed_on__lt=recent, status=CaseStatus.CLOSED)
        .select_related("person")
        .order_by("id")
    )
    rng.shuffle(stepped)
    open_people = list(
        Case.objects.filter(network=network, person_id__in=ids, status=CaseStatus.OPEN)
        .values_list("person_id", flat=True)
        .order_by("person_id")[:200]
    )
    rows = []
    for case in stepped[:alerts]:
        since = case.closed_on or case.stepped_down_on or case.opened_on
        days = max(1, min(60, (now.date() - since).days - 1))
        rows.append((case.person, now - timedelta(days=rng.randint(1, days))))
    by_id = {p.pk: p for p in people}
    for person_id in rng.sample(open_people, min(4, len(open_people))):
        rows.append((by_id[person_id], now - timedelta(days=rng.randint(1, 90))))
    result = crisis_events_import(
        actor=Actor.system("seed_demo"),
        source=source,
        rows=[
            {
                "local_id": f"DEMO-{index:04d}",
                "person_reference": person.reference,
                "kind": rng.choice(kinds),
                "occurred_at": when.isoformat(timespec="minutes"),
                "detail": "",
            }
            for index, (person, when) in enumerate(rows, start=1)
        ],
    )
    return {"crisis_events": len(result.created), "representation_alerts": result.alerts}
