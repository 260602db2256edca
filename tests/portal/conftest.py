import pytest

from tests.eligibility.conftest import setup  # noqa: F401  (the screening network)
from tests.plans.conftest import case, person  # noqa: F401
from tests.portal.factories import CitizenAccountFactory


@pytest.fixture
def account(personas, person):  # noqa: F811
    return CitizenAccountFactory(network=personas.network, person=person, email="rhys@example.org")
