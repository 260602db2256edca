import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.conftest import audit_lock_queries
from tests.plans.factories import ExitPlanFactory
from wraparound.cases.models import Case, CaseStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(personas):
    return f.PersonFactory(
        network=personas.network,
        registered_by=personas.one_stop,
        given_name="Dafydd",
        family_name="Rees",
    )


def test_open_a_case_and_see_it_on_the_record(personas, keyworker_client, person):
    form = keyworker_client.get(f"/cases/open/{person.pk}").content.decode()
    assert "How did they come to us?" in form
    response = keyworker_client.post(
        f"/cases/open/{person.pk}",
        {
            "entry_route": "case_management",
            "key_worker": str(personas.keyworker.pk),
            "opened_on_0": "",
            "opened_on_1": "",
            "opened_on_2": "",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    record = keyworker_client.get(f"/people/{person.pk}/").content.decode()
    assert case.reference in record and "Open" in record
    assert f"Case {case.reference} opened by {personas.one_stop.name}" in record
    caseload = keyworker_client.get("/").content.decode()
    assert "Dafydd Rees" in caseload


def test_open_case_without_route_shows_error(keyworker_client, person):
    response = keyworker_client.post(f"/cases/open/{person.pk}", {"key_worker": ""})
    assert "Choose how the person came to us" in response.content.decode()
    assert Case.objects.count() == 0


def test_close_needs_a_reason_then_closes(personas, keyworker_client, person):
    case = f.CaseFactory(
        person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker
    )
    response = keyworker_client.post(f"/cases/{case.pk}/close", {"closure_note": "moving on"})
    page = response.content.decode()
    assert "Choose why the case is closing" in page and 'href="#id_closure_reason_0"' in page
    assert "moving on" in page
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    no_exit_plan = keyworker_client.post(
        f"/cases/{case.pk}/close", {"closure_reason": "goals_met", "closure_note": ""}
    )
    assert "Make an exit plan before closing the case" in no_exit_plan.content.decode()
    ExitPlanFactory(case=case)
    response = keyworker_client.post(
        f"/cases/{case.pk}/close", {"closure_reason": "goals_met", "closure_note": ""}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_step_down_reopen_and_assign(personas, keyworker_client, person):
    case = f.CaseFactory(
        person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker
    )
    keyworker_client.post(f"/cases/{case.pk}/step-down", {})
    case.refresh_from_db()
    assert case.status == CaseStatus.STEPPED_DOWN
    keyworker_client.post(f"/cases/{case.pk}/reopen")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    response = keyworker_client.post(
        f"/cases/{case.pk}/key-worker", {"key_worker": str(personas.manager.pk)}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.key_worker == personas.manager
    bad = keyworker_client.post(
        f"/cases/{case.pk}/key-worker", {"key_worker": str(personas.partner.pk)}
    )
    assert "Select a valid choice" in bad.content.decode()


def test_partner_sees_no_case_actions_and_cannot_post(personas, person):
    case = f.CaseFactory(person=person, lead_organisation=personas.one_stop)
    partner = personas.client(personas.partner)
    assert partner.get(f"/cases/{case.pk}/").status_code == 404
    assert partner.post(f"/cases/{case.pk}/close", {"closure_reason": "died"}).status_code == 404
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_caseload_query_count_is_constant(personas, keyworker_client):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = keyworker_client.get("/")
        assert response.status_code == 200
        return len(ctx.captured_queries)

    def add(n):
        for _ in range(n):
            f.CaseFactory(
                person=f.PersonFactory(network=personas.network),
                lead_organisation=personas.one_stop,
                key_worker=personas.keyworker,
            )

    add(2)
    few = count()
    add(30)
    # incl. legal-basis/break-glass ids, the audit of the rows shown, the overdue plan
    # reviews, the exit-plan check-ins due and the count of open re-presentation alerts
    assert count() == few <= 16 + audit_lock_queries()


def test_caseload_orders_by_newest_activity(personas, keyworker_client):
    old = f.CaseFactory(
        person=f.PersonFactory(network=personas.network, given_name="Old"),
        lead_organisation=personas.one_stop,
        key_worker=personas.keyworker,
    )
    f.CaseFactory(
        person=f.PersonFactory(network=personas.network, given_name="New"),
        lead_organisation=personas.one_stop,
        key_worker=personas.keyworker,
    )
    page = keyworker_client.get("/").content.decode()
    assert page.index("New ") < page.index("Old ")
    keyworker_client.post(f"/cases/{old.pk}/step-down", {})
    page = keyworker_client.get("/").content.decode()
    assert page.index("Old ") < page.index("New ")
