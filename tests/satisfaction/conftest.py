import pytest

from tests.plans.conftest import case, person  # noqa: F401
from tests.portal.factories import CitizenAccountFactory
from tests.satisfaction.factories import invitation_with_token

TOKEN = "a-known-survey-token"


@pytest.fixture
def account(personas, person):  # noqa: F811
    return CitizenAccountFactory(network=personas.network, person=person, email="rhys@example.org")


@pytest.fixture
def invitation(case):  # noqa: F811
    return invitation_with_token(case, TOKEN)
