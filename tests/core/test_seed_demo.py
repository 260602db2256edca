"""The demo seed: a deterministic plan, written through the services, refusing to run twice.

The `personas` fixture is not used here: the seed creates its own users with those names.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from unidecode import unidecode

from wraparound.accounts.actor import Actor, actor_for_user
from wraparound.accounts.models import Membership, Role, User
from wraparound.audit.models import AuditEvent
from wraparound.cases.models import Case, CaseStatus, EntryRoute
from wraparound.core import demo
from wraparound.core.models import Area, AreaLevel, Network
from wraparound.directory.models import Organisation
from wraparound.people.choices import LANGUAGE_NAMES, IdentifierType, Relationship
from wraparound.people.models import Household, Identifier, Person
from wraparound.people.selectors import person_search
from wraparound.people.validation import _nhs_number_is_valid, normalise_phone

TODAY = dt.date(2026, 3, 14)
SMALL = 40
CHILD_RELATIONSHIPS = {Relationship.CHILD, Relationship.STEPCHILD}


def plan(*, seed: int = 7, people: int = SMALL, today: dt.date = TODAY) -> demo.DemoPlan:
    return demo.build_plan(seed=seed, people=people, today=today)


def names(p: demo.DemoPlan) -> list[tuple[str, str, dt.date]]:
    return sorted((x.given_name, x.family_name, x.date_of_birth) for x in p.people)


def actor(username: str) -> Actor:
    return actor_for_user(User.objects.get(username=username), via="web")


def years_between(earlier: dt.date, later: dt.date) -> int:
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


# --- The plan (no database) --------------------------------------------------------------


def test_the_same_seed_gives_the_same_plan():
    first, second = plan(seed=7), plan(seed=7)
    assert first == second
    assert names(first) == names(second)
    assert names(plan(seed=8)) != names(first)


def test_names_and_households_do_not_depend_on_the_day():
    def shape(p: demo.DemoPlan) -> list[list[tuple[str, str, str]]]:
        return [
            [(m.given_name, m.family_name, m.relationship) for m in h.members] for h in p.households
        ]

    later = plan(today=TODAY + dt.timedelta(days=200))
    assert shape(later) == shape(plan())


@pytest.mark.parametrize("people", [demo.MIN_PEOPLE, 11, SMALL, 137])
def test_the_plan_has_exactly_the_people_asked_for(people):
    assert len(plan(people=people).people) == people


def test_too_few_people_is_refused():
    with pytest.raises(ValueError, match="at least 10"):
        plan(people=5)


def test_households_are_plausible():
    p = plan(people=500)
    shapes = Counter(h.shape for h in p.households)
    assert set(shapes) == {
        "single",
        "couple",
        "single_parent",
        "couple_with_children",
        "multigenerational",
        "sharers",
    }
    for household in p.households:
        relationships = [m.relationship for m in household.members]
        assert relationships.count(Relationship.HEAD) == 1
        head = next(m for m in household.members if m.relationship == Relationship.HEAD)
        assert head.age_on(TODAY) >= 18
        for member in household.members:
            if member.relationship in CHILD_RELATIONSHIPS:
                assert years_between(head.date_of_birth, member.date_of_birth) >= 16
            if member.relationship == Relationship.PARENT:
                assert years_between(member.date_of_birth, head.date_of_birth) >= 16
    families = [h for h in p.households if len(h.members) > 1]
    sharing_a_name = [h for h in families if len({m.family_name for m in h.members}) == 1]
    assert len(sharing_a_name) > len(families) / 2


def test_names_are_varied_enough_to_try_the_search_on():
    people = plan(people=500).people
    given = {p.given_name for p in people}
    assert given & {"Siân", "Dafydd", "Rhys", "Gwen"}
    assert any(p.given_name != unidecode(p.given_name) for p in people)  # accents
    assert any(p.preferred_name for p in people)
    assert any(p.previous_names for p in people)
    languages = Counter(code for p in people for code in p.preferred_languages)
    assert languages["en"] > len(people) / 2
    assert languages["cy"] > 0
    assert set(languages) <= set(LANGUAGE_NAMES)
    assert any(p.interpreter_needed for p in people)
    assert any(p.population_groups for p in people)


def test_contact_details_and_identifiers_are_valid_and_unique():
    people = plan(people=500).people
    for person in people:
        if person.phone:
            assert normalise_phone(person.phone).startswith("+44")
        if person.email:
            assert re.fullmatch(r"[a-z0-9.]+@example\.(org|com)", person.email)
        assert person.area_code in {n.code for n in demo.NEIGHBOURHOODS}
    identifiers = [i for p in people for i in p.identifiers]
    nhs = ["".join(value.split()) for kind, value, _ in identifiers if kind == "nhs_number"]
    assert len(nhs) > len(people) / 2
    assert all(_nhs_number_is_valid(n) for n in nhs)
    assert len(set(nhs)) == len(nhs)
    keys = [(kind, "".join(value.split()), issuer) for kind, value, issuer in identifiers]
    assert len(set(keys)) == len(keys)
    assert any(kind == IdentifierType.LOCAL_AUTHORITY for kind, _, _ in identifiers)


def test_cases_have_believable_histories():
    p = plan(people=500)
    earliest = TODAY - dt.timedelta(days=demo.HISTORY_DAYS)
    for household in p.households:
        for case in household.cases:
            person = household.members[case.member]
            assert earliest <= case.opened_on <= TODAY
            assert case.opened_on >= person.date_of_birth
            ends = [d for d in (case.stepped_down_on, case.closed_on) if d is not None]
            assert all(case.opened_on <= d <= TODAY for d in ends)
            assert bool(case.closure_reason) == (case.status == CaseStatus.CLOSED)
    statuses = Counter(c.status for c in p.cases)
    assert all(statuses[s] > 0 for s in CaseStatus.values)
    one_stop_people = {
        (id(h), c.member) for h in p.households for c in h.cases if c.lead == demo.ONE_STOP
    }
    assert 0.65 <= len(one_stop_people) / 500 <= 0.85
    assert any(c.entry_route == EntryRoute.LEAD_AGENCY for c in p.cases)
    keyworker_open = [
        c for c in p.cases if c.key_worker == "keyworker" and c.status == CaseStatus.OPEN
    ]
    assert 40 <= len(keyworker_open) <= 60


# --- Writing it ---------------------------------------------------------------------------


@pytest.fixture
def seeded(db: None) -> demo.SeedSummary:
    return demo.seed_demo(people=SMALL, seed=7, password="demo-pass-123")


def test_the_database_holds_exactly_the_plan(seeded):
    written = sorted(Person.objects.values_list("given_name", "family_name", "date_of_birth"))
    assert written == names(plan(today=timezone.localdate()))
    assert seeded.people == SMALL


def test_network_areas_and_organisations(seeded):
    network = Network.objects.get(slug=demo.NETWORK_SLUG)
    region = Area.objects.get(network=network, parent=None)
    assert region.level == AreaLevel.REGION
    districts = list(region.children.all())
    assert len(districts) == 3
    for district in districts:
        assert district.level == AreaLevel.DISTRICT
        assert 2 <= district.children.count() <= 4
        assert re.fullmatch(r"W06\d{6}", district.code)
    organisations = Organisation.objects.filter(network=network)
    assert organisations.count() >= 8
    assert len({o.sector for o in organisations}) >= 6
    assert organisations.filter(is_lead=True).count() == 1


@pytest.mark.parametrize(
    ("username", "role", "organisation"),
    [
        ("keyworker", Role.KEY_WORKER, demo.ONE_STOP),
        ("partner", Role.PRACTITIONER, demo.HOUSING),
        ("outsider", Role.PRACTITIONER, demo.LAW_CLINIC),
        ("manager", Role.MANAGER, demo.ONE_STOP),
        ("netadmin", Role.NETWORK_ADMIN, demo.ONE_STOP),
        ("privacy", Role.PRIVACY_OFFICER, demo.ONE_STOP),
    ],
)
def test_personas_sign_in_with_the_demo_password(seeded, username, role, organisation):
    user = User.objects.get(username=username)
    assert user.first_name and user.last_name and user.email
    assert user.check_password("demo-pass-123")
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.organisation.slug) == (role, organisation)
    assert [login.username for login in seeded.logins] == list(demo.PERSONAS)


def test_who_sees_whom(seeded):
    mine = set(person_search(actor=actor("keyworker"), name="").values_list("pk", flat=True))
    partners = set(person_search(actor=actor("partner"), name="").values_list("pk", flat=True))
    assert len(mine) > SMALL / 2
    assert partners
    assert mine & partners  # people known to the housing association and the one-stop
    assert not person_search(actor=actor("outsider"), name="").exists()
    keyworker = User.objects.get(username="keyworker")
    assert Case.objects.filter(key_worker=keyworker, status=CaseStatus.OPEN).exists()
    one_stop_workers = Case.objects.filter(lead_organisation__slug=demo.ONE_STOP).values_list(
        "key_worker__username", flat=True
    )
    assert len(set(one_stop_workers)) > 1  # caseloads are spread


def test_people_were_written_through_the_services(seeded):
    assert AuditEvent.objects.filter(action="person.create").count() == SMALL
    assert AuditEvent.objects.filter(action="case.open").count() == Case.objects.count()
    manager = actor("manager")
    for person in Person.objects.filter(registered_by__slug=demo.ONE_STOP)[:10]:
        found = person_search(actor=manager, name=unidecode(person.given_name).lower())
        assert person in found


def test_written_details_are_valid(seeded):
    for household in Household.objects.all():
        assert household.members.filter(relationship=Relationship.HEAD).count() == 1
    for phone in Person.objects.exclude(phone="").values_list("phone", flat=True):
        assert normalise_phone(phone) == phone
    nhs = Identifier.objects.filter(type=IdentifierType.NHS_NUMBER).values_list("value", flat=True)
    assert nhs and all(_nhs_number_is_valid(n) for n in nhs)
    closed = Case.objects.filter(status=CaseStatus.CLOSED)
    assert all(c.closure_reason and c.closed_on for c in closed)


def test_seeding_again_is_refused(seeded):
    with pytest.raises(demo.AlreadySeeded):
        demo.seed_demo(people=SMALL, seed=7)
    with pytest.raises(CommandError, match="already seeded: use a fresh database"):
        call_command("seed_demo", "--people", str(SMALL), stdout=StringIO())
    assert Person.objects.count() == SMALL


# --- The command ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_prints_progress_a_summary_and_the_logins(monkeypatch):
    monkeypatch.setenv(demo.PASSWORD_ENV, "from-the-environment")
    out = StringIO()
    call_command("seed_demo", "--people", str(SMALL), "--seed", "3", stdout=out)
    output = out.getvalue()
    assert f"people: {SMALL}/{SMALL}" in output
    assert "keyworker's open cases:" in output
    for username in demo.PERSONAS:
        assert re.search(rf"^\s+{username}\s+.+from-the-environment$", output, re.MULTILINE)
    assert User.objects.get(username="outsider").check_password("from-the-environment")


@pytest.mark.django_db
@pytest.mark.parametrize("people", ["5", "0", "-3"])
def test_the_command_refuses_too_few_people(people):
    with pytest.raises(CommandError, match="at least 10"):
        call_command("seed_demo", "--people", people, stdout=StringIO())
    assert not Network.objects.exists()
