"""The access policy, rule by rule: decide, withheld_categories, address_decision and
visible_people (which must agree with decide on identity)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q
from django.utils import timezone

from tests import factories as f
from tests.consent import DAY, make_break_glass, make_consent, make_legal_basis
from wraparound.accounts.actor import Actor, actor_for_user
from wraparound.accounts.models import Role
from wraparound.consent.categories import SENSITIVE_CATEGORIES, DataCategory
from wraparound.consent.grants import sync_access_grants
from wraparound.consent.models import ConsentWithdrawal, Purpose
from wraparound.consent.policy import (
    Action,
    address_decision,
    decide,
    may_register_people,
    visible_people,
    visible_people_named,
    withheld_categories,
)
from wraparound.directory.models import Sector
from wraparound.people.models import PersonNameToken

pytestmark = pytest.mark.django_db

SENSITIVE = {"health", "mental_health", "substance_use", "legal", "safety"}
STANDARD = {c.value for c in DataCategory} - SENSITIVE


@pytest.fixture
def person(personas):
    """Someone the one-stop works with: a case it leads, with the key worker."""
    person = f.PersonFactory(network=personas.network)
    f.CaseFactory(person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker)
    return person


def actor(user) -> Actor:
    """A fresh actor, as for a new request (the policy's grounds are cached per actor)."""
    return actor_for_user(user, via="web")


def allowed(user, person, **kwargs) -> set[str]:
    a = actor(user)
    return {c.value for c in DataCategory if decide(actor=a, person=person, category=c, **kwargs)}


def sees(user, person) -> bool:
    return visible_people(actor(user)).filter(pk=person.pk).exists()


def test_the_policys_sensitive_categories_are_the_ones_the_issue_names():
    assert {c.value for c in SENSITIVE_CATEGORIES} == SENSITIVE


# --- deny by default ---------------------------------------------------------------------


def test_no_grounds_no_access(personas, person):
    decision = decide(actor=actor(personas.outsider), person=person)

    assert not decision
    assert decision.reason == "no relationship, consent or legal basis for this person"
    assert allowed(personas.outsider, person) == set()
    assert not sees(personas.outsider, person)


def test_a_category_without_grounds_says_which(personas, person):
    decision = decide(
        actor=actor(personas.keyworker), person=person, category=DataCategory.MENTAL_HEALTH
    )
    assert (decision.allowed, decision.reason) == (False, "withheld: no consent for mental health")


def test_no_membership_sees_nothing(personas, person):
    loner = f.UserFactory(username="loner")
    decision = decide(actor=actor(loner), person=person)
    assert (decision.allowed, decision.reason) == (False, "not a member of any organisation")
    assert not visible_people(actor(loner)).exists()
    assert not decide(actor=Actor.system("task"), person=person)


def test_an_inactive_membership_sees_nothing(personas, person):
    membership = personas.keyworker.memberships.get()
    membership.is_active = False
    membership.save()
    # An actor that still carries the (now inactive) membership, e.g. built mid-request.
    stale = Actor(user=personas.keyworker, membership=membership)

    assert not decide(actor=stale, person=person)
    assert not visible_people(stale).exists()


def test_another_networks_person_is_never_visible(personas):
    elsewhere = f.PersonFactory()
    f.CaseFactory(person=elsewhere, key_worker=personas.keyworker)  # even as key worker

    decision = decide(actor=actor(personas.keyworker), person=elsewhere)

    assert (decision.allowed, decision.reason) == (
        False,
        "the person belongs to another network",
    )
    assert not sees(personas.keyworker, elsewhere)


# --- relationship --------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["keyworker", "manager", "netadmin", "privacy"])
def test_a_lead_organisation_sees_every_standard_category_and_no_sensitive_one(
    personas, person, username
):
    user = getattr(personas, username)
    assert allowed(user, person) == STANDARD
    assert set(withheld_categories(actor=actor(user), person=person)) == SENSITIVE
    assert sees(user, person)


def test_the_key_worker_is_told_why(personas, person):
    assert decide(actor=actor(personas.keyworker), person=person).reason == (
        "you are this person's key worker"
    )
    assert decide(actor=actor(personas.manager), person=person).reason == (
        "your organisation leads a case for this person"
    )


def test_a_key_worker_at_another_organisation_has_a_relationship(personas):
    person = f.PersonFactory(network=personas.network)
    f.CaseFactory(person=person, lead_organisation=personas.one_stop, key_worker=personas.partner)

    assert allowed(personas.partner, person) == STANDARD
    assert sees(personas.partner, person)
    # ...but not their colleagues, who have no case with the person.
    colleague = f.UserFactory(username="colleague")
    f.MembershipFactory(user=colleague, organisation=personas.partner_org, role=Role.PRACTITIONER)
    assert allowed(colleague, person) == set()
    assert not sees(colleague, person)


def test_the_registering_organisation_has_a_relationship(personas):
    person = f.PersonFactory(network=personas.network, registered_by=personas.partner_org)

    decision = decide(actor=actor(personas.partner), person=person)

    assert decision.reason == "your organisation registered this person"
    assert allowed(personas.partner, person) == STANDARD
    assert sees(personas.partner, person)


def test_data_an_organisation_recorded_itself_is_visible_to_it(personas, person):
    decision = decide(
        actor=actor(personas.keyworker),
        person=person,
        category=DataCategory.MENTAL_HEALTH,
        recorded_by_organisation_id=personas.one_stop.pk,
    )
    assert (decision.allowed, decision.reason) == (True, "your organisation recorded this")
    other = decide(
        actor=actor(personas.keyworker),
        person=person,
        category=DataCategory.MENTAL_HEALTH,
        recorded_by_organisation_id=personas.partner_org.pk,
    )
    assert not other


# --- consent -------------------------------------------------------------------------------


def test_a_consent_to_an_organisation_covers_the_named_categories_and_identity(personas, person):
    consent = make_consent(
        person, organisation=personas.partner_org, categories=["health", "household"]
    )

    assert allowed(personas.partner, person) == {"identity", "health", "household"}
    assert sees(personas.partner, person)
    assert decide(actor=actor(personas.partner), person=person).reason.startswith(
        f"consent #{consent.pk} given "
    )
    # Nobody else gains anything.
    assert allowed(personas.outsider, person) == set()
    assert allowed(personas.keyworker, person) == STANDARD


def test_a_sector_consent_covers_every_organisation_of_the_sector(personas, person):
    make_consent(person, sector=Sector.HOUSING, categories=["mental_health"])
    housing_too = f.OrganisationFactory(network=personas.network, sector=Sector.HOUSING)
    other_user = f.UserFactory(username="housing2")
    f.MembershipFactory(user=other_user, organisation=housing_too, role=Role.PRACTITIONER)

    assert allowed(personas.partner, person) == {"identity", "mental_health"}
    assert allowed(other_user, person) == {"identity", "mental_health"}
    assert allowed(personas.outsider, person) == set()  # legal sector


def test_a_network_consent_covers_every_organisation(personas, person):
    make_consent(person, categories=["legal"])

    assert allowed(personas.partner, person) == {"identity", "legal"}
    assert allowed(personas.outsider, person) == {"identity", "legal"}
    assert allowed(personas.keyworker, person) == STANDARD | {"legal"}


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        ({"organisation": "partner_org"}, {"identity", "substance_use"}),
        ({"sector": Sector.HOUSING}, {"identity"}),
        ({}, {"identity"}),  # the network
    ],
)
def test_substance_use_only_to_one_named_organisation(personas, person, recipient, expected):
    # A consent row the services would refuse (no re-disclosure), e.g. from an import: the
    # policy does not honour it for substance use either.
    if "organisation" in recipient:
        recipient = {"organisation": getattr(personas, recipient["organisation"])}
    make_consent(person, categories=["substance_use"], **recipient)

    assert allowed(personas.partner, person) == expected


def test_a_consent_counts_only_for_its_purpose(personas, person):
    make_consent(
        person,
        organisation=personas.partner_org,
        categories=["identity", "health"],
        purpose=Purpose.REFERRAL,
    )

    assert allowed(personas.partner, person) == set()
    assert not sees(personas.partner, person)
    assert allowed(personas.partner, person, purpose=Purpose.REFERRAL) == {"identity", "health"}


@pytest.mark.parametrize(
    "state",
    [
        {"withdrawn": True},
        {"valid_from": timezone.now() - 10 * DAY, "valid_until": timezone.now() - DAY},
        {"valid_from": timezone.now() + DAY},
    ],
    ids=["withdrawn", "expired", "not-yet-in-force"],
)
def test_a_consent_not_in_force_counts_for_nothing(personas, person, state):
    make_consent(person, organisation=personas.partner_org, categories=["identity"], **state)

    assert allowed(personas.partner, person) == set()
    assert not sees(personas.partner, person)


def test_a_consent_ending_exactly_now_has_ended(personas, person, monkeypatch):
    now = timezone.now()
    make_consent(
        person,
        organisation=personas.partner_org,
        categories=["identity"],
        valid_from=now - DAY,
        valid_until=now,
    )
    monkeypatch.setattr(timezone, "now", lambda: now)

    assert allowed(personas.partner, person) == set()
    assert not sees(personas.partner, person)


# --- legal basis ---------------------------------------------------------------------------


def test_a_legal_basis_shares_its_categories_with_its_organisation(personas, person):
    make_legal_basis(
        person,
        organisation=personas.outsider_org,
        categories=["safety"],
        recorded_by=personas.manager,
    )

    assert allowed(personas.outsider, person) == {"identity", "safety"}
    assert sees(personas.outsider, person)
    assert decide(actor=actor(personas.outsider), person=person).reason.startswith(
        "safeguarding (risk of harm) until "
    )
    assert allowed(personas.partner, person) == set()


@pytest.mark.parametrize("state", ["ended", "expired"])
def test_a_legal_basis_no_longer_in_force_counts_for_nothing(personas, person, state):
    basis = make_legal_basis(
        person,
        organisation=personas.outsider_org,
        categories=["safety"],
        recorded_by=personas.manager,
        ended=state == "ended",
    )
    if state == "expired":
        type(basis).objects.filter(pk=basis.pk).update(
            valid_from=timezone.now() - 10 * DAY, valid_until=timezone.now() - DAY
        )
        sync_access_grants([person.pk])

    assert allowed(personas.outsider, person) == set()
    assert not sees(personas.outsider, person)


# --- break-glass ---------------------------------------------------------------------------


def test_break_glass_covers_everything_flagged(personas, person):
    access = make_break_glass(person, user=personas.outsider, organisation=personas.outsider_org)

    assert allowed(personas.outsider, person) == {c.value for c in DataCategory}
    decision = decide(actor=actor(personas.outsider), person=person)
    assert decision.break_glass
    assert decision.reason.startswith(f"break-glass #{access.pk} until ")
    assert sees(personas.outsider, person)


def test_break_glass_is_personal_and_ends(personas, person):
    make_break_glass(person, user=personas.outsider, organisation=personas.outsider_org)
    colleague = f.UserFactory(username="colleague")
    f.MembershipFactory(user=colleague, organisation=personas.outsider_org)
    assert allowed(colleague, person) == set()
    assert not sees(colleague, person)

    make_break_glass(person, user=personas.partner, organisation=personas.partner_org, expired=True)
    assert allowed(personas.partner, person) == set()
    assert not sees(personas.partner, person)


def test_a_relationship_is_not_flagged_as_break_glass(personas, person):
    make_break_glass(person, user=personas.keyworker, organisation=personas.one_stop)
    a = actor(personas.keyworker)

    assert not decide(actor=a, person=person).break_glass
    health = decide(actor=a, person=person, category=DataCategory.HEALTH)
    assert health.allowed and health.break_glass


# --- edit ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "allowed_", "reason"),
    [
        ("keyworker", True, "you are this person's key worker"),
        ("manager", True, "your organisation leads a case for this person"),
        ("netadmin", False, "the Network administrator role cannot edit records"),
        ("privacy", False, "the Privacy officer role cannot edit records"),
        ("partner", False, "only organisations working with the person can edit"),
        ("outsider", False, "only organisations working with the person can edit"),
    ],
)
def test_editing_needs_a_casework_role_and_a_relationship(
    personas, person, username, allowed_, reason
):
    make_consent(person, organisation=personas.partner_org, categories=list(DataCategory))
    make_break_glass(person, user=personas.outsider, organisation=personas.outsider_org)

    decision = decide(actor=actor(getattr(personas, username)), person=person, action=Action.EDIT)

    assert (decision.allowed, decision.reason) == (allowed_, reason)


def test_who_may_register_people(personas):
    assert may_register_people(actor(personas.partner))
    assert not may_register_people(actor(personas.netadmin))
    assert not may_register_people(Actor.system("task"))


# --- the per-request cache -----------------------------------------------------------------


def test_grounds_are_read_once_per_actor_and_afresh_for_the_next(
    personas, person, django_assert_num_queries
):
    consent = make_consent(person, organisation=personas.partner_org, categories=["health"])
    a = actor(personas.partner)
    assert decide(actor=a, person=person)

    with django_assert_num_queries(0):
        for category in DataCategory:
            decide(actor=a, person=person, category=category)

    ConsentWithdrawal.objects.create(consent=consent)
    assert decide(actor=a, person=person)  # the same request: decided on what it loaded
    assert not decide(actor=actor(personas.partner), person=person)  # the next request


# --- address -------------------------------------------------------------------------------


def test_an_address_follows_identity_unless_withheld(personas, person):
    assert address_decision(actor=actor(personas.keyworker), person=person)
    assert not address_decision(actor=actor(personas.outsider), person=person)


def test_a_withheld_address_is_for_named_workers_only(personas, person):
    person.address_withheld = True
    person.save()
    person.address_visible_to.add(personas.keyworker)
    make_break_glass(person, user=personas.outsider, organisation=personas.outsider_org)

    named = address_decision(actor=actor(personas.keyworker), person=person)
    assert (named.allowed, named.reason) == (True, "you are named to see this address")
    for user in (personas.manager, personas.outsider):  # whatever else holds
        refused = address_decision(actor=actor(user), person=person)
        assert (refused.allowed, refused.reason) == (
            False,
            "withheld for safety: only named workers see this address",
        )


# --- visible_people agrees with decide -------------------------------------------------------


def test_visible_people_is_exactly_who_decide_lets_see(personas):
    """Several people with one ground each: the list filter and the per-person decision
    agree for every persona."""
    now = timezone.now()
    people = [f.PersonFactory(network=personas.network) for _ in range(9)]
    f.CaseFactory(person=people[0], lead_organisation=personas.outsider_org)
    f.CaseFactory(person=people[1], lead_organisation=personas.one_stop)
    f.CaseFactory(
        person=people[2], lead_organisation=personas.one_stop, key_worker=personas.partner
    )
    make_consent(people[3], organisation=personas.partner_org, categories=["health"])
    make_consent(people[4], sector=Sector.LEGAL, categories=["identity"])
    make_consent(people[5], categories=["identity"], valid_until=now + dt.timedelta(hours=1))
    make_consent(people[6], categories=["identity"], withdrawn=True)
    make_legal_basis(
        people[7],
        organisation=personas.partner_org,
        categories=["safety"],
        recorded_by=personas.manager,
    )
    make_break_glass(people[8], user=personas.outsider, organisation=personas.outsider_org)
    f.PersonFactory()  # another network

    for user in (
        personas.keyworker,
        personas.partner,
        personas.outsider,
        personas.manager,
        personas.netadmin,
        personas.privacy,
    ):
        listed = set(visible_people(actor(user)).values_list("pk", flat=True))
        decided = {p.pk for p in people if decide(actor=actor(user), person=p)}
        assert listed == decided, user.username
        # The granted name tokens give the same people for a name as the grants do.
        for person in people:
            token = Q(token__startswith=person.family_name.lower()[:3])
            named = set(visible_people_named(actor(user), token).values_list("pk", flat=True))
            expected = set(
                visible_people(actor(user))
                .filter(pk__in=PersonNameToken.objects.filter(token).values("person_id"))
                .values_list("pk", flat=True)
            )
            assert named == expected, (user.username, person.family_name)


def test_granted_name_tokens_follow_renames_expiry_and_withdrawal(personas):
    """The search read model changes with the name and with the grounds."""
    from wraparound.people.services import refresh_search_index

    person = f.PersonFactory(network=personas.network, family_name="Quennell")
    consent = make_consent(person, organisation=personas.partner_org, categories=["identity"])
    expired = f.PersonFactory(network=personas.network, family_name="Quenby")
    make_consent(
        expired,
        organisation=personas.partner_org,
        categories=["identity"],
        valid_from=timezone.now() - 3 * DAY,
        valid_until=timezone.now() - DAY,
    )
    partner = actor(personas.partner)
    assert list(visible_people_named(partner, Q(token__startswith="quen"))) == [person]
    person.family_name = "Rowlands"
    person.save()
    refresh_search_index(person)
    assert not visible_people_named(partner, Q(token__startswith="quen")).exists()
    assert list(visible_people_named(partner, Q(token__startswith="rowl"))) == [person]
    ConsentWithdrawal.objects.create(consent=consent)
    sync_access_grants([person.pk])
    assert not visible_people_named(actor(personas.partner), Q(token__startswith="rowl")).exists()
