"""Referral lifecycle rules: who may move a referral where, reasons, capacity, waitlist."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests import factories as f
from tests.referrals.factories import consent_to, housing_service, refer
from wraparound.audit.models import AuditEvent
from wraparound.directory.models import Service
from wraparound.notifications.models import Notification
from wraparound.referrals.models import (
    ReasonCode,
    Referral,
    ReferralTransition,
    WaitlistEntry,
    WaitlistStatus,
)
from wraparound.referrals.models import (
    ReferralStatus as S,
)
from wraparound.referrals.services import (
    ConsentRequired,
    IllegalTransition,
    referral_first_contact,
    referral_transition,
)


@pytest.fixture
def service(personas):
    return housing_service(personas)


@pytest.fixture
def consented(personas, person, case):
    consent_to(personas, person, personas.partner_org, "assessments")
    return person


def move(personas, user, referral, to, **kwargs):
    return referral_transition(actor=personas.actor(user), referral=referral, to=to, **kwargs)


def test_no_consent_to_the_receiving_organisation_means_nothing_is_sent(
    personas, person, case, service
):
    with pytest.raises(ConsentRequired) as caught:
        refer(personas, person, service)
    assert caught.value.organisation_id == personas.partner_org.pk
    assert "record their consent first" in str(caught.value)
    assert not Referral.objects.exists()


def test_bundle_category_without_consent_is_refused(personas, consented, service):
    with pytest.raises(ConsentRequired) as caught:
        refer(personas, consented, service, bundle=["assessments", "mental_health"])
    assert caught.value.categories == ["mental_health"]
    assert "mental health" in str(caught.value)
    assert not Referral.objects.exists()


def test_sent_referral_is_requested_with_due_times_history_audit_and_notice(
    personas, consented, service
):
    referral = refer(personas, consented, service, bundle=["assessments"])
    assert referral.status == S.REQUESTED
    assert referral.bundle == ["assessments"]
    assert referral.receiving_organisation == personas.partner_org
    assert referral.respond_by > referral.requested_at
    assert referral.first_contact_by is not None
    assert [t.to_status for t in referral.transitions.all()] == [S.DRAFT, S.REQUESTED]
    assert AuditEvent.objects.filter(action="referral.send", person_id=consented.pk).exists()
    assert Notification.objects.filter(
        recipient=personas.partner, kind="referral.requested"
    ).exists()


def test_bad_input_is_named_field_by_field_and_nothing_is_written(personas, consented):
    closed = housing_service(personas, name="Closed", accepts_referrals=False)
    with pytest.raises(ValidationError) as caught:
        refer(personas, consented, closed, need="not-a-need", reason=" ", urgency="whenever")
    errors = caught.value.message_dict
    assert "does not take referrals" in errors["service"][0]
    assert set(errors) >= {"service", "reason", "urgency"}
    assert not Referral.objects.exists()


def test_need_the_service_does_not_meet_is_refused(personas, consented, service):
    with pytest.raises(ValidationError) as caught:
        refer(personas, consented, service, need="food-insecurity")
    assert "does not meet food insecurity" in caught.value.message_dict["need"][0]


def test_outsider_cannot_refer_someone_they_do_not_work_with(personas, consented, service):
    with pytest.raises(PermissionDenied):
        refer(personas, consented, service, by=personas.outsider)


def test_receiver_accepts_and_takes_a_slot_then_completes_with_outcome(
    personas, consented, service
):
    referral = refer(personas, consented, service)
    accepted = move(personas, personas.partner, referral, S.ACCEPTED)
    assert accepted.holds_slot
    assert Service.objects.get(pk=service.pk).capacity_available == 1
    assert accepted.responded_at is not None
    with pytest.raises(ValidationError) as caught:
        move(personas, personas.partner, referral, S.COMPLETED)
    assert "what was provided" in caught.value.message_dict["outcome"][0]
    done = move(personas, personas.partner, referral, S.COMPLETED, outcome="Tenancy saved")
    assert done.outcome == "Tenancy saved" and done.closed_at is not None
    assert not done.holds_slot
    assert Service.objects.get(pk=service.pk).capacity_available == 2
    assert Notification.objects.filter(
        recipient=personas.keyworker, kind="referral.completed"
    ).exists()


def test_referrer_cannot_accept_and_receiver_cannot_mark_entered_in_error(
    personas, consented, service
):
    referral = refer(personas, consented, service)
    with pytest.raises(IllegalTransition) as caught:
        move(personas, personas.keyworker, referral, S.ACCEPTED)
    assert "Only the receiving service" in str(caught.value)
    assert caught.value.allowed == [S.ENTERED_IN_ERROR, S.CANCELLED] or set(
        caught.value.allowed
    ) == {
        S.CANCELLED,
        S.ENTERED_IN_ERROR,
    }
    with pytest.raises(IllegalTransition):
        move(personas, personas.partner, referral, S.ENTERED_IN_ERROR)
    assert Referral.objects.get(pk=referral.pk).status == S.REQUESTED


def test_illegal_move_from_a_terminal_status(personas, consented, service):
    referral = refer(personas, consented, service)
    move(
        personas,
        personas.partner,
        referral,
        S.REJECTED,
        reason_code=ReasonCode.OUT_OF_AREA,
        reason="Lives in Cardiff",
    )
    with pytest.raises(IllegalTransition) as caught:
        move(personas, personas.partner, referral, S.ACCEPTED)
    assert "A rejected referral cannot become accepted" in str(caught.value)
    assert caught.value.allowed == []


@pytest.mark.parametrize("to", [S.REJECTED, S.ON_HOLD])
def test_reason_code_and_text_required(personas, consented, service, to):
    referral = refer(personas, consented, service)
    with pytest.raises(ValidationError) as caught:
        move(personas, personas.partner, referral, to, reason_code="", reason="")
    assert set(caught.value.message_dict) == {"reason_code", "reason"}
    with pytest.raises(ValidationError):  # a code that does not fit the status
        move(
            personas,
            personas.partner,
            referral,
            to,
            reason_code=ReasonCode.NEED_MET_ELSEWHERE,
            reason="x",
        )
    assert ReferralTransition.objects.filter(referral=referral).count() == 2


def test_cancel_by_either_side_with_reason(personas, consented, service):
    referral = refer(personas, consented, service)
    cancelled = move(
        personas,
        personas.keyworker,
        referral,
        S.CANCELLED,
        reason_code=ReasonCode.NEED_MET_ELSEWHERE,
        reason="Council found a flat",
    )
    assert cancelled.status_reason_code == ReasonCode.NEED_MET_ELSEWHERE
    last = cancelled.transitions.last()
    assert last.side == "referrer" and last.reason == "Council found a flat"


def test_unrelated_organisation_cannot_move_it(personas, consented, service):
    referral = refer(personas, consented, service)
    with pytest.raises(PermissionDenied):
        move(personas, personas.outsider, referral, S.CANCELLED, reason_code="other", reason="x")


def test_full_service_waitlists_and_freed_slot_goes_to_highest_priority(personas, case, service):
    service.capacity_available = 0
    service.save()
    people = []
    for urgency in ("routine", "emergency"):
        person = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
        f.CaseFactory(
            person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker
        )
        consent_to(personas, person, personas.partner_org)
        people.append(refer(personas, person, service, urgency=urgency))
    holder_person = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    consent_to(personas, holder_person, personas.partner_org)
    holder = refer(personas, holder_person, service)
    Service.objects.filter(pk=service.pk).update(capacity_available=1)
    move(personas, personas.partner, holder, S.ACCEPTED)
    for r in people:
        accepted = move(personas, personas.partner, r, S.ACCEPTED)
        assert not accepted.holds_slot
    assert WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING).count() == 2
    with pytest.raises(ValidationError) as caught:
        move(personas, personas.partner, people[0], S.IN_PROGRESS)
    assert "waitlist" in caught.value.message_dict["status"][0]
    move(personas, personas.partner, holder, S.COMPLETED, outcome="Done")
    emergency = WaitlistEntry.objects.get(referral=people[1])
    assert emergency.status == WaitlistStatus.OFFERED
    assert any("urgency emergency" in part for part in emergency.offered_explanation)
    assert Referral.objects.get(pk=people[1].pk).holds_slot
    assert WaitlistEntry.objects.get(referral=people[0]).status == WaitlistStatus.WAITING
    assert Service.objects.get(pk=service.pk).capacity_available == 0
    started = move(personas, personas.partner, people[1], S.IN_PROGRESS)
    assert started.status == S.IN_PROGRESS
    assert WaitlistEntry.objects.get(referral=people[1]).status == WaitlistStatus.PLACED


def test_first_contact_only_by_receiver_after_acceptance(personas, consented, service):
    referral = refer(personas, consented, service)
    with pytest.raises(ValidationError):
        referral_first_contact(actor=personas.actor(personas.partner), referral=referral)
    move(personas, personas.partner, referral, S.ACCEPTED)
    with pytest.raises(PermissionDenied):
        referral_first_contact(actor=personas.actor(personas.keyworker), referral=referral)
    done = referral_first_contact(actor=personas.actor(personas.partner), referral=referral)
    assert done.first_contact_at is not None
