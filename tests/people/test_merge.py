"""Merge and unmerge: everything moves, clashes are handled, unmerge restores every row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests import factories as f
from tests.consent import make_break_glass, make_consent, make_legal_basis
from tests.people.matching_factories import indexed_person
from wraparound.accounts.models import Role
from wraparound.audit.models import AuditEvent
from wraparound.cases.models import CaseStatus
from wraparound.consent.models import AccessGrant
from wraparound.linkage.models import LinkStatus, ReviewPair, SourceRecord
from wraparound.people.matching import MatchInput, score_candidates
from wraparound.people.merge import person_merge, person_relations, person_unmerge
from wraparound.people.models import (
    HouseholdMember,
    MergeStatus,
    Person,
    PersonMatchKey,
    PersonMerge,
    PersonMergeChange,
    PersonPopulationGroup,
)
from wraparound.people.selectors import person_search

pytestmark = pytest.mark.django_db

DOB = dt.date(1979, 6, 2)
# Rows that are history, not state: the audit trail and the merge's own bookkeeping.
HISTORY = {"audit.AuditEvent", "people.PersonMerge", "people.PersonMergeChange"}
# Rebuilt from their sources: compared without their ids.
DERIVED = {
    "consent.AccessGrant",
    "consent.GrantedNameToken",
    "people.PersonNameToken",
    "people.PersonMatchKey",
}


def snapshot() -> dict[str, list[Any]]:
    """Every row of every table, as plain values."""
    state: dict[str, list[Any]] = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        if label in HISTORY:
            continue
        rows = list(model._base_manager.order_by("pk").values())
        if label in DERIVED:
            rows = sorted(
                tuple(sorted((k, str(v)) for k, v in r.items() if k != "id")) for r in rows
            )
        state[label] = rows
    return state


def source_record(person, organisation, local_id):
    return SourceRecord.objects.create(
        network=person.network,
        source=organisation,
        local_id=local_id,
        given_name=person.given_name,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
        person=person,
        link_status=LinkStatus.LINKED,
        link_method="automatic",
        link_score=0.99,
        linked_at=timezone.now(),
    )


def populate(personas, person, *, lead, case_lead, group, local_id):
    """A person with one of everything that can point at a person."""
    f.CaseFactory(person=person, lead_organisation=case_lead, key_worker=personas.keyworker)
    f.CaseFactory(
        person=person,
        lead_organisation=lead,
        status=CaseStatus.CLOSED,
        closed_on=timezone.localdate(),
        closure_reason="goals_met",
    )
    make_consent(person, categories=["health", "housing"], organisation=personas.partner_org)
    make_legal_basis(
        person,
        organisation=personas.outsider_org,
        categories=["legal"],
        recorded_by=personas.manager,
    )
    make_break_glass(person, user=personas.keyworker, organisation=personas.one_stop)
    f.IdentifierFactory(person=person)
    PersonPopulationGroup.objects.create(person=person, group="homeless")
    PersonPopulationGroup.objects.create(person=person, group=group)
    record = source_record(person, personas.partner_org, local_id)
    person.address_visible_to.add(personas.keyworker)
    return record


@pytest.fixture
def pair(personas):
    survivor = indexed_person(
        personas.network,
        given_name="Rhys",
        family_name="Morgan",
        date_of_birth=DOB,
        registered_by=personas.one_stop,
        email="",
    )
    merged = indexed_person(
        personas.network,
        given_name="Rees",
        family_name="Morgan",
        date_of_birth=None,
        phone="+447400123456",
        email="rees@example.org",
        registered_by=personas.one_stop,
    )
    return survivor, merged


@pytest.fixture
def manager_actor(personas):
    return personas.actor(personas.manager)


def test_relations_are_found_generically():
    labels = {r.label for r in person_relations()}
    assert {
        "cases.Case",
        "consent.Consent",
        "consent.LegalBasis",
        "consent.BreakGlass",
        "people.Identifier",
        "people.HouseholdMember",
        "people.PersonPopulationGroup",
        "linkage.SourceRecord",
        "linkage.ReviewPair",
    } <= labels
    assert not labels & {
        "consent.AccessGrant",
        "consent.GrantedNameToken",
        "people.PersonMatchKey",
        "people.PersonMerge",
    }


def test_merge_then_unmerge_restores_every_row(personas, pair, manager_actor):
    survivor, merged = pair
    household = f.HouseholdFactory(network=personas.network)
    HouseholdMember.objects.create(household=household, person=merged, relationship="head")
    HouseholdMember.objects.create(household=household, person=survivor, relationship="partner")
    populate(
        personas,
        survivor,
        lead=personas.one_stop,
        case_lead=personas.one_stop,
        group="older_people",
        local_id="H-1",
    )
    merged_record = populate(
        personas,
        merged,
        lead=personas.one_stop,
        case_lead=personas.partner_org,
        group="disability",
        local_id="H-2",
    )
    shared = source_record(survivor, personas.outsider_org, "L-9")
    ReviewPair.objects.create(network=personas.network, record=shared, person=survivor, score=0.7)
    ReviewPair.objects.create(network=personas.network, record=shared, person=merged, score=0.6)
    ReviewPair.objects.create(
        network=personas.network, record=merged_record, person=survivor, score=0.8
    )
    before = snapshot()

    merge = person_merge(
        actor=manager_actor, survivor=survivor, merged=merged, reason="Same NHS number"
    )

    # Everything that pointed at the merged person now points at the survivor...
    for relation in person_relations():
        assert not relation.rows(merged.pk).exists(), relation.label
    assert survivor.cases.count() == 4
    assert survivor.consents.count() == 2
    assert survivor.source_records.count() == 3
    assert set(survivor.population_groups.values_list("group", flat=True)) == {
        "homeless",
        "older_people",
        "disability",
    }
    # ...the survivor took over as head of the shared household...
    assert HouseholdMember.objects.get(person=survivor).relationship == "head"
    assert HouseholdMember.objects.filter(household=household).count() == 1
    # ...the duplicate review pair and population group were removed as duplicates...
    kinds = list(merge.changes.values_list("model", "kind"))
    assert ("people.PersonPopulationGroup", "deleted") in kinds
    assert ("linkage.ReviewPair", "deleted") in kinds
    assert ("people.HouseholdMember", "updated") in kinds
    # ...details the survivor lacked were filled in, and the other name kept as a previous one.
    survivor.refresh_from_db()
    assert survivor.phone == "+447400123456"
    assert survivor.email == "rees@example.org"
    assert survivor.date_of_birth == DOB
    assert "Rees Morgan" in survivor.previous_names
    merged.refresh_from_db()
    assert merged.merged_into == survivor
    # The survivor's access grants include the moved cases and consents.
    assert AccessGrant.objects.filter(
        person=survivor, recipient=f"org:{personas.partner_org.pk}"
    ).exists()
    assert not PersonMatchKey.objects.filter(person=merged).exists()

    person_unmerge(actor=manager_actor, merge=merge, reason="Different people after all")

    after = snapshot()
    for label in before:
        assert after[label] == before[label], label
    merge.refresh_from_db()
    assert merge.status == MergeStatus.UNDONE
    assert merge.undo_reason == "Different people after all"
    assert merge.undone_by == personas.manager


def test_merge_hides_the_merged_person_and_matching_finds_the_survivor(
    personas, pair, manager_actor
):
    survivor, merged = pair
    person_merge(actor=manager_actor, survivor=survivor, merged=merged, reason="Duplicate")
    found = list(person_search(actor=manager_actor, name="morgan"))
    assert found == [survivor]
    results = score_candidates(
        MatchInput(given_name="Rees", family_name="Morgan", email="rees@example.org"),
        network_id=personas.network.pk,
        params=__import__("wraparound.linkage.model", fromlist=["x"]).default_parameters(),
    )
    assert [r.person.pk for r in results] == [survivor.pk]


def test_merge_and_unmerge_are_audited_on_both_records(personas, pair, manager_actor):
    survivor, merged = pair
    merge = person_merge(actor=manager_actor, survivor=survivor, merged=merged, reason="Duplicate")
    events = AuditEvent.objects.filter(action="person.merge")
    assert set(events.values_list("person_id", flat=True)) == {survivor.pk, merged.pk}
    assert all("Duplicate" in e.summary for e in events)
    person_unmerge(actor=manager_actor, merge=merge, reason="Mistake")
    undo = AuditEvent.objects.filter(action="person.unmerge")
    assert set(undo.values_list("person_id", flat=True)) == {survivor.pk, merged.pk}


def test_a_person_cannot_be_merged_into_themselves(personas, pair, manager_actor):
    survivor, _ = pair
    with pytest.raises(ValidationError) as error:
        person_merge(actor=manager_actor, survivor=survivor, merged=survivor, reason="x")
    assert error.value.message_dict == {"merged": ["A record cannot be merged into itself"]}


def test_merges_across_networks_are_refused(personas, pair, manager_actor):
    survivor, _ = pair
    stranger = f.PersonFactory()
    with pytest.raises(ValidationError) as error:
        person_merge(actor=manager_actor, survivor=survivor, merged=stranger, reason="x")
    assert "different networks" in error.value.message_dict["merged"][0]
    assert not PersonMerge.objects.exists()


def test_a_reason_is_required(personas, pair, manager_actor):
    survivor, merged = pair
    with pytest.raises(ValidationError) as error:
        person_merge(actor=manager_actor, survivor=survivor, merged=merged, reason="   ")
    assert list(error.value.message_dict) == ["reason"]
    merge = person_merge(actor=manager_actor, survivor=survivor, merged=merged, reason="Same")
    with pytest.raises(ValidationError) as error:
        person_unmerge(actor=manager_actor, merge=merge, reason="")
    assert list(error.value.message_dict) == ["reason"]


@pytest.mark.parametrize("username", ["keyworker", "partner", "netadmin"])
def test_only_managers_and_privacy_officers_of_the_lead_may_merge(personas, pair, username):
    survivor, merged = pair
    actor = personas.actor(getattr(personas, username))
    with pytest.raises(PermissionDenied):
        person_merge(actor=actor, survivor=survivor, merged=merged, reason="Same")


def test_a_manager_of_another_organisation_may_not_merge(personas, pair):
    survivor, merged = pair
    manager = f.UserFactory()
    f.MembershipFactory(user=manager, organisation=personas.partner_org, role=Role.MANAGER)
    with pytest.raises(PermissionDenied):
        person_merge(actor=personas.actor(manager), survivor=survivor, merged=merged, reason="x")


def test_the_privacy_officer_may_merge_and_unmerge(personas, pair):
    survivor, merged = pair
    actor = personas.actor(personas.privacy)
    merge = person_merge(actor=actor, survivor=survivor, merged=merged, reason="Same")
    person_unmerge(actor=actor, merge=merge, reason="Not the same")


def test_people_the_actor_cannot_see_cannot_be_merged(personas, pair, manager_actor):
    survivor, _ = pair
    hidden = indexed_person(personas.network, registered_by=personas.outsider_org)
    with pytest.raises(PermissionDenied):
        person_merge(actor=manager_actor, survivor=survivor, merged=hidden, reason="x")


def test_a_merged_record_cannot_be_merged_again(personas, pair, manager_actor):
    survivor, merged = pair
    third = indexed_person(personas.network, registered_by=personas.one_stop)
    person_merge(actor=manager_actor, survivor=survivor, merged=merged, reason="Same")
    merged.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        person_merge(actor=manager_actor, survivor=third, merged=merged, reason="Same")
    assert "already been merged" in error.value.message_dict["merged"][0]


def test_different_households_refuse_the_merge_and_write_nothing(personas, pair, manager_actor):
    survivor, merged = pair
    f.HouseholdMemberFactory(
        household=f.HouseholdFactory(network=personas.network, name="Morgan"), person=survivor
    )
    f.HouseholdMemberFactory(
        household=f.HouseholdFactory(network=personas.network, name="Price"), person=merged
    )
    f.CaseFactory(person=merged, lead_organisation=personas.partner_org)
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        person_merge(actor=manager_actor, survivor=survivor, merged=merged, reason="Same")
    assert "different households" in error.value.message_dict["merged"][0]
    assert snapshot() == before
    assert not PersonMerge.objects.exists()
    assert not PersonMergeChange.objects.exists()


def test_two_active_cases_at_the_same_lead_refuse_the_merge(personas, pair, manager_actor):
    survivor, merged = pair
    f.CaseFactory(person=survivor, lead_organisation=personas.one_stop)
    f.CaseFactory(person=merged, lead_organisation=personas.one_stop)
    with pytest.raises(ValidationError) as error:
        person_merge(actor=manager_actor, survivor=survivor, merged=merged, reason="Same")
    assert "active case led by" in error.value.message_dict["merged"][0]
    assert not PersonMerge.objects.exists()


def test_closed_cases_at_the_same_lead_do_not_clash(personas, pair, manager_actor):
    survivor, merged = pair
    f.CaseFactory(person=survivor, lead_organisation=personas.one_stop)
    f.CaseFactory(
        person=merged,
        lead_organisation=personas.one_stop,
        status=CaseStatus.CLOSED,
        closed_on=timezone.localdate(),
        closure_reason="goals_met",
    )
    person_merge(actor=manager_actor, survivor=survivor, merged=merged, reason="Same")
    assert survivor.cases.count() == 2


def test_an_undone_merge_cannot_be_undone_twice(personas, pair, manager_actor):
    survivor, merged = pair
    merge = person_merge(actor=manager_actor, survivor=survivor, merged=merged, reason="Same")
    person_unmerge(actor=manager_actor, merge=merge, reason="No")
    with pytest.raises(ValidationError):
        person_unmerge(actor=manager_actor, merge=merge, reason="No")


def test_rows_added_after_the_merge_stay_with_the_survivor(personas, pair, manager_actor):
    survivor, merged = pair
    merge = person_merge(actor=manager_actor, survivor=survivor, merged=merged, reason="Same")
    later = f.IdentifierFactory(person=survivor)
    # A detail edited on the survivor since the merge is left as it is now.
    Person.objects.filter(pk=survivor.pk).update(phone="+447400999999")
    person_unmerge(actor=manager_actor, merge=merge, reason="No")
    later.refresh_from_db()
    assert later.person_id == survivor.pk
    survivor.refresh_from_db()
    assert survivor.phone == "+447400999999"
    event = AuditEvent.objects.get(action="person.unmerge", person_id=survivor.pk)
    assert "phone was changed since the merge" in event.summary


def test_a_survivor_merged_later_must_be_unmerged_first(personas, pair, manager_actor):
    survivor, merged = pair
    third = indexed_person(personas.network, registered_by=personas.one_stop)
    first = person_merge(actor=manager_actor, survivor=survivor, merged=merged, reason="Same")
    survivor.refresh_from_db()
    person_merge(actor=manager_actor, survivor=third, merged=survivor, reason="Same again")
    with pytest.raises(ValidationError) as error:
        person_unmerge(actor=manager_actor, merge=first, reason="No")
    assert "undo that merge first" in error.value.message_dict["merge"][0]
