"""factory_boy factories for crisis events."""

from __future__ import annotations

import factory
from django.utils import timezone

from tests import factories as f
from wraparound.crisis.models import KIND_CATEGORY, CrisisEvent, CrisisKind, CrisisSource


class CrisisEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CrisisEvent

    person = factory.SubFactory(f.PersonFactory)
    network = factory.SelfAttribute("person.network")
    kind = CrisisKind.ED_ATTENDANCE
    category = factory.LazyAttribute(lambda e: KIND_CATEGORY[e.kind])
    occurred_at = factory.LazyFunction(timezone.now)
    source = CrisisSource.IMPORT
    source_organisation = factory.SubFactory(
        f.OrganisationFactory, network=factory.SelfAttribute("..person.network")
    )
    local_id = factory.Sequence(lambda n: f"EV{n:05d}")
