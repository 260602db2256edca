"""Withholding a person's address for their safety: only the named workers see it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests import factories as f
from tests.consent import make_consent
from wraparound.accounts.actor import actor_for_user
from wraparound.audit.models import AuditEvent
from wraparound.consent.policy import address_decision
from wraparound.people.services import person_set_address_withholding

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(personas):
    person = f.PersonFactory(
        network=personas.network,
        registered_by=personas.one_stop,
        address_line_1="12 Heol y Nant",
        postcode="CF37 1AA",
    )
    f.CaseFactory(person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker)
    # The housing association sees her identity (and so, usually, her address) by consent.
    make_consent(person, organisation=personas.partner_org, categories=["identity"])
    return person


def sees_address(user, person) -> bool:
    person.refresh_from_db()
    return bool(address_decision(actor=actor_for_user(user, via="web"), person=person))


# --- the service ------------------------------------------------------------------------


def test_withhold_then_lift(personas, person):
    actor = personas.actor(personas.keyworker)
    assert sees_address(personas.partner, person)

    person_set_address_withholding(
        actor=actor, person=person, withheld=True, visible_to=[personas.keyworker]
    )
    assert sees_address(personas.keyworker, person)
    assert not sees_address(personas.partner, person)
    assert not sees_address(personas.manager, person)  # same organisation, not named
    event = AuditEvent.objects.get(action="person.address_withholding")
    assert event.categories == ["safety"]
    assert event.person_id == person.pk
    assert event.changes["address_withheld"] == [False, True]
    assert event.changes["address_visible_to"] == [[], [personas.keyworker.name]]

    # A worker of a partner organisation in the network can be named too.
    person_set_address_withholding(
        actor=actor,
        person=person,
        withheld=True,
        visible_to=[personas.keyworker, personas.partner],
    )
    assert sees_address(personas.partner, person)

    person_set_address_withholding(actor=actor, person=person, withheld=False, visible_to=[])
    person.refresh_from_db()
    assert not person.address_withheld
    assert not person.address_visible_to.exists()  # names are cleared when lifted
    assert sees_address(personas.manager, person)
    assert AuditEvent.objects.filter(action="person.address_withholding").count() == 3


def test_saving_the_same_choice_again_writes_nothing(personas, person):
    actor = personas.actor(personas.keyworker)
    for _ in range(2):
        person_set_address_withholding(
            actor=actor, person=person, withheld=True, visible_to=[personas.keyworker]
        )
    assert AuditEvent.objects.filter(action="person.address_withholding").count() == 1


def test_withholding_from_everyone_is_refused(personas, person):
    with pytest.raises(ValidationError) as error:
        person_set_address_withholding(
            actor=personas.actor(personas.keyworker), person=person, withheld=True, visible_to=[]
        )
    assert "Name at least one worker" in str(error.value.message_dict["visible_to"])
    person.refresh_from_db()
    assert not person.address_withheld


def test_only_active_staff_of_the_network_can_be_named(personas, person):
    elsewhere = f.UserFactory(username="elsewhere", display_name="Wyn Elsewhere")
    f.MembershipFactory(
        user=elsewhere, organisation=f.OrganisationFactory(network=f.NetworkFactory())
    )
    left = f.UserFactory(username="left", display_name="Lowri Left")
    f.MembershipFactory(user=left, organisation=personas.one_stop, is_active=False)
    disabled = f.UserFactory(username="disabled", display_name="Dai Disabled", is_active=False)
    f.MembershipFactory(user=disabled, organisation=personas.one_stop)
    for user in (elsewhere, left, disabled):
        with pytest.raises(ValidationError) as error:
            person_set_address_withholding(
                actor=personas.actor(personas.keyworker),
                person=person,
                withheld=True,
                visible_to=[personas.keyworker, user],
            )
        [message] = error.value.message_dict["visible_to"]
        assert message.startswith(f"{user.name} cannot be named")
    person.refresh_from_db()
    assert not person.address_withheld
    assert not AuditEvent.objects.filter(action="person.address_withholding").exists()


def test_only_organisations_working_with_the_person_can_withhold(personas, person):
    for user in (personas.partner, personas.outsider, personas.netadmin):
        with pytest.raises(PermissionDenied):
            person_set_address_withholding(
                actor=personas.actor(user),
                person=person,
                withheld=True,
                visible_to=[personas.keyworker],
            )


# --- the page ---------------------------------------------------------------------------


def test_the_page_withholds_the_address(personas, person):
    client = personas.client(personas.keyworker)
    url = f"/people/{person.pk}/address-withholding"
    page = client.get(url).content.decode()
    assert "Withhold the address for safety" in page
    assert f'value="{personas.partner.pk}"' in page  # partner staff can be named
    assert f'value="{personas.keyworker.pk}"' in page
    response = client.post(url, {"withheld": "on", "visible_to": [str(personas.keyworker.pk)]})
    assert response.status_code == 302
    assert response["Location"] == f"/people/{person.pk}/"
    assert "12 Heol y Nant" in client.get(f"/people/{person.pk}/").content.decode()
    partner_page = personas.client(personas.partner).get(f"/people/{person.pk}/").content.decode()
    assert "12 Heol y Nant" not in partner_page
    assert "withheld for safety" in partner_page
    # The form shows the current choice.
    page = client.get(url).content.decode()
    assert 'name="withheld" type="checkbox" value="on" checked' in page
    assert f'value="{personas.keyworker.pk}" checked' in page


def test_the_page_shows_errors_and_keeps_the_choice(personas, person):
    client = personas.client(personas.keyworker)
    url = f"/people/{person.pk}/address-withholding"
    response = client.post(url, {"withheld": "on"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Withhold the address for safety" in page
    assert 'href="#id_visible_to_0"' in page
    assert "Name at least one worker who may see the address" in page
    assert 'name="withheld" type="checkbox" value="on" checked' in page
    # A crafted id of someone outside the network is not a choice.
    outsider = f.UserFactory(username="far")
    f.MembershipFactory(
        user=outsider, organisation=f.OrganisationFactory(network=f.NetworkFactory())
    )
    response = client.post(url, {"withheld": "on", "visible_to": [str(outsider.pk)]})
    assert "Choose workers from the list" in response.content.decode()
    person.refresh_from_db()
    assert not person.address_withheld


def test_who_may_open_the_page(personas, person):
    url = f"/people/{person.pk}/address-withholding"
    assert personas.client(personas.partner).get(url).status_code == 403  # sees, cannot change
    assert personas.client(personas.netadmin).get(url).status_code == 403
    assert personas.client(personas.outsider).get(url).status_code == 404
    response = personas.client(personas.outsider).post(
        url, {"withheld": "on", "visible_to": [str(personas.outsider.pk)]}
    )
    assert response.status_code == 404
    person.refresh_from_db()
    assert not person.address_withheld


def test_withheld_address_is_not_on_the_edit_form_nor_in_lists(personas):
    from tests import factories as f
    from wraparound.people.services import person_set_address_withholding

    person = f.PersonFactory(
        network=personas.network,
        registered_by=personas.one_stop,
        family_name="Hidden",
        postcode="CF37 9ZZ",
        address_line_1="1 Secret Lane",
    )
    person_set_address_withholding(
        actor=personas.actor(personas.keyworker),
        person=person,
        withheld=True,
        visible_to=[personas.keyworker],
    )
    manager = personas.client(personas.manager)
    form = manager.get(f"/people/{person.pk}/edit").content.decode()
    assert "Secret Lane" not in form
    assert "withheld for safety" in form
    results = manager.get("/people/", {"name": "hidden"}).content.decode()
    assert "CF37 9ZZ" not in results
    # Saving the other details keeps the address.
    manager.post(
        f"/people/{person.pk}/edit",
        {
            "given_name": person.given_name,
            "family_name": "Hidden",
            "sex": "female",
            "date_of_birth_0": "",
            "date_of_birth_1": "",
            "date_of_birth_2": "",
        },
    )
    person.refresh_from_db()
    assert (person.address_line_1, person.postcode) == ("1 Secret Lane", "CF37 9ZZ")


def test_service_refuses_address_change_by_someone_not_named(personas):
    import dataclasses

    import pytest
    from django.core.exceptions import PermissionDenied

    from tests import factories as f
    from wraparound.people.services import (
        PersonDetails,
        person_set_address_withholding,
        person_update,
    )

    person = f.PersonFactory(
        network=personas.network, registered_by=personas.one_stop, postcode="CF37 9ZZ"
    )
    person_set_address_withholding(
        actor=personas.actor(personas.keyworker),
        person=person,
        withheld=True,
        visible_to=[personas.keyworker],
    )
    details = dataclasses.replace(PersonDetails.from_person(person), postcode="CF1 1AA")
    with pytest.raises(PermissionDenied, match="withheld"):
        person_update(actor=personas.actor(personas.manager), person=person, details=details)
