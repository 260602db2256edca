"""The person on the key worker's caseload and their case, shared with the plans tests."""

from tests.plans.conftest import case, person

__all__ = ["case", "person"]
