from __future__ import annotations

import pytest

from tests import factories as f
from tests.conftest import Personas
from wraparound.assessments.loader import load_all
from wraparound.people.models import Person


@pytest.fixture
def instruments(db: None) -> None:
    load_all(loaded_by="tests")


@pytest.fixture
def client_person(personas: Personas, instruments: None) -> Person:
    """A person on the key worker's caseload (the one-stop centre leads their case)."""
    person = f.PersonFactory(network=personas.network, given_name="Siân", family_name="Evans")
    f.CaseFactory(person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker)
    return person
