import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests import factories as f
from wraparound.audit.models import AuditEvent
from wraparound.people.models import Household, HouseholdMember, Identifier, Person
from wraparound.people.services import (
    MemberInput,
    PersonDetails,
    household_save,
    identifier_add,
    person_create,
    person_update,
)

pytestmark = pytest.mark.django_db
VALID_NHS = "9434765919"


def details(**overrides):
    values = {"given_name": "Siân", "family_name": "Evans", "date_of_birth": dt.date(1985, 3, 27)}
    values.update(overrides)
    return PersonDetails(**values)


def test_create_normalises_and_audits(personas, keyworker_actor):
    person = person_create(
        actor=keyworker_actor,
        details=details(
            phone="07400 123 456",
            email=" Sian@Example.ORG ",
            postcode="cf37 1aa",
            population_groups=["homeless"],
            preferred_languages=["cy", "en"],
        ),
        identifiers=[("nhs_number", "943 476 5919", "")],
    )
    assert person.phone == "+447400123456"
    assert person.email == "sian@example.org"
    assert person.postcode == "CF37 1AA"
    assert person.registered_by == personas.one_stop
    assert person.identifiers.get().value == VALID_NHS
    assert {t.token for t in person.name_tokens.all()} == {"sian", "evans"}
    event = AuditEvent.objects.get(action="person.create")
    assert event.person_id == person.pk
    assert event.actor_user == personas.keyworker
    assert event.organisation_name == personas.one_stop.name


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"date_of_birth": timezone.localdate() + dt.timedelta(days=1)},
            "date_of_birth",
            "today or in the past",
        ),
        ({"date_of_birth": dt.date(1890, 1, 1)}, "date_of_birth", "less than 120 years ago"),
        ({"phone": "not a phone"}, "phone", "Enter a phone number"),
        ({"phone": "0770090"}, "phone", "real phone number"),
        ({"given_name": "  "}, "given_name", "Enter a given name"),
        ({"email": "nobody-at-example"}, "email", "valid email"),
        ({"sex": "robot"}, "sex", "Choose one of"),
        ({"preferred_languages": ["xx"]}, "preferred_languages", "Unknown language"),
        ({"population_groups": ["aliens"]}, "population_groups", "Unknown population group"),
        (
            {"date_of_birth": None, "date_of_birth_is_approximate": True},
            "date_of_birth",
            "approximate",
        ),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(keyworker_actor, overrides, field, message):
    with pytest.raises(ValidationError) as error:
        person_create(actor=keyworker_actor, details=details(**overrides))
    assert message in " ".join(error.value.message_dict[field])
    assert Person.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_area_must_belong_to_the_network(keyworker_actor):
    other_area = f.AreaFactory()  # another network
    with pytest.raises(ValidationError) as error:
        person_create(actor=keyworker_actor, details=details(area_id=other_area.pk))
    assert "area_id" in error.value.message_dict


@pytest.mark.parametrize(
    ("identifier", "message"),
    [
        (("nhs_number", "9434765910", ""), "valid NHS number"),
        (("national_insurance", "QQ12345", ""), "National Insurance"),
        (("passport", "", ""), "Enter the identifier"),
    ],
)
def test_identifiers_are_checked_for_their_type(keyworker_actor, identifier, message):
    with pytest.raises(ValidationError) as error:
        person_create(actor=keyworker_actor, details=details(), identifiers=[identifier])
    assert message in " ".join(error.value.message_dict["identifiers"])
    assert Person.objects.count() == 0


def test_duplicate_identifier_refused_with_no_partial_record(keyworker_actor):
    person_create(
        actor=keyworker_actor, details=details(), identifiers=[("nhs_number", VALID_NHS, "")]
    )
    with pytest.raises(ValidationError) as error:
        person_create(
            actor=keyworker_actor,
            details=details(given_name="Other"),
            identifiers=[("nhs_number", "943-476-5919", "")],
        )
    assert "already belongs to another person" in error.value.message_dict["identifiers"][0]
    assert Person.objects.count() == 1
    assert Identifier.objects.count() == 1


def test_same_value_from_different_issuers_is_allowed(keyworker_actor):
    a = person_create(
        actor=keyworker_actor,
        details=details(),
        identifiers=[("agency_record", "A100", "Taff Housing")],
    )
    identifier_add(
        actor=keyworker_actor,
        person=a,
        identifier_type="agency_record",
        value="A100",
        issuer="Rhondda Council",
    )
    assert a.identifiers.count() == 2


def test_update_records_only_changed_fields(personas, keyworker_actor):
    person = person_create(actor=keyworker_actor, details=details())
    case = f.CaseFactory(
        person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker
    )
    before_activity = case.last_activity_at
    new = details(phone="029 2018 0123", previous_names=["Siân Jones"])
    person_update(actor=keyworker_actor, person=person, details=new)
    event = AuditEvent.objects.get(action="person.update")
    assert set(event.changes) == {"phone", "previous_names"}
    assert event.summary == "Details edited: previous names, phone"
    assert "jones" in set(person.name_tokens.values_list("token", flat=True))
    case.refresh_from_db()
    assert case.last_activity_at > before_activity
    # Saving the same details again changes nothing and writes no event.
    person_update(actor=keyworker_actor, person=person, details=new)
    assert AuditEvent.objects.filter(action="person.update").count() == 1


def test_people_of_other_organisations_cannot_be_edited(personas, keyworker_actor):
    person = person_create(actor=keyworker_actor, details=details())
    with pytest.raises(PermissionDenied):
        person_update(actor=personas.actor(personas.outsider), person=person, details=details())


def test_roles_without_casework_cannot_register(personas):
    with pytest.raises(PermissionDenied):
        person_create(actor=personas.actor(personas.netadmin), details=details())


class TestHousehold:
    def make(self, actor, n):
        return [person_create(actor=actor, details=details(given_name=f"P{i}")) for i in range(n)]

    def test_create_with_one_head(self, keyworker_actor):
        a, b, c = self.make(keyworker_actor, 3)
        household = household_save(
            actor=keyworker_actor,
            name="Evans",
            members=[MemberInput(a, "head"), MemberInput(b, "partner"), MemberInput(c, "child")],
        )
        assert household.members.count() == 3
        assert AuditEvent.objects.filter(action="household.member").count() == 3

    def test_two_heads_refused(self, keyworker_actor):
        a, b = self.make(keyworker_actor, 2)
        with pytest.raises(ValidationError) as error:
            household_save(
                actor=keyworker_actor,
                name="Evans",
                members=[MemberInput(a, "head"), MemberInput(b, "head")],
            )
        assert "one head" in error.value.message_dict["members"][0]
        assert Household.objects.count() == 0

    def test_no_head_refused(self, keyworker_actor):
        (a,) = self.make(keyworker_actor, 1)
        with pytest.raises(ValidationError, match="exactly one head"):
            household_save(actor=keyworker_actor, name="Evans", members=[MemberInput(a, "child")])

    def test_head_can_be_handed_over(self, keyworker_actor):
        a, b = self.make(keyworker_actor, 2)
        household = household_save(
            actor=keyworker_actor,
            name="Evans",
            members=[MemberInput(a, "head"), MemberInput(b, "partner")],
        )
        household_save(
            actor=keyworker_actor,
            name="Evans",
            household=household,
            members=[MemberInput(a, "partner"), MemberInput(b, "head")],
        )
        heads = HouseholdMember.objects.filter(household=household, relationship="head")
        assert [m.person for m in heads] == [b]

    def test_person_cannot_be_in_two_households(self, keyworker_actor):
        a, b = self.make(keyworker_actor, 2)
        household_save(actor=keyworker_actor, name="One", members=[MemberInput(a, "head")])
        with pytest.raises(ValidationError, match="already lives in the One household"):
            household_save(
                actor=keyworker_actor,
                name="Two",
                members=[MemberInput(b, "head"), MemberInput(a, "partner")],
            )
        assert Household.objects.count() == 1

    def test_members_the_worker_cannot_see_are_kept(self, personas, keyworker_actor):
        (a,) = self.make(keyworker_actor, 1)
        hidden = f.PersonFactory(network=personas.network, registered_by=personas.partner_org)
        household = f.HouseholdFactory(network=personas.network, name="Evans")
        f.HouseholdMemberFactory(household=household, person=a, relationship="head")
        f.HouseholdMemberFactory(household=household, person=hidden, relationship="partner")
        household_save(
            actor=keyworker_actor,
            name="Evans-Hughes",
            household=household,
            members=[MemberInput(a, "head")],
        )
        assert set(household.members.values_list("person_id", flat=True)) == {a.pk, hidden.pk}


def test_over_long_text_is_a_field_error_not_a_crash(keyworker_actor):
    with pytest.raises(ValidationError) as error:
        person_create(
            actor=keyworker_actor,
            details=details(town="x" * 101, postcode="CF37 1AA 1234567", address_line_1="a" * 201),
        )
    assert set(error.value.message_dict) == {"town", "postcode", "address_line_1"}
    assert Person.objects.count() == 0


def test_concurrent_duplicate_identifier_is_a_validation_error(keyworker_actor, monkeypatch):
    """Two registrations racing past the duplicate check: the database constraint decides."""
    person_create(
        actor=keyworker_actor, details=details(), identifiers=[("nhs_number", VALID_NHS, "")]
    )
    from wraparound.people import services

    monkeypatch.setattr(services, "_clean_identifiers", lambda ids, **kw: list(ids))
    with pytest.raises(ValidationError, match="just registered for another person"):
        person_create(
            actor=keyworker_actor,
            details=details(given_name="Twin"),
            identifiers=[("nhs_number", VALID_NHS, "")],
        )
    assert Person.objects.count() == 1
