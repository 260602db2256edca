"""The SLA check: reminder, escalation and word to the referrer, each once; the report."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.referrals.factories import consent_to, housing_service, refer
from wraparound.notifications.models import Notification
from wraparound.referrals.models import Referral, SlaEvent
from wraparound.referrals.models import ReferralStatus as S
from wraparound.referrals.services import referral_transition
from wraparound.referrals.sla_selectors import sla_report
from wraparound.referrals.tasks import referral_sla_check


@pytest.fixture
def referral(personas, person, case):
    consent_to(personas, person, personas.partner_org)
    sent = refer(personas, person, housing_service(personas))
    # Sent on a Monday at 09:00 with 8 working hours to answer: due at 17:00.
    monday = timezone.make_aware(dt.datetime(2026, 11, 23, 9))
    Referral.objects.filter(pk=sent.pk).update(
        requested_at=monday, respond_by=monday + dt.timedelta(hours=8)
    )
    sent.refresh_from_db()
    return sent


def at(hour: int, day: int = 23) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 11, day, hour))


def test_nothing_early_then_a_reminder_once(personas, referral):
    assert referral_sla_check(at(10)) == {"reminder": 0, "escalated": 0, "referrer_told": 0}
    assert referral_sla_check(at(16))["reminder"] == 1
    assert referral_sla_check(at(16))["reminder"] == 0  # not twice
    assert Notification.objects.filter(
        recipient=personas.partner, kind="referral.sla.reminder"
    ).exists()


def test_missed_deadline_escalates_to_managers_and_tells_the_referrer_once(personas, referral):
    from tests import factories as f
    from wraparound.accounts.models import Role

    housing_manager = f.UserFactory(username="housing-manager")
    f.MembershipFactory(user=housing_manager, organisation=personas.partner_org, role=Role.MANAGER)
    result = referral_sla_check(at(10, 24))
    assert result["escalated"] == 1 and result["referrer_told"] == 1
    assert Notification.objects.filter(
        recipient=housing_manager, kind="referral.sla.escalated"
    ).exists()
    assert Notification.objects.filter(
        recipient=personas.keyworker, kind="referral.sla.referrer_told"
    ).exists()
    assert referral_sla_check(at(11, 24)) == {"reminder": 0, "escalated": 0, "referrer_told": 0}
    assert SlaEvent.objects.count() == 2


def test_an_answered_referral_is_left_alone(personas, referral):
    referral_transition(actor=personas.actor(personas.partner), referral=referral, to=S.ACCEPTED)
    assert referral_sla_check(at(10, 24))["escalated"] == 0


def test_run_periodic_runs_every_job(referral, capsys):
    call_command("run_periodic")
    out = capsys.readouterr().out
    assert "referral_sla_check" in out and "refresh_all" in out


def test_sla_report_for_managers_only(personas, referral):
    referral_transition(actor=personas.actor(personas.partner), referral=referral, to=S.ACCEPTED)
    # Answered at 11:00 that Monday (the transition itself happens today).
    Referral.objects.filter(pk=referral.pk).update(responded_at=at(11))
    report = sla_report(actor=personas.actor(personas.manager), days=365)
    assert report.overall.sent == 1 and report.overall.answered == 1
    assert report.overall.on_time == "100% (1 of 1)"  # answered before Monday 17:00
    page = personas.client(personas.manager).get(reverse("referrals:sla") + "?days=365")
    assert page.status_code == 200 and personas.partner_org.name in page.content.decode()
    assert referral.person.family_name not in page.content.decode()
    assert personas.client(personas.partner).get(reverse("referrals:sla")).status_code == 403


def test_waitlist_page_explains_each_position(personas, person, case):
    from tests import factories as f
    from wraparound.directory.models import Service

    service = housing_service(personas, name="Hostel", capacity_total=1, capacity_available=0)
    for urgency in ("routine", "emergency"):
        someone = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
        consent_to(personas, someone, personas.partner_org)
        waiting = refer(personas, someone, service, urgency=urgency)
        referral_transition(actor=personas.actor(personas.partner), referral=waiting, to=S.ACCEPTED)
    client = personas.client(personas.partner)
    page = client.get(reverse("referrals:waitlist", args=[service.pk])).content.decode()
    assert page.index("urgency emergency: +40") < page.index("urgency routine: +0")
    assert (
        personas.client(personas.keyworker)
        .get(reverse("referrals:waitlist", args=[service.pk]))
        .status_code
        == 404
    )
    Service.objects.filter(pk=service.pk).update(capacity_available=1)
    client.post(reverse("referrals:offer_next", args=[service.pk]))
    from wraparound.referrals.models import WaitlistEntry

    offered = WaitlistEntry.objects.get(status="offered")
    assert offered.referral.urgency == "emergency"
    assert offered.offered_explanation[0] == "policy version 0"
