import datetime as dt

import pytest
from django.utils import timezone

from tests import factories as f


@pytest.fixture
def person(personas):
    return f.PersonFactory(
        network=personas.network,
        registered_by=personas.one_stop,
        given_name="Rhys",
        family_name="Morgan",
    )


@pytest.fixture
def case(personas, person):
    return f.CaseFactory(
        person=person,
        lead_organisation=personas.one_stop,
        key_worker=personas.keyworker,
        opened_on=timezone.localdate() - dt.timedelta(days=90),
    )
