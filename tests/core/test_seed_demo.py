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
from wraparound.consent.categories import SENSITIVE_CATEGORIES, DataCategory
from wraparound.consent.models import BreakGlass, Consent, ConsentWithdrawal, Review
from wraparound.consent.policy import decide, visible_people
from wraparound.consent.selectors import break_glass_queue
from wraparound.core import demo
from wraparound.core.models import Area, AreaLevel, Network
from wraparound.directory.models import Organisation
from wraparound.people.choices import LANGUAGE_NAMES, IdentifierType, Relationship
from wraparound.people.models import Household, Identifier, Person
from wraparound.people.selectors import PersonNotFound, person_record, person_search
from wraparound.people.validation import _nhs_number_is_valid, normalise_phone
from wraparound.referrals.demo import REFERRAL_CONSENT_DETAIL

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


def test_the_plan_shares_some_records_and_breaks_the_glass_on_a_few():
    p = plan(people=500)
    statuses = Counter(c.status(TODAY) for c in p.consents)
    assert statuses["withdrawn"] == 1
    assert statuses["expired"] >= 5
    assert statuses["active"] >= 20
    active = [c for c in p.consents if c.status(TODAY) == "active"]
    housing = [c for c in active if c.recipient == demo.HOUSING]
    assert any(c.sensitive for c in housing)
    assert any(not c.sensitive for c in housing)
    assert {c.recipient for c in p.consents} == {demo.HOUSING, demo.MENTAL_HEALTH}
    assert [c.recorded_by for c in p.consents if c.withdrawal_reason] == ["keyworker"]
    for consent in p.consents:
        household = p.households[consent.household]
        assert household.pathway == "one_stop"  # no partner agency knows them otherwise
        [case] = [
            c
            for c in household.cases
            if c.member == consent.member and c.lead == demo.ONE_STOP and c.status != "closed"
        ]
        assert consent.recorded_by == case.key_worker
        assert consent.valid_from <= TODAY
        assert consent.valid_until is None or consent.valid_until > consent.valid_from
        assert DataCategory.SUBSTANCE_USE not in consent.categories
    assert Counter(b.review for b in p.break_glasses) == {Review.PENDING: 2, Review.JUSTIFIED: 1}
    assert not {b.organisation for b in p.break_glasses} & {demo.HOUSING, demo.LAW_CLINIC}
    people = [(c.household, c.member) for c in p.consents]
    people += [(b.household, b.member) for b in p.break_glasses]
    assert len(set(people)) == len(people)  # one ground each: who sees whom stays clear
    assert plan(people=500).consents == p.consents  # deterministic


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
    # The staff personas, then the demo citizen of the portal.
    assert [login.username for login in seeded.logins] == [*demo.PERSONAS, "citizen@example.org"]


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
    assert AuditEvent.objects.filter(action="consent.record").count() == Consent.objects.count()
    assert AuditEvent.objects.filter(action="consent.withdraw").count() == 1
    assert AuditEvent.objects.filter(action="break_glass.start").count() == 3
    assert AuditEvent.objects.filter(action="break_glass.review").count() == 1
    manager = actor("manager")
    for person in Person.objects.filter(registered_by__slug=demo.ONE_STOP)[:10]:
        found = person_search(actor=manager, name=unidecode(person.given_name).lower())
        assert person in found


def _partner_consented() -> list[Person]:
    housing = Organisation.objects.get(slug=demo.HOUSING)
    # The core seed's consents, not those recorded when a demo referral was made.
    consents = (
        Consent.objects.active().covering(housing).exclude(purpose_detail=REFERRAL_CONSENT_DETAIL)
    )
    return list(Person.objects.filter(consents__in=consents).distinct())


def test_partner_sees_part_of_a_record_through_a_consent(seeded):
    partner = actor("partner")
    consented = _partner_consented()
    assert len(consented) >= 3
    assert seeded.partner_sees_by_consent >= len(consented)
    seen = set(person_search(actor=partner).values_list("pk", flat=True))
    assert seeded.partner_sees == len(seen)
    sensitive_shown = False
    for person in consented:
        assert person.pk in seen
        assert person.registered_by.slug == demo.ONE_STOP  # known to partner only this way
        record = person_record(actor=partner, person_id=person.pk)
        assert record.access.reason.startswith("consent #")
        assert not record.break_glass
        assert record.shows(DataCategory.HOUSEHOLD)
        assert not record.shows(DataCategory.CASE_NOTES)
        assert not record.shows(DataCategory.ASSESSMENTS)
        assert not record.shows(DataCategory.SUBSTANCE_USE)
        assert all(reason.startswith("withheld") for reason in record.withheld.values())
        core_consent = (
            Consent.objects.active()
            .filter(person=person)
            .exclude(purpose_detail=REFERRAL_CONSENT_DETAIL)
            .get()
        )
        named = {c.category for c in core_consent.categories.all()}
        assert set(DataCategory) - set(record.withheld) == named
        sensitive_shown |= bool(named & SENSITIVE_CATEGORIES)
    assert sensitive_shown  # someone agreed to share their mental health or health
    # The key worker, through the relationship, still sees everything but the sensitive.
    keyworker_view = person_record(actor=actor("keyworker"), person_id=consented[0].pk)
    assert set(keyworker_view.withheld) <= SENSITIVE_CATEGORIES


def test_expired_and_withdrawn_consents_let_nobody_in(seeded):
    assert ConsentWithdrawal.objects.count() == 1
    withdrawal = ConsentWithdrawal.objects.select_related("consent").get()
    assert withdrawal.withdrawn_by == withdrawal.consent.recorded_by
    assert withdrawal.consent.status() == "withdrawn"
    expired = Consent.objects.filter(valid_until__lte=timezone.now())
    assert expired.count() == seeded.consents_expired >= 2
    assert all(c.status() == "expired" for c in expired)
    partner = actor("partner")
    seen = set(person_search(actor=partner).values_list("pk", flat=True))
    for person_id in [withdrawal.consent.person_id, *expired.values_list("person_id", flat=True)]:
        assert person_id not in seen
        with pytest.raises(PersonNotFound):
            person_record(actor=partner, person_id=person_id)


def test_outsider_sees_nobody(seeded):
    outsider = actor("outsider")
    assert seeded.outsider_sees == 0
    assert not visible_people(outsider).exists()
    for person in Person.objects.all():
        assert not decide(actor=outsider, person=person)


def test_emergency_accesses_wait_for_the_privacy_officer(seeded):
    queue = list(break_glass_queue(actor=actor("privacy")))
    assert len(queue) == seeded.break_glass_pending == 2
    assert not break_glass_queue(actor=actor("keyworker")).exists()
    reviewed = BreakGlass.objects.exclude(review=Review.PENDING).get()
    assert reviewed.review == Review.JUSTIFIED
    assert reviewed.reviewed_by == User.objects.get(username="privacy")
    assert reviewed.review_note
    for access in [*queue, reviewed]:
        assert access.organisation.slug not in {demo.ONE_STOP, demo.HOUSING, demo.LAW_CLINIC}
        assert access.is_active
        decision = decide(actor=actor_for_user(access.user, via="web"), person=access.person)
        assert decision.allowed and decision.break_glass


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
    assert re.search(r"consents: \d+ \(\d+ active, \d+ of them naming sensitive categories; "
                     r"\d+ expired; 1 withdrawn\)", output)  # fmt: skip
    assert re.search(r"partner sees \d+ people, \d+ of them through a consent only; "
                     r"outsider sees 0$", output, re.MULTILINE)  # fmt: skip
    assert "break-glass: 2 waiting for review, 1 reviewed" in output
    for username in demo.PERSONAS:
        assert re.search(rf"^\s+{username}\s+.+from-the-environment$", output, re.MULTILINE)
    assert User.objects.get(username="outsider").check_password("from-the-environment")


@pytest.mark.django_db
@pytest.mark.parametrize("people", ["5", "0", "-3"])
def test_the_command_refuses_too_few_people(people):
    with pytest.raises(CommandError, match="at least 10"):
        call_command("seed_demo", "--people", people, stdout=StringIO())
    assert not Network.objects.exists()


def test_the_seeded_network_has_assessments_tiers_needs_and_care_plans(seeded):
    from wraparound.assessments.models import Assessment, Need, TierOverride
    from wraparound.assessments.selectors import current_needs, current_tier
    from wraparound.plans.models import CarePlan, Goal

    assessments = Assessment.objects.filter(network__slug=demo.NETWORK_SLUG)
    extras = seeded.extras
    # The seed's assessments, and the comparison group's (analytics/demo.py).
    assert extras["assessments"] + extras["comparison_assessments"] == assessments.count() > 0
    assert extras["tier_overrides"] == TierOverride.objects.count() >= 1
    assert extras["hrsn_screens"] >= 1
    assert assessments.filter(person__cases__lead_organisation__slug=demo.ONE_STOP).exists()
    assert Need.objects.exists()
    # The key worker sees tiers and ordered needs on their caseload...
    keyworker = actor("keyworker")
    mine = Person.objects.filter(
        cases__key_worker__username="keyworker",
        cases__status=CaseStatus.OPEN,
        assessments__isnull=False,
    ).distinct()
    assert mine.exists()
    tiers = {current_tier(actor=keyworker, person=p) for p in mine}
    assert None not in tiers and len(tiers) >= 2
    assert any(current_needs(actor=keyworker, person=p) for p in mine)
    # ... and the care plans were written for those needs.
    assert extras["care_plans"] == CarePlan.objects.count() > 0
    goals = Goal.objects.select_related("need")
    assert goals.exists() and all(g.need.person_id == g.plan.case.person_id for g in goals)


def test_referrals_and_coordination_are_seeded(db):
    demo.seed_demo(people=200, seed=7, password="demo-pass-123")
    from wraparound.appointments.models import Appointment
    from wraparound.enrolments.models import ServiceEvent
    from wraparound.flags.models import Flag
    from wraparound.referrals.demo import overdue_count
    from wraparound.referrals.models import Referral, ReferralStatus, WaitlistEntry

    network = Person.objects.first().network
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert statuses == set(ReferralStatus.values)
    assert overdue_count(network) > 0
    assert WaitlistEntry.objects.filter(status="waiting").exists()
    assert ServiceEvent.objects.exclude(cost=None).exists()
    assert Appointment.objects.filter(place="home_visit").exists()
    open_kinds = set(Flag.objects.filter(resolved_at=None).values_list("kind", flat=True))
    assert {"five_cars", "duplication"} <= open_kinds
    # The unrelated agency stays a stranger to everyone.
    assert not Referral.objects.filter(receiving_organisation__slug=demo.LAW_CLINIC).exists()


def test_the_demo_citizen_has_something_in_every_part_of_the_portal(seeded):
    from django.test import Client

    from wraparound.applications.models import Application
    from wraparound.messaging.models import Thread
    from wraparound.plans.models import CarePlan, CarePlanStatus
    from wraparound.portal.models import CitizenAccount

    citizen = CitizenAccount.objects.get(email="citizen@example.org")
    assert citizen.check_password("demo-pass-123")
    person = citizen.person
    assert person is not None
    assert CarePlan.objects.filter(person=person, status=CarePlanStatus.AGREED).exists()
    assert person.appointments.filter(starts_at__gte=timezone.now()).exists()
    assert Application.objects.filter(person=person, status="more_information").exists()
    assert Thread.objects.filter(person=person).exists()
    client = Client()
    response = client.post(
        "/portal/sign-in/password/", {"email": "citizen@example.org", "password": "demo-pass-123"}
    )
    assert response.url == "/portal/home/"
    assert client.get("/portal/home/").status_code == 200
