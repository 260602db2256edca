import datetime as dt

import pytest
from django.utils import timezone

from tests import factories as f
from wraparound.cases.models import CaseStatus
from wraparound.directory.models import Sector


@pytest.fixture
def hospital(personas):
    return f.OrganisationFactory(
        network=personas.network, slug="hospital", name="Royal Glamorgan", sector=Sector.HEALTH
    )


@pytest.fixture
def person(personas):
    return f.PersonFactory(
        network=personas.network,
        registered_by=personas.one_stop,
        given_name="Megan",
        family_name="Pryce",
        date_of_birth=dt.date(1980, 5, 1),
    )


@pytest.fixture
def stepped_down_case(personas, person):
    today = timezone.localdate()
    return f.CaseFactory(
        person=person,
        lead_organisation=personas.one_stop,
        key_worker=personas.keyworker,
        status=CaseStatus.STEPPED_DOWN,
        opened_on=today - dt.timedelta(days=200),
        stepped_down_on=today - dt.timedelta(days=30),
    )
