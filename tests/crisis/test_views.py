import datetime as dt

import pytest
from django.utils import timezone

from tests.consent import make_consent
from tests.crisis.factories import CrisisEventFactory
from wraparound.cases.models import CaseStatus
from wraparound.crisis.models import AlertStatus, CrisisEvent, RepresentationAlert
from wraparound.crisis.services import crisis_events_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(hospital, person, stepped_down_case):
    from wraparound.accounts.actor import Actor

    crisis_events_import(
        actor=Actor.system("test"),
        source=hospital,
        rows=[
            {
                "local_id": "ED-1",
                "person_reference": person.reference,
                "kind": "ed_attendance",
                "occurred_at": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
                "detail": "Chest pains",
            }
        ],
    )
    return RepresentationAlert.objects.get()


def test_key_worker_sees_the_alert_but_not_the_health_detail(keyworker_client, alert):
    home = keyworker_client.get("/").content.decode()
    assert "1 person whose support was stepped down or closed has used a crisis" in home
    listing = keyworker_client.get("/crisis/alerts/").content.decode()
    assert "Megan Pryce" in listing and "A crisis service" in listing
    assert "Emergency department" not in listing  # health: no consent
    page = keyworker_client.get(f"/crisis/alerts/{alert.pk}/").content.decode()
    assert "no consent for health" in page and "Chest pains" not in page
    assert "Reopen the case" in page


def test_with_consent_the_key_worker_sees_what_happened(personas, keyworker_client, alert, person):
    make_consent(person, categories=["health"], organisation=personas.one_stop)
    page = keyworker_client.get(f"/crisis/alerts/{alert.pk}/").content.decode()
    assert "Emergency department attendance" in page and "Chest pains" in page


def test_reopen_in_one_step(keyworker_client, alert, stepped_down_case):
    response = keyworker_client.post(f"/crisis/alerts/{alert.pk}/reopen")
    assert response.status_code == 302 and response.url == f"/cases/{stepped_down_case.pk}/"
    stepped_down_case.refresh_from_db()
    alert.refresh_from_db()
    assert (stepped_down_case.status, alert.status) == (CaseStatus.OPEN, AlertStatus.REOPENED)
    assert (
        "Reopen the case"
        not in keyworker_client.get(f"/crisis/alerts/{alert.pk}/").content.decode()
    )


def test_dismiss_needs_a_reason(keyworker_client, alert):
    response = keyworker_client.post(f"/crisis/alerts/{alert.pk}/dismiss", {"reason": ""})
    assert response.status_code == 400
    assert "Say why no further support is needed" in response.content.decode()
    keyworker_client.post(f"/crisis/alerts/{alert.pk}/dismiss", {"reason": "Already housed"})
    alert.refresh_from_db()
    assert alert.status == AlertStatus.DISMISSED


def test_other_organisations_cannot_see_or_act_on_alerts(personas, alert):
    for user in (personas.partner, personas.outsider):
        client = personas.client(user)
        assert client.get(f"/crisis/alerts/{alert.pk}/").status_code == 404
        assert client.post(f"/crisis/alerts/{alert.pk}/reopen").status_code == 404
        assert "Megan Pryce" not in client.get("/crisis/alerts/").content.decode()


def test_record_form(keyworker_client, person, stepped_down_case):
    page = keyworker_client.get(f"/crisis/person/{person.pk}/record").content.decode()
    assert "What crisis service did the person use?" in page
    bad = keyworker_client.post(
        f"/crisis/person/{person.pk}/record",
        {"kind": "crisis_team", "occurred_on_0": "", "occurred_time": "25:99"},
    )
    text = bad.content.decode()
    assert "Enter the date it happened" in text and "like 14:30" in text
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    good = keyworker_client.post(
        f"/crisis/person/{person.pk}/record",
        {
            "kind": "shelter_night",
            "occurred_on_0": yesterday.day,
            "occurred_on_1": yesterday.month,
            "occurred_on_2": yesterday.year,
            "occurred_time": "23:10",
            "detail": "",
        },
    )
    assert good.status_code == 302
    assert CrisisEvent.objects.get().occurred_at.hour == 23
    assert RepresentationAlert.objects.count() == 1
    listing = keyworker_client.get(f"/crisis/person/{person.pk}/").content.decode()
    assert "Emergency shelter night" in listing


def test_person_events_withhold_what_the_policy_withholds(
    personas, keyworker_client, person, hospital
):
    CrisisEventFactory(person=person, source_organisation=hospital, kind="police_custody")
    CrisisEventFactory(person=person, source_organisation=personas.one_stop, kind="ed_attendance")
    page = keyworker_client.get(f"/crisis/person/{person.pk}/").content.decode()
    assert "Emergency department attendance" in page  # recorded by the one-stop itself
    assert "Police custody" not in page
    assert "1 event withheld: no consent for legal and justice" in page
