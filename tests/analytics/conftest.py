from tests.plans.conftest import case, person  # noqa: F401
