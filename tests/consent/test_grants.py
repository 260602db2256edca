"""The access-grant read model: kept equal to its sources by every service that changes one,
rebuilt by the migration and the command, and what ``visible_people`` filters on."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests import factories as f
from tests.consent import make_break_glass, make_consent, make_legal_basis
from wraparound.accounts.actor import actor_for_user
from wraparound.accounts.models import Role
from wraparound.cases.services import case_assign_key_worker, case_open
from wraparound.consent.grants import grant_drift, rebuild_all_access_grants, sync_access_grants
from wraparound.consent.models import AccessGrant, GrantSource, Purpose, RecipientKind
from wraparound.consent.policy import decide, visible_people, visible_people_count
from wraparound.consent.services import consent_record, consent_withdraw
from wraparound.core.pagination import capped_count
from wraparound.directory.models import Sector
from wraparound.people.services import PersonDetails, person_create

DAY = dt.timedelta(days=1)


def actor(user):
    return actor_for_user(user, via="web")


def grants_of(person) -> set[tuple[str, str]]:
    return set(AccessGrant.objects.filter(person=person).values_list("recipient", "source"))


def sees(user, person) -> bool:
    return visible_people(actor(user)).filter(pk=person.pk).exists()


def test_the_services_keep_the_grants_equal_to_their_sources(personas):
    one_stop, partner_org = personas.one_stop, personas.partner_org
    person = person_create(
        actor=actor(personas.keyworker),
        details=PersonDetails(given_name="Mair", family_name="Hughes"),
    )
    assert grants_of(person) == {(f"org:{one_stop.pk}", GrantSource.REGISTRATION)}
    assert not sees(personas.partner, person)

    case_open(actor=actor(personas.keyworker), person=person, entry_route="case_management")
    assert (f"org:{one_stop.pk}", GrantSource.CASE) in grants_of(person)

    consent = consent_record(
        actor=actor(personas.keyworker),
        person=person,
        recipient_kind=RecipientKind.ORGANISATION,
        recipient_organisation=partner_org,
        purpose=Purpose.CARE_COORDINATION,
        categories=["identity", "household"],
        evidence="verbal",
    )
    assert (f"org:{partner_org.pk}", GrantSource.CONSENT) in grants_of(person)
    assert sees(personas.partner, person)

    consent_withdraw(actor=actor(personas.keyworker), consent=consent, reason="asked to")
    assert (f"org:{partner_org.pk}", GrantSource.CONSENT) not in grants_of(person)
    assert not sees(personas.partner, person)
    assert grant_drift() == []


def test_a_consent_for_another_purpose_grants_no_list_visibility(personas):
    person = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    make_consent(
        person,
        organisation=personas.partner_org,
        categories=["identity"],
        purpose=Purpose.EVALUATION,
    )
    assert grants_of(person) == {(f"org:{personas.one_stop.pk}", GrantSource.REGISTRATION)}
    assert not sees(personas.partner, person)


def test_a_consent_that_starts_tomorrow_counts_from_tomorrow(personas, monkeypatch):
    person = f.PersonFactory(network=personas.network)
    tomorrow = timezone.now() + DAY
    make_consent(
        person, sector=Sector.SOCIAL_SERVICES, categories=["identity"], valid_from=tomorrow
    )
    partner_sector = personas.partner_org.sector
    make_consent(person, sector=partner_sector, categories=["identity"], valid_from=tomorrow)
    assert not sees(personas.partner, person)
    later = tomorrow + dt.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert sees(personas.partner, person)
    assert decide(actor=actor(personas.partner), person=person)


def test_a_key_worker_is_granted_as_a_worker_not_as_their_organisation(personas):
    """A key worker acting for another organisation than the case's lead still sees the
    person; their colleagues there do not."""
    person = f.PersonFactory(network=personas.network)
    f.CaseFactory(person=person, lead_organisation=personas.one_stop, key_worker=personas.partner)
    colleague = f.UserFactory()
    f.MembershipFactory(user=colleague, organisation=personas.partner_org)
    assert grants_of(person) == {
        (f"org:{personas.one_stop.pk}", GrantSource.CASE),
        (f"user:{personas.partner.pk}", GrantSource.CASE),
    }
    assert sees(personas.partner, person)
    assert not sees(colleague, person)


def test_assigning_a_key_worker_moves_their_grant(personas):
    person = f.PersonFactory(network=personas.network)
    case = f.CaseFactory(
        person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker
    )
    successor = f.UserFactory()
    f.MembershipFactory(user=successor, organisation=personas.one_stop, role=Role.KEY_WORKER)

    case_assign_key_worker(actor=actor(personas.manager), case=case, key_worker=successor)

    assert grants_of(person) == {
        (f"org:{personas.one_stop.pk}", GrantSource.CASE),
        (f"user:{successor.pk}", GrantSource.CASE),
    }
    assert grant_drift() == []


def test_drift_is_found_and_the_command_repairs_it(personas):
    people = [f.PersonFactory(network=personas.network, registered_by=personas.one_stop)]
    people.append(f.PersonFactory(network=personas.network))
    f.CaseFactory(person=people[1], lead_organisation=personas.partner_org)
    AccessGrant.objects.filter(person=people[1]).delete()
    AccessGrant.objects.create(
        person=people[0], recipient="network:1", source=GrantSource.CONSENT, source_id=999
    )
    assert grant_drift() == [people[0].pk, people[1].pk]
    with pytest.raises(CommandError, match="differ from their sources for 2 people"):
        call_command("rebuild_access_grants", "--check")

    call_command("rebuild_access_grants", "--network", personas.network.slug)
    assert grant_drift() == []
    call_command("rebuild_access_grants", "--check")
    assert sees(personas.partner, people[1])


def test_the_command_names_an_unknown_network(db):
    with pytest.raises(CommandError, match="No network with the slug 'atlantis'"):
        call_command("rebuild_access_grants", "--network", "atlantis")


def test_the_migration_backfills_what_the_services_would_have_kept(personas):
    people = [f.PersonFactory(network=personas.network, registered_by=personas.one_stop)]
    people += [f.PersonFactory(network=personas.network) for _ in range(3)]
    f.CaseFactory(person=people[1], lead_organisation=personas.partner_org)
    make_consent(people[2], categories=["identity"], valid_until=timezone.now() + DAY)
    make_consent(people[3], organisation=personas.partner_org, categories=["identity"])
    make_consent(people[3], sector=Sector.HOUSING, categories=["identity"], withdrawn=True)
    make_legal_basis(
        people[2],
        organisation=personas.partner_org,
        categories=["safety"],
        recorded_by=personas.manager,
    )
    make_legal_basis(
        people[3],
        organisation=personas.partner_org,
        categories=["safety"],
        recorded_by=personas.manager,
        ended=True,
    )
    make_break_glass(people[1], user=personas.outsider, organisation=personas.outsider_org)
    kept = sorted(
        AccessGrant.objects.values_list(
            "person_id", "recipient", "valid_from", "valid_until", "source", "source_id"
        )
    )
    AccessGrant.objects.all().delete()
    migration = importlib.import_module("wraparound.consent.migrations.0003_access_grants")
    migration.backfill_grants(apps, None)
    backfilled = sorted(
        AccessGrant.objects.values_list(
            "person_id", "recipient", "valid_from", "valid_until", "source", "source_id"
        )
    )
    assert backfilled == kept
    assert len(kept) == 6  # the withdrawn consent and the ended legal basis grant nothing


def test_a_rebuild_changes_nothing_that_was_right(personas):
    person = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    make_consent(person, organisation=personas.partner_org, categories=["identity"])
    before = sorted(AccessGrant.objects.values_list("person_id", "recipient", "source"))
    assert rebuild_all_access_grants() == 1
    sync_access_grants([person.pk, person.pk])
    assert sorted(AccessGrant.objects.values_list("person_id", "recipient", "source")) == before


@pytest.mark.parametrize("cap", [0, 3, 1000])
def test_counting_everyone_from_the_grants_agrees_with_the_list(personas, cap):
    """visible_people_count (the grants side) equals the capped count of visible_people, for
    every persona, with each kind of ground and some people nobody here may see."""
    people = [f.PersonFactory(network=personas.network) for _ in range(8)]
    f.CaseFactory(person=people[0], lead_organisation=personas.one_stop)
    f.CaseFactory(
        person=people[1], lead_organisation=personas.one_stop, key_worker=personas.partner
    )
    make_consent(people[2], organisation=personas.partner_org, categories=["identity"])
    make_consent(people[3], sector=personas.partner_org.sector, categories=["identity"])
    make_consent(people[4], categories=["identity"])
    make_consent(people[4], organisation=personas.partner_org, categories=["identity"])
    make_legal_basis(
        people[5],
        organisation=personas.partner_org,
        categories=["safety"],
        recorded_by=personas.manager,
    )
    make_break_glass(people[6], user=personas.outsider, organisation=personas.outsider_org)
    elsewhere = f.PersonFactory()
    make_consent(elsewhere, categories=["identity"])  # another network's network-wide consent
    for user in (personas.keyworker, personas.partner, personas.outsider, personas.privacy):
        listed = capped_count(visible_people(actor(user)), cap)
        assert visible_people_count(actor(user), cap=cap) == listed, user.username


def test_the_capped_count_is_exact_at_every_cap_when_recipients_overlap(personas):
    """Each recipient contributes at most cap + 1 people to the count; the union of those
    parts must still give the list's capped count at every cap, whether one recipient alone
    passes the cap, only their union does, or neither."""
    partner_org = personas.partner_org
    registered = [
        f.PersonFactory(network=personas.network, registered_by=partner_org) for _ in range(5)
    ]
    for person in registered[3:]:  # two people seen both ways
        make_consent(person, sector=partner_org.sector, categories=["identity"])
    for _ in range(3):  # three seen through the sector only
        person = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
        make_consent(person, sector=partner_org.sector, categories=["identity"])
    partner = actor(personas.partner)
    assert visible_people(partner).count() >= 8
    for cap in range(12):
        listed = capped_count(visible_people(actor(personas.partner)), cap)
        assert visible_people_count(partner, cap=cap) == listed, cap


def test_the_visibility_filter_keeps_its_meaning_inside_other_queries(personas):
    """visible_people's filter is written as SQL on the outer person column; nested in a
    subquery, a join or an EXISTS (where Django renames the tables), it must still refer to
    the right person."""
    from django.db.models import Exists, OuterRef

    from wraparound.cases.models import Case
    from wraparound.people.models import Person

    seen = f.PersonFactory(network=personas.network, registered_by=personas.partner_org)
    unseen = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    for person in (seen, unseen):
        f.CaseFactory(person=person, lead_organisation=personas.one_stop)
    partner = actor(personas.partner)
    visible = set(visible_people(partner).values_list("pk", flat=True))
    assert seen.pk in visible and unseen.pk not in visible
    as_subquery = Person.objects.filter(pk__in=visible_people(partner).values("pk"))
    assert set(as_subquery.values_list("pk", flat=True)) == visible
    excluded = Person.objects.exclude(pk__in=visible_people(partner))
    assert seen.pk not in set(excluded.values_list("pk", flat=True))
    cases = Case.objects.filter(person__in=visible_people(partner))
    assert set(cases.values_list("person_id", flat=True)) == {seen.pk}
    correlated = Case.objects.filter(
        Exists(visible_people(partner).filter(pk=OuterRef("person_id")))
    )
    assert set(correlated.values_list("person_id", flat=True)) == {seen.pk}


def test_an_organisation_keeps_sight_of_someone_whose_record_it_registered_was_merged(personas):
    """Through chains of merges: A (registered by the partner) into B, B into C."""
    from wraparound.people.merge import person_merge

    a = f.PersonFactory(network=personas.network, registered_by=personas.partner_org)
    consent = make_consent(a, organisation=personas.one_stop, categories=["identity"])
    b = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    c = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    merger = actor(personas.manager)
    person_merge(actor=merger, survivor=b, merged=a, reason="the same person, twice registered")
    assert sees(personas.partner, b)
    assert decide(actor=actor(personas.partner), person=b).reason == (
        "your organisation registered a record merged into this one"
    )
    assert not sees(personas.partner, a)  # history: found through the survivor
    assert consent.__class__.objects.get(pk=consent.pk).person_id == b.pk

    person_merge(actor=actor(personas.manager), survivor=c, merged=b, reason="again the same")
    assert sees(personas.partner, c)
    assert not sees(personas.partner, b)
    assert grant_drift() == []
    # The merged records themselves: only that they became C, to whoever may see C.
    a.refresh_from_db()
    partner = actor(personas.partner)
    assert decide(actor=partner, person=a).reason == f"merged into {c.reference}, whom you may see"
    assert not decide(actor=partner, person=a, category="household")
    assert not decide(actor=actor(personas.outsider), person=a)
