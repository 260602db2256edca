from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import NetworkFactory
from wraparound.accounts.actor import Actor
from wraparound.core.models import Network

# The official HSDS 3.0 schemas and examples live beside the repository, never in it.
STANDARD = Path(__file__).resolve().parents[2] / "../shared/standards/hsds-3.0"


@pytest.fixture
def standard() -> Path:
    if not (STANDARD / "schema" / "service.json").is_file():
        pytest.skip(f"the official HSDS 3.0 standard is not at {STANDARD.resolve()}")
    return STANDARD


@pytest.fixture
def network(db: None) -> Network:
    return NetworkFactory(slug="hsds-net", name="HSDS network")


@pytest.fixture
def system_actor() -> Actor:
    return Actor.system("test-import")
