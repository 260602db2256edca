from tests.portal.conftest import account, case, person, setup  # noqa: F401
