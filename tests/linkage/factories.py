"""Factories for the master client index."""

from __future__ import annotations

import factory

from tests import factories as f
from wraparound.linkage.models import SourceRecord


class SourceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceRecord

    source = factory.SubFactory(f.OrganisationFactory)
    network = factory.SelfAttribute("source.network")
    local_id = factory.Sequence(lambda n: f"L{n:05d}")
    given_name = "Sian"
    family_name = "Evans"
