import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests import factories as f
from tests.consent import make_consent
from tests.plans.factories import PlanSettingsFactory
from wraparound.accounts.models import Role
from wraparound.audit.models import AuditEvent
from wraparound.cases.models import CaseStatus
from wraparound.consent.categories import DataCategory
from wraparound.crisis.models import AlertStatus, CrisisEvent, CrisisKind, RepresentationAlert
from wraparound.crisis.services import alert_dismiss, alert_reopen_case, crisis_event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def nurse(personas, hospital):
    user = f.UserFactory(username="nurse")
    f.MembershipFactory(user=user, organisation=hospital, role=Role.PRACTITIONER)
    return personas.actor(user)


def _yesterday() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=1)


def test_event_for_a_stepped_down_case_alerts_the_key_worker(
    personas, keyworker_actor, person, stepped_down_case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = crisis_event_record(
            actor=keyworker_actor,
            person=person,
            kind=CrisisKind.SHELTER_NIGHT,
            occurred_at=_yesterday(),
        )
    assert event.category == DataCategory.PLANS_REFERRALS
    alert = RepresentationAlert.objects.get()
    assert (alert.case, alert.key_worker, alert.status) == (
        stepped_down_case,
        personas.keyworker,
        AlertStatus.OPEN,
    )
    assert alert.case_status == CaseStatus.STEPPED_DOWN
    assert [m.to for m in mail.outbox] == [[personas.keyworker.email]]
    assert stepped_down_case.reference in mail.outbox[0].subject
    assert "Pryce" not in mail.outbox[0].body  # nothing personal in e-mail
    actions = set(AuditEvent.objects.filter(person_id=person.pk).values_list("action", flat=True))
    assert {"crisis_event.record", "representation_alert.raise"} <= actions


def test_category_follows_the_kind(keyworker_actor, person):
    kinds = {
        CrisisKind.ED_ATTENDANCE: DataCategory.HEALTH,
        CrisisKind.HOSPITAL_ADMISSION: DataCategory.HEALTH,
        CrisisKind.CRISIS_TEAM: DataCategory.MENTAL_HEALTH,
        CrisisKind.POLICE_CUSTODY: DataCategory.LEGAL,
    }
    for kind, category in kinds.items():
        event = crisis_event_record(
            actor=keyworker_actor, person=person, kind=kind, occurred_at=_yesterday()
        )
        assert event.category == category


def test_no_alert_for_an_open_case_or_one_closed_long_ago(personas, keyworker_actor, person):
    today = timezone.localdate()
    f.CaseFactory(person=person, lead_organisation=personas.one_stop)
    f.CaseFactory(
        person=person,
        lead_organisation=personas.partner_org,
        status=CaseStatus.CLOSED,
        opened_on=today - dt.timedelta(days=900),
        closed_on=today - dt.timedelta(days=400),
        closure_reason="goals_met",
    )
    crisis_event_record(
        actor=keyworker_actor, person=person, kind="ed_attendance", occurred_at=_yesterday()
    )
    assert RepresentationAlert.objects.count() == 0


def test_the_window_is_network_configuration(personas, keyworker_actor, person):
    today = timezone.localdate()
    case = f.CaseFactory(
        person=person,
        lead_organisation=personas.partner_org,
        status=CaseStatus.CLOSED,
        opened_on=today - dt.timedelta(days=900),
        closed_on=today - dt.timedelta(days=400),
        closure_reason="goals_met",
    )
    PlanSettingsFactory(network=personas.network, version=1, representation_window_days=500)
    crisis_event_record(
        actor=keyworker_actor, person=person, kind="ed_attendance", occurred_at=_yesterday()
    )
    alert = RepresentationAlert.objects.get()
    # No key worker on the case: the lead organisation gets it.
    assert (alert.case, alert.key_worker, alert.organisation) == (
        case,
        None,
        personas.partner_org,
    )


def test_an_event_before_the_step_down_is_not_a_re_presentation(
    keyworker_actor, person, stepped_down_case
):
    crisis_event_record(
        actor=keyworker_actor,
        person=person,
        kind="ed_attendance",
        occurred_at=timezone.now() - dt.timedelta(days=60),
    )
    assert RepresentationAlert.objects.count() == 0


def test_unassigned_alert_mails_the_lead_organisations_caseworkers(
    personas, keyworker_actor, person, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    f.CaseFactory(
        person=person,
        lead_organisation=personas.one_stop,
        status=CaseStatus.STEPPED_DOWN,
        opened_on=today - dt.timedelta(days=100),
        stepped_down_on=today - dt.timedelta(days=10),
    )
    with django_capture_on_commit_callbacks(execute=True):
        crisis_event_record(
            actor=keyworker_actor, person=person, kind="crisis_team", occurred_at=_yesterday()
        )
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([personas.keyworker.email, personas.manager.email])


@pytest.mark.parametrize(
    ("kind", "when", "detail", "field"),
    [
        ("fire", None, "", "kind"),
        ("ed_attendance", dt.timedelta(days=2), "", "occurred_at"),
        ("ed_attendance", -dt.timedelta(days=365 * 11), "", "occurred_at"),
        ("ed_attendance", None, "x" * 501, "detail"),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(keyworker_actor, person, kind, when, detail, field):
    occurred_at = timezone.now() + when if when else _yesterday()
    with pytest.raises(ValidationError) as error:
        crisis_event_record(
            actor=keyworker_actor, person=person, kind=kind, occurred_at=occurred_at, detail=detail
        )
    assert field in error.value.message_dict
    assert CrisisEvent.objects.count() == 0


def test_event_before_birth_refused(keyworker_actor, person):
    person.date_of_birth = timezone.localdate() - dt.timedelta(days=400)
    person.save()
    with pytest.raises(ValidationError, match="before the person was born"):
        crisis_event_record(
            actor=keyworker_actor,
            person=person,
            kind="ed_attendance",
            occurred_at=timezone.now() - dt.timedelta(days=500),
        )


def test_outsider_cannot_record_for_someone_they_cannot_see(personas, person):
    with pytest.raises(PermissionDenied):
        crisis_event_record(
            actor=personas.actor(personas.outsider),
            person=person,
            kind="ed_attendance",
            occurred_at=_yesterday(),
        )


def test_reopen_from_the_alert_in_one_step(personas, keyworker_actor, person, stepped_down_case):
    crisis_event_record(
        actor=keyworker_actor, person=person, kind="police_custody", occurred_at=_yesterday()
    )
    alert = RepresentationAlert.objects.get()
    with pytest.raises(PermissionDenied):
        alert_reopen_case(actor=personas.actor(personas.partner), alert=alert)
    alert = alert_reopen_case(actor=keyworker_actor, alert=alert)
    stepped_down_case.refresh_from_db()
    assert stepped_down_case.status == CaseStatus.OPEN
    assert alert.status == AlertStatus.REOPENED and alert.resolved_by == personas.keyworker
    with pytest.raises(ValidationError, match="case reopened already"):
        alert_reopen_case(actor=keyworker_actor, alert=alert)
    assert AuditEvent.objects.filter(action="case.reopen", person_id=person.pk).count() == 1


def test_dismiss_needs_a_reason(keyworker_actor, person, stepped_down_case):
    crisis_event_record(
        actor=keyworker_actor, person=person, kind="ed_attendance", occurred_at=_yesterday()
    )
    alert = RepresentationAlert.objects.get()
    with pytest.raises(ValidationError, match="Say why"):
        alert_dismiss(actor=keyworker_actor, alert=alert, reason="  ")
    alert = alert_dismiss(actor=keyworker_actor, alert=alert, reason="Seen, already in hand")
    assert alert.status == AlertStatus.DISMISSED
    stepped_down_case.refresh_from_db()
    assert stepped_down_case.status == CaseStatus.STEPPED_DOWN


def test_nurse_records_for_a_person_they_can_see(personas, nurse, person, stepped_down_case):
    # The hospital holds the person's consent to identity for care coordination.
    make_consent(person, categories=[DataCategory.IDENTITY], organisation=nurse.organisation)
    event = crisis_event_record(
        actor=nurse, person=person, kind="hospital_admission", occurred_at=_yesterday()
    )
    assert event.source_organisation == nurse.membership.organisation
    assert RepresentationAlert.objects.filter(event=event).count() == 1
