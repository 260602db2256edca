"""Helpers for the matching and merge tests: people with their match keys built."""

from __future__ import annotations

from typing import Any

from tests import factories as f
from wraparound.core.models import Network
from wraparound.people.matching import refresh_match_keys
from wraparound.people.models import Person


def indexed_person(network: Network, **values: Any) -> Person:
    """A person (``PersonFactory``) with match keys, as ``person_create`` would leave them."""
    values.setdefault("phone", "")
    person: Person = f.PersonFactory(network=network, **values)
    refresh_match_keys(person)
    return person
