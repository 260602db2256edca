"""Two practitioners taking the last place at the same moment: exactly one gets it. Real
threads with their own connections, so it needs PostgreSQL (`.ci/run` runs the suite on
PostgreSQL too); SQLite serialises every write, which cannot show the race."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests import factories as f
from tests.referrals.factories import consent_to, housing_service, refer
from wraparound.directory.models import Service
from wraparound.referrals.models import Referral, WaitlistEntry
from wraparound.referrals.services import referral_transition

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent transactions"
    ),
]


def test_the_last_place_goes_to_exactly_one(personas):
    service = housing_service(personas, capacity_total=1, capacity_available=1)
    referrals = []
    for _ in range(2):
        person = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
        consent_to(personas, person, personas.partner_org)
        referrals.append(refer(personas, person, service))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def accept(referral: Referral) -> None:
        try:
            barrier.wait()
            referral_transition(
                actor=personas.actor(personas.partner), referral=referral, to="accepted"
            )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(r,)) for r in referrals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Referral.objects.filter(holds_slot=True).count() == 1
    assert WaitlistEntry.objects.filter(status="waiting").count() == 1
    assert Service.objects.get(pk=service.pk).capacity_available == 0
