import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests import factories as f
from tests.plans.factories import ExitPlanFactory
from wraparound.audit.models import AuditEvent
from wraparound.cases.models import CASE_TRANSITIONS, Case, CaseStatus
from wraparound.cases.services import (
    case_assign_key_worker,
    case_close,
    case_open,
    case_reopen,
    case_step_down,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(personas):
    return f.PersonFactory(network=personas.network, registered_by=personas.one_stop)


def test_open_assigns_and_notifies_key_worker_on_commit(
    personas, keyworker_actor, person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(
            actor=keyworker_actor,
            person=person,
            entry_route="case_management",
            key_worker=personas.keyworker,
        )
    assert case.status == CaseStatus.OPEN
    assert case.lead_organisation == personas.one_stop
    assert case.opened_on == timezone.localdate()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [personas.keyworker.email]
    assert case.reference in message.subject
    assert person.family_name not in message.body  # no personal details in e-mail
    assert AuditEvent.objects.filter(action="case.open", person_id=person.pk).exists()


def test_no_mail_when_the_transaction_rolls_back(
    personas, keyworker_actor, person, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError),
    ):
        case_open(
            actor=keyworker_actor,
            person=person,
            entry_route="nonsense",
            key_worker=personas.keyworker,
        )
    assert callbacks == []
    assert mail.outbox == []


def test_second_active_case_at_same_organisation_refused(keyworker_actor, person):
    case_open(actor=keyworker_actor, person=person, entry_route="case_management")
    with pytest.raises(ValidationError, match="already has an active case"):
        case_open(actor=keyworker_actor, person=person, entry_route="lead_agency")
    assert Case.objects.count() == 1


def test_key_worker_must_belong_to_the_lead_organisation(personas, keyworker_actor, person):
    with pytest.raises(ValidationError, match="not an active key worker"):
        case_open(
            actor=keyworker_actor,
            person=person,
            entry_route="case_management",
            key_worker=personas.partner,
        )
    assert Case.objects.count() == 0


def test_future_opening_date_refused(keyworker_actor, person):
    with pytest.raises(ValidationError, match="future"):
        case_open(
            actor=keyworker_actor,
            person=person,
            entry_route="case_management",
            opened_on=timezone.localdate() + dt.timedelta(days=2),
        )


def test_outsider_cannot_open_a_case_for_someone_they_cannot_see(personas, person):
    with pytest.raises(PermissionDenied):
        case_open(
            actor=personas.actor(personas.outsider), person=person, entry_route="case_management"
        )


def test_assign_key_worker_records_the_change(
    personas, keyworker_actor, person, django_capture_on_commit_callbacks
):
    case = case_open(
        actor=keyworker_actor,
        person=person,
        entry_route="case_management",
        key_worker=personas.keyworker,
    )
    colleague = f.UserFactory(username="colleague", first_name="Rhys", last_name="Price")
    f.MembershipFactory(user=colleague, organisation=personas.one_stop, role="key_worker")
    with django_capture_on_commit_callbacks(execute=True):
        case_assign_key_worker(
            actor=personas.actor(personas.manager), case=case, key_worker=colleague
        )
    event = AuditEvent.objects.get(action="case.assign_key_worker")
    assert "to Rhys Price" in event.summary
    assert mail.outbox[-1].to == [colleague.email]


def test_partner_cannot_change_a_case_led_by_the_one_stop(personas, keyworker_actor, person):
    case = case_open(actor=keyworker_actor, person=person, entry_route="case_management")
    with pytest.raises(PermissionDenied):
        case_step_down(actor=personas.actor(personas.partner), case=case)


def test_lifecycle_step_down_close_reopen(keyworker_actor, person):
    case = case_open(
        actor=keyworker_actor,
        person=person,
        entry_route="case_management",
        opened_on=timezone.localdate() - dt.timedelta(days=10),
    )
    case = case_step_down(actor=keyworker_actor, case=case)
    assert case.status == CaseStatus.STEPPED_DOWN
    ExitPlanFactory(case=case)  # closing needs an exit plan (plans, ADR 0013)
    case = case_close(actor=keyworker_actor, case=case, reason="goals_met")
    assert (case.status, case.closure_reason) == (CaseStatus.CLOSED, "goals_met")
    case = case_reopen(actor=keyworker_actor, case=case)
    assert case.status == CaseStatus.OPEN and case.closed_on is None
    actions = list(
        AuditEvent.objects.filter(person_id=person.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["case.open", "case.step_down", "case.close", "case.reopen"]


def test_close_without_a_reason_is_refused(keyworker_actor, person):
    case = case_open(actor=keyworker_actor, person=person, entry_route="case_management")
    for reason in ("", "because"):
        with pytest.raises(ValidationError, match="Choose why"):
            case_close(actor=keyworker_actor, case=case, reason=reason)
    with pytest.raises(ValidationError, match="Say why"):
        case_close(actor=keyworker_actor, case=case, reason="other", note="  ")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_close_before_opening_date_refused(keyworker_actor, person):
    case = case_open(actor=keyworker_actor, person=person, entry_route="case_management")
    with pytest.raises(ValidationError, match="cannot be before"):
        case_close(
            actor=keyworker_actor,
            case=case,
            reason="goals_met",
            on=case.opened_on - dt.timedelta(days=1),
        )


@pytest.mark.parametrize("status", list(CaseStatus))
def test_illegal_moves_are_refused(keyworker_actor, person, personas, status):
    case = f.CaseFactory(
        person=person,
        lead_organisation=personas.one_stop,
        status=status,
        closed_on=timezone.localdate() if status == "closed" else None,
        closure_reason="goals_met" if status == "closed" else "",
    )
    moves = {
        CaseStatus.STEPPED_DOWN: lambda: case_step_down(actor=keyworker_actor, case=case),
        CaseStatus.CLOSED: lambda: case_close(actor=keyworker_actor, case=case, reason="goals_met"),
        CaseStatus.OPEN: lambda: case_reopen(actor=keyworker_actor, case=case),
    }
    for target, move in moves.items():
        if target in CASE_TRANSITIONS[status]:
            continue
        with pytest.raises(ValidationError, match="cannot be"):
            move()
        case.refresh_from_db()
        assert case.status == status


def test_database_refuses_a_closed_case_without_reason(personas, person):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        f.CaseFactory(
            person=person,
            lead_organisation=personas.one_stop,
            status=CaseStatus.CLOSED,
            closed_on=timezone.localdate(),
            closure_reason="",
        )
