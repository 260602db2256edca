"""Apply once: the union of the chosen programmes' questions, each asked once, pre-filled;
drafts kept; one application per programme, all or none; statuses and their history."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.eligibility import factories as ef
from tests.portal.factories import CitizenAccountFactory, citizen_client
from wraparound.accounts.actor import actor_for_user
from wraparound.applications import services
from wraparound.applications.models import Application, ApplicationDraft, ApplicationStatus
from wraparound.audit.models import AuditEvent
from wraparound.eligibility.selectors import service_ref


def _refs(*services_):  # type: ignore[no-untyped-def]
    return [service_ref(s.pk) for s in services_]


def _start(client, *services_):  # type: ignore[no-untyped-def]
    query = "&".join(f"programmes={r}" for r in _refs(*services_))
    return client.get(reverse("portal_applications:start") + "?" + query)


def test_each_needed_question_is_asked_once_for_two_programmes(setup, account):
    ef.CircumstancesFactory(person=account.person, income_monthly=900, needs=["food-insecurity"])
    client = citizen_client(account)
    response = _start(client, setup.food_bank, setup.youth)
    draft = ApplicationDraft.objects.get()
    # Food bank reads household income, size and needs; the youth hub age: each once.
    steps = []
    url = response.url
    while "/questions/" in url:
        slug = url.rstrip("/").split("/")[-1]
        steps.append(slug)
        if slug == "contact":
            break
        page = client.get(url)
        assert page.status_code == 200
        data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
        if slug == "household":
            data = {"adults": "1", "children": "0", "over_65": "0"}
        if slug == "household_income":
            data = {"household_income": "900"}
        url = client.post(url, data, format="multipart").url
    assert steps == ["age", "household", "household_income", "needs", "contact"]
    draft.refresh_from_db()
    assert draft.answers["needs"] == ["food-insecurity"]  # pre-filled from the record
    assert draft.answers["contact"]["family_name"] == "Morgan"


def test_prefill_from_the_anonymous_check(setup, personas):
    account = CitizenAccountFactory(network=personas.network)
    client = citizen_client(account)
    client.post(reverse("portal:check_question", args=["age"]), {"age": "22"})
    _start(client, setup.youth)
    draft = ApplicationDraft.objects.get()
    assert draft.answers["age"] == 22
    page = client.get(reverse("portal_applications:step", args=[draft.pk, "age"]))
    assert 'value="22"' in page.content.decode()


def test_a_bad_answer_keeps_what_was_typed_and_the_draft(setup, account):
    client = citizen_client(account)
    _start(client, setup.youth)
    draft = ApplicationDraft.objects.get()
    page = client.post(
        reverse("portal_applications:step", args=[draft.pk, "age"]), {"age": "twenty"}
    )
    assert "Enter your age as a whole number" in page.content.decode()
    assert 'value="twenty"' in page.content.decode()
    assert ApplicationDraft.objects.filter(pk=draft.pk).exists()


def test_drafts_can_be_resumed_from_the_list(setup, account):
    client = citizen_client(account)
    _start(client, setup.youth)
    html = client.get(reverse("portal_applications:list")).content.decode()
    assert "Continue your application" in html


def test_submit_makes_one_application_per_programme_and_tells_the_person(
    setup, account, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client = citizen_client(account)
    _start(client, setup.youth, setup.open_service)
    draft = ApplicationDraft.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal_applications:check", args=[draft.pk]))
    made = Application.objects.order_by("programme_name")
    assert [a.programme_name for a in made] == ["Advice line", "Youth hub"]
    assert {a.organisation for a in made} == {setup.personas.partner_org}
    assert all(a.status == "submitted" and a.transitions.count() == 1 for a in made)
    assert not ApplicationDraft.objects.exists()
    assert AuditEvent.objects.filter(action="application.submit").count() == 2
    assert "Morgan" not in mail.outbox[0].body and "Youth" not in mail.outbox[0].body


def test_submit_is_all_or_nothing(setup, account, monkeypatch):
    client = citizen_client(account)
    _start(client, setup.youth, setup.open_service)
    draft = ApplicationDraft.objects.get()
    calls = {"n": 0}
    original = AuditEvent.objects.bulk_create

    def fail_second(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database went away")
        return original(*args, **kwargs)

    monkeypatch.setattr(AuditEvent.objects, "bulk_create", fail_second)
    with pytest.raises(RuntimeError):
        services.application_submit(
            actor=actor_for_user(setup.personas.keyworker, via="web"), draft=draft
        )
    assert not Application.objects.exists()
    assert ApplicationDraft.objects.filter(pk=draft.pk).exists()


def test_missing_contact_details_are_named(setup, personas):
    account = CitizenAccountFactory(network=personas.network)
    client = citizen_client(account)
    _start(client, setup.open_service)
    draft = ApplicationDraft.objects.get()
    page = client.post(reverse("portal_applications:check", args=[draft.pk]))
    assert "Enter your first name" in page.content.decode()
    assert not Application.objects.exists()


def test_an_unknown_programme_is_refused(setup, account):
    client = citizen_client(account)
    response = client.get(reverse("portal_applications:start") + "?programmes=S-999999")
    assert response.url == reverse("portal_applications:choose")
    assert not ApplicationDraft.objects.exists()


def _submitted(setup, account):  # type: ignore[no-untyped-def]
    draft = services.draft_start(
        account=account,
        person=account.person,
        refs=_refs(setup.youth),
        prefill={
            "contact": {
                "given_name": "Rhys",
                "family_name": "Morgan",
                "date_of_birth": "1990-01-01",
            }
        },
    )
    from wraparound.portal.services import portal_actor

    return services.application_submit(
        actor=portal_actor(account=account, person=account.person), draft=draft
    )[0]


def test_statuses_move_only_as_allowed(setup, account):
    application = _submitted(setup, account)
    worker = actor_for_user(setup.personas.partner, via="web")
    with pytest.raises(ValidationError, match="cannot become approved"):
        services.application_move(
            actor=worker, application=application, to=ApplicationStatus.APPROVED
        )
    application = services.application_move(actor=worker, application=application, to="in_review")
    with pytest.raises(ValidationError, match="Choose why"):
        services.application_move(
            actor=worker, application=application, to="declined", note="Sorry"
        )
    with pytest.raises(ValidationError, match="Tell the person"):
        services.application_move(actor=worker, application=application, to="more_information")
    declined = services.application_move(
        actor=worker,
        application=application,
        to="declined",
        decline_reason="no_capacity",
        note="Full until May",
    )
    assert [t.to_status for t in declined.transitions.all()] == [
        "submitted",
        "in_review",
        "declined",
    ]
    page = citizen_client(account).get(reverse("portal_applications:detail", args=[declined.pk]))
    assert (
        "No places available" in page.content.decode() and "Full until May" in page.content.decode()
    )


def test_another_organisation_cannot_decide_or_see(setup, account):
    application = _submitted(setup, account)
    with pytest.raises(PermissionDenied):
        services.application_move(
            actor=actor_for_user(setup.personas.keyworker, via="web"),
            application=application,
            to="in_review",
        )
    other = setup.personas.client(setup.personas.keyworker)
    assert other.get(reverse("applications:detail", args=[application.pk])).status_code == 404
    mine = setup.personas.client(setup.personas.partner)
    inbox = mine.get(reverse("applications:inbox")).content.decode()
    assert "Rhys Morgan" in inbox


def test_the_person_withdraws(setup, account):
    application = _submitted(setup, account)
    client = citizen_client(account)
    client.post(reverse("portal_applications:withdraw", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == "withdrawn"
    stranger = CitizenAccountFactory(network=setup.personas.network)
    response = citizen_client(stranger).post(
        reverse("portal_applications:withdraw", args=[application.pk])
    )
    assert response.status_code == 404


def test_staff_decide_on_the_page(setup, account):
    application = _submitted(setup, account)
    worker = setup.personas.client(setup.personas.partner)
    worker.post(
        reverse("applications:detail", args=[application.pk]), {"form": "move", "to": "in_review"}
    )
    bad = worker.post(
        reverse("applications:detail", args=[application.pk]),
        {"form": "move", "to": "declined", "note": "x"},
    )
    assert "Choose why it is declined" in bad.content.decode()
    application.refresh_from_db()
    assert application.status == "in_review"


def test_an_application_without_a_linked_record_is_linked_by_the_agency(setup, personas):
    account = CitizenAccountFactory(network=personas.network)
    draft = services.draft_start(
        account=account,
        person=None,
        refs=_refs(setup.youth),
        prefill={
            "contact": {"given_name": "Ann", "family_name": "Lee", "date_of_birth": "1985-06-01"}
        },
    )
    from wraparound.portal.services import portal_actor

    application = services.application_submit(
        actor=portal_actor(account=account, person=None), draft=draft
    )[0]
    worker = actor_for_user(personas.partner, via="web")
    wrong = ef.PersonFactory(network=personas.network, registered_by=personas.partner_org)
    with pytest.raises(ValidationError, match="does not match"):
        services.application_link_person(actor=worker, application=application, person=wrong)
    setup.person.registered_by = personas.partner_org
    setup.person.save()
    services.application_link_person(actor=worker, application=application, person=setup.person)
    application.refresh_from_db()
    assert application.person == setup.person
