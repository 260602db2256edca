"""The demo network behind `make demo`: deterministic, realistic synthetic data.

Two steps, so the randomness can be tested without a database:

- ``build_plan(seed=..., people=..., today=...)`` turns a seed into a pure-Python plan: every
  name, date of birth, address, identifier, household, case, consent and emergency access
  decided up front. The same
  seed gives the same people, names and households (dates are drawn as "days before today",
  so they move with the calendar while everything else stays put).
- ``apply_plan(plan, password=...)`` writes it. Configuration (the network, its areas,
  organisations and staff) is created with the ORM; people, households, cases, consents and
  break-glass accesses go through the services, exactly as a worker's clicks would, so the
  search index, the audit trail and the timelines come out right.

Sharing is seeded so the trust layer can be tried: some people the one-stop supports consent
to the housing association (`partner` sees part of their record; a third also name a
sensitive category), a few to the mental health team, some consents have expired and exactly
one was withdrawn; nobody consents to the law clinic (`outsider` sees no one). Two partner
workers' emergency accesses wait in the privacy officer's review queue and one is reviewed.

Phone numbers come from Ofcom's ranges reserved for drama (029 2018 0xxx and friends), which
libphonenumber accepts as valid; its mobile drama range (07700 900xxx) it rejects, so the
demo has no mobiles. NHS numbers are in the 999 range, which the NHS never issues, with a
correct check digit. E-mail addresses are at example.org and example.com.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from faker import Faker
from unidecode import unidecode

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import Membership, Role, User
from wraparound.cases.models import Case, CaseStatus, ClosureReason, EntryRoute
from wraparound.cases.services import (
    case_assign_key_worker,
    case_close,
    case_open,
    case_step_down,
)
from wraparound.consent.categories import SENSITIVE_CATEGORIES, DataCategory
from wraparound.consent.models import (
    BreakGlass,
    BreakGlassReason,
    Consent,
    Evidence,
    Purpose,
    RecipientKind,
    Review,
)
from wraparound.consent.policy import visible_people
from wraparound.consent.services import (
    break_glass_review,
    break_glass_start,
    consent_record,
    consent_withdraw,
)
from wraparound.core.models import Area, AreaLevel, Network
from wraparound.directory.models import Organisation, OrganisationKind, Sector
from wraparound.people.choices import (
    Gender,
    IdentifierType,
    PopulationGroup,
    Relationship,
    Sex,
)
from wraparound.people.models import Household, Identifier, Person
from wraparound.people.services import MemberInput, PersonDetails, household_save, person_create
from wraparound.plans.demo import exit_plan_before_closing

NETWORK_SLUG = "valleys"
NETWORK_NAME = "Cwm Taf Valleys Wraparound Network"
PASSWORD_ENV = "WRAPAROUND_DEMO_PASSWORD"  # noqa: S105 (the name of the variable)
DEFAULT_PASSWORD = "wraparound-demo"  # noqa: S105 (a published demo password)
DEFAULT_PEOPLE = 500
DEFAULT_SEED = 2025
MIN_PEOPLE = 10
ACTOR_LABEL = "seed_demo"
PROGRESS_STEP = 100  # report progress every this many people
KEYWORKER_CASELOAD = 50  # open cases for the `keyworker` persona at full size
# How far back cases were opened.
HISTORY_DAYS = 730


def _listed(text: str) -> tuple[str, ...]:
    """A tuple from a comma-separated list: keeps the long name lists readable."""
    return tuple(item.strip() for item in text.split(","))


class AlreadySeeded(Exception):
    """The database already holds the demo network."""


# --- Places -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NeighbourhoodDef:
    code: str
    name: str
    town: str
    postcode_sector: str  # outward code and sector digit, e.g. "CF37 1"
    weight: int


@dataclass(frozen=True)
class DistrictDef:
    code: str
    name: str
    council: str  # issues local-authority references
    reference_prefix: str
    neighbourhoods: tuple[NeighbourhoodDef, ...]


REGION_CODE = "W11000031"
REGION_NAME = "Cwm Taf Morgannwg"
DISTRICTS: tuple[DistrictDef, ...] = (
    DistrictDef(
        "W06000016",
        "Rhondda Cynon Taf",
        "Rhondda Cynon Taf County Borough Council",
        "RCT",
        (
            NeighbourhoodDef("W05001021", "Pontypridd Town", "Pontypridd", "CF37 1", 5),
            NeighbourhoodDef("W05001036", "Treorchy", "Treorchy", "CF42 6", 3),
            NeighbourhoodDef("W05001002", "Aberdare East", "Aberdare", "CF44 8", 4),
            NeighbourhoodDef("W05001033", "Tonypandy", "Tonypandy", "CF40 1", 3),
        ),
    ),
    DistrictDef(
        "W06000024",
        "Merthyr Tydfil",
        "Merthyr Tydfil County Borough Council",
        "MT",
        (
            NeighbourhoodDef("W05000727", "Gurnos", "Merthyr Tydfil", "CF47 9", 4),
            NeighbourhoodDef("W05000724", "Dowlais", "Dowlais", "CF48 3", 3),
            NeighbourhoodDef("W05000733", "Treharris", "Treharris", "CF46 5", 2),
        ),
    ),
    DistrictDef(
        "W06000013",
        "Bridgend",
        "Bridgend County Borough Council",
        "BCBC",
        (
            NeighbourhoodDef("W05001175", "Maesteg West", "Maesteg", "CF34 9", 3),
            NeighbourhoodDef("W05001160", "Brackla", "Bridgend", "CF31 2", 3),
            NeighbourhoodDef("W05001183", "Pencoed", "Pencoed", "CF35 6", 2),
        ),
    ),
)
NEIGHBOURHOODS = tuple(n for d in DISTRICTS for n in d.neighbourhoods)
DISTRICT_OF = {n.code: d for d in DISTRICTS for n in d.neighbourhoods}

STREET_STEMS = _listed(
    "Bute, Dunraven, Graig, Brynheulog, Tudor, Glanffrwd, Tyntyla, Penrhiw, Gelli, Ynyswen, "
    "Hafod, Llewellyn, Victoria, Albert, Gladstone, Morgan, Church, Chapel, Station, Mill, "
    "School, Park, Oxford, Cemetery, Railway, Tŷ Draw, Maes-y-Coed, Glyn, Heath, Caerphilly"
)
STREET_KINDS = _listed("Street, Road, Terrace, Close, Avenue, Crescent, View, Place")
WELSH_STREETS = _listed(
    "Heol y Graig, Heol y Felin, Heol Pant-y-Gored, Ffordd y Bryn, Stryd y Castell, Lôn y Parc, "
    "Heol Dŵr"
)
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters Royal Mail uses in inward codes

# --- Organisations and staff ------------------------------------------------------------

ONE_STOP = "one-stop"
HOUSING = "housing-association"
MENTAL_HEALTH = "community-mental-health"
DRUG_ALCOHOL = "drug-alcohol-service"
LAW_CLINIC = "law-clinic"
CITIZENS_ADVICE = "citizens-advice"
EMPLOYMENT = "employment-hub"
FAMILY_SUPPORT = "families-first"
FOOD_BANK = "food-bank"
DISABILITY = "disability-advice"


@dataclass(frozen=True)
class OrganisationDef:
    slug: str
    name: str
    sector: str
    kind: str
    domain: str
    is_lead: bool = False


ORGANISATIONS: tuple[OrganisationDef, ...] = (
    OrganisationDef(
        ONE_STOP,
        "Valleys One-Stop Support Centre",
        Sector.SOCIAL_SERVICES,
        OrganisationKind.PUBLIC,
        "onestop.example.org",
        is_lead=True,
    ),
    OrganisationDef(
        HOUSING,
        "Glyn Taf Housing Association",
        Sector.HOUSING,
        OrganisationKind.NON_PROFIT,
        "glyntaf.example.org",
    ),
    OrganisationDef(
        MENTAL_HEALTH,
        "Cwm Taf Morgannwg Community Mental Health Team",
        Sector.MENTAL_HEALTH,
        OrganisationKind.PUBLIC,
        "cmht.example.org",
    ),
    OrganisationDef(
        DRUG_ALCOHOL,
        "Valleys Drug and Alcohol Service",
        Sector.SUBSTANCE_USE,
        OrganisationKind.NON_PROFIT,
        "vdas.example.org",
    ),
    OrganisationDef(
        LAW_CLINIC,
        "Pontypridd Community Law Clinic",
        Sector.LEGAL,
        OrganisationKind.NON_PROFIT,
        "lawclinic.example.org",
    ),
    OrganisationDef(
        CITIZENS_ADVICE,
        "Citizens Advice Cwm Taf",
        Sector.INCOME_AND_BENEFITS,
        OrganisationKind.NON_PROFIT,
        "cacwmtaf.example.org",
    ),
    OrganisationDef(
        EMPLOYMENT,
        "Working Valleys Employment Hub",
        Sector.EMPLOYMENT,
        OrganisationKind.PUBLIC,
        "workingvalleys.example.org",
    ),
    OrganisationDef(
        FAMILY_SUPPORT,
        "Families First Valleys",
        Sector.CHILD_AND_FAMILY,
        OrganisationKind.NON_PROFIT,
        "familiesfirst.example.org",
    ),
    OrganisationDef(
        FOOD_BANK,
        "Merthyr and Rhondda Food Bank",
        Sector.FOOD,
        OrganisationKind.NON_PROFIT,
        "foodbank.example.org",
    ),
    OrganisationDef(
        DISABILITY,
        "Valleys Disability Advice Project",
        Sector.DISABILITY,
        OrganisationKind.NON_PROFIT,
        "disabilityadvice.example.org",
    ),
)
ORGANISATION_BY_SLUG = {o.slug: o for o in ORGANISATIONS}
ORGANISATION_NAMES = {o.slug: o.name for o in ORGANISATIONS}


@dataclass(frozen=True)
class StaffDef:
    username: str
    first_name: str
    last_name: str
    # (organisation slug, role); the first is the membership they sign in under.
    memberships: tuple[tuple[str, str], ...]


# The fixed personas, in the order the logins table lists them.
PERSONAS = _listed("keyworker, partner, outsider, manager, netadmin, privacy")
ONE_STOP_KEY_WORKERS = ("keyworker", "carys.lewis", "dewi.rowlands", "sarah.okafor", "tomasz.mazur")
ONE_STOP_INTAKE = "bethan.price"
ONE_STOP_MANAGER = "manager"
# A housing officer co-located at the one-stop: a key worker at both. Through the housing
# cases she holds she can open one-stop cases for the association's tenants, which is how
# people come to be known to both (until referrals, a later issue, do this properly).
CO_LOCATED_OFFICER = "eleri.watkins"
# Who registers people, and who opens and runs the cases, for each organisation.
REGISTRAR = {
    ONE_STOP: ONE_STOP_INTAKE,
    HOUSING: "partner",
    MENTAL_HEALTH: "mark.jenkins",
    DRUG_ALCOHOL: "lowri.davies",
    FAMILY_SUPPORT: "ffion.harries",
    FOOD_BANK: "john.parry",
}
PARTNER_KEY_WORKER = {
    HOUSING: CO_LOCATED_OFFICER,
    MENTAL_HEALTH: "mark.jenkins",
    DRUG_ALCOHOL: "lowri.davies",
    FAMILY_SUPPORT: "ffion.harries",
}

STAFF: tuple[StaffDef, ...] = (
    StaffDef("keyworker", "Rhian", "Pritchard", ((ONE_STOP, Role.KEY_WORKER),)),
    StaffDef("partner", "Owen", "Bevan", ((HOUSING, Role.PRACTITIONER),)),
    StaffDef("outsider", "Nadia", "Karim", ((LAW_CLINIC, Role.PRACTITIONER),)),
    StaffDef("manager", "Gareth", "Llewellyn", ((ONE_STOP, Role.MANAGER),)),
    StaffDef("netadmin", "Alys", "Thomas", ((ONE_STOP, Role.NETWORK_ADMIN),)),
    StaffDef("privacy", "Meinir", "Howells", ((ONE_STOP, Role.PRIVACY_OFFICER),)),
    StaffDef("carys.lewis", "Carys", "Lewis", ((ONE_STOP, Role.KEY_WORKER),)),
    StaffDef("dewi.rowlands", "Dewi", "Rowlands", ((ONE_STOP, Role.KEY_WORKER),)),
    StaffDef("sarah.okafor", "Sarah", "Okafor", ((ONE_STOP, Role.KEY_WORKER),)),
    StaffDef("tomasz.mazur", "Tomasz", "Mazur", ((ONE_STOP, Role.KEY_WORKER),)),
    StaffDef("bethan.price", "Bethan", "Price", ((ONE_STOP, Role.INTAKE_OFFICER),)),
    StaffDef(
        "eleri.watkins",
        "Eleri",
        "Watkins",
        ((HOUSING, Role.KEY_WORKER), (ONE_STOP, Role.KEY_WORKER)),
    ),
    StaffDef("mark.jenkins", "Mark", "Jenkins", ((MENTAL_HEALTH, Role.KEY_WORKER),)),
    StaffDef("lowri.davies", "Lowri", "Davies", ((DRUG_ALCOHOL, Role.KEY_WORKER),)),
    StaffDef("ffion.harries", "Ffion", "Harries", ((FAMILY_SUPPORT, Role.KEY_WORKER),)),
    StaffDef("john.parry", "John", "Parry", ((FOOD_BANK, Role.PRACTITIONER),)),
    StaffDef("priya.shah", "Priya", "Shah", ((EMPLOYMENT, Role.PRACTITIONER),)),
    StaffDef("david.morris", "David", "Morris", ((CITIZENS_ADVICE, Role.PRACTITIONER),)),
    StaffDef("helen.vaughan", "Helen", "Vaughan", ((DISABILITY, Role.PRACTITIONER),)),
)
STAFF_BY_USERNAME = {s.username: s for s in STAFF}

# --- Names ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Background:
    """Where a family's names come from, and the languages that usually go with them."""

    key: str
    weight: int
    female: tuple[str, ...] = ()
    male: tuple[str, ...] = ()
    family: tuple[str, ...] = ()


BACKGROUNDS: tuple[Background, ...] = (
    Background("british", 64),
    Background(
        "welsh",
        20,
        female=_listed(
            "Siân, Gwen, Cerys, Angharad, Bethan, Catrin, Eleri, Ffion, Lowri, Megan, Nia, "
            "Rhiannon, Seren, Carys, Elin, Mali, Gwenllïan, Manon, Heledd, Non"
        ),
        male=_listed(
            "Dafydd, Rhys, Gareth, Huw, Iwan, Owain, Gethin, Emyr, Aled, Dylan, Ioan, Siôn, "
            "Tomos, Llŷr, Osian, Cai, Steffan, Bryn, Geraint, Meirion"
        ),
        family=_listed(
            "Jones, Davies, Evans, Williams, Thomas, Roberts, Hughes, Lewis, Morgan, Griffiths, "
            "Pritchard, Prosser, Bevan, Powell, Price, Rees, Llewellyn, Howells, Jenkins, "
            "Watkins, Parry, Vaughan, Gruffydd, Bowen, Probert, Rowlands, Harries, Lloyd, Pugh"
        ),
    ),
    Background(
        "polish",
        5,
        female=_listed(
            "Małgorzata, Agnieszka, Zofia, Joanna, Katarzyna, Magdalena, Anna, Ewa, Natalia, "
            "Weronika"
        ),
        male=_listed(
            "Łukasz, Wojciech, Krzysztof, Paweł, Kamil, Tomasz, Piotr, Michał, Jakub, Mateusz"
        ),
        family=_listed(
            "Nowak, Wójcik, Kowalczyk, Mazur, Krawczyk, Kaczmarek, Pawlak, Michalak, Dudek, "
            "Zając, Wróbel, Król"
        ),
    ),
    Background(
        "arabic",
        4,
        female=_listed("Fatima, Aisha, Leila, Rania, Noor, Huda, Amira, Yasmin, Mariam, Salma"),
        male=_listed("Ahmad, Mohammed, Omar, Khaled, Yousef, Ali, Hassan, Karim, Sami, Tariq"),
        family=_listed(
            "Al-Hassan, Haddad, Khalil, Mansour, Nasser, Saleh, Darwish, Al-Khatib, Hamdan, Jaber"
        ),
    ),
    Background(
        "ukrainian",
        3,
        female=_listed("Olena, Iryna, Kateryna, Svitlana, Oksana, Nataliia, Yuliia, Tetiana"),
        male=_listed("Oleksandr, Andriy, Dmytro, Mykola, Serhiy, Volodymyr, Bohdan, Yaroslav"),
        family=_listed(
            "Shevchenko, Kovalenko, Bondarenko, Tkachenko, Kravchenko, Melnyk, Boyko, Lysenko"
        ),
    ),
    Background(
        "south_asian",
        4,
        female=_listed(
            "Ayesha, Sana, Nadia, Priya, Anjali, Shazia, Rukhsana, Tasnim, Simran, Farah"
        ),
        male=_listed("Imran, Bilal, Farhan, Rahul, Arjun, Zain, Harpreet, Asif, Kamran, Sajid"),
        family=_listed(
            "Khan, Ahmed, Hussain, Patel, Shah, Iqbal, Akhtar, Chowdhury, Malik, Rahman"
        ),
    ),
)
BACKGROUND_BY_KEY = {b.key: b for b in BACKGROUNDS}
# Names British families use that carry accents or apostrophes, for the search to be tried on.
ACCENTED_FEMALE = _listed("Zoë, Chloë, Renée, Siobhán, Róisín, Niamh, Anaïs, Eloïse")
ACCENTED_MALE = _listed("Seán, Noël, Rónán, Ciarán, Loïc, Jérôme")
UNUSUAL_FAMILY = _listed(
    "O'Brien, O'Connor, O'Neill, Evans-Hughes, Price-Jones, McCarthy, Ó Briain, D'Souza"
)
# What parents have called their children lately (Faker's names are mostly older).
RECENT_FEMALE = _listed(
    "Olivia, Amelia, Isla, Ava, Mia, Ivy, Lily, Isabella, Rosie, Sophia, Grace, Freya, Evie, "
    "Poppy, Ella, Willow, Florence, Harper, Maisie, Ruby"
)
RECENT_MALE = _listed(
    "Noah, Oliver, George, Arthur, Leo, Harry, Oscar, Archie, Henry, Theo, Freddie, Jack, "
    "Charlie, Alfie, Jacob, Finley, Tommy, Teddy, Mason, Riley"
)
# Names people often go by something shorter.
SHORT_NAMES = {
    "Elizabeth": "Liz",
    "William": "Bill",
    "Robert": "Rob",
    "Margaret": "Maggie",
    "Dafydd": "Dai",
    "Katherine": "Kate",
    "Catherine": "Cath",
    "Jennifer": "Jen",
    "Samuel": "Sam",
    "Rhiannon": "Rhi",
    "Oleksandr": "Sasha",
    "Małgorzata": "Gosia",
    "Mohammed": "Mo",
    "Christopher": "Chris",
    "Daniel": "Dan",
    "Michael": "Mike",
    "Rebecca": "Becky",
    "Victoria": "Vicky",
    "Thomas": "Tom",
    "Matthew": "Matt",
    "Jonathan": "Jon",
    "Anthony": "Tony",
    "Deborah": "Debbie",
    "Susan": "Sue",
    "Patricia": "Pat",
    "Stephen": "Steve",
    "Gwenllïan": "Gwen",
    "Benjamin": "Ben",
    "Alexander": "Alex",
    "Nicholas": "Nick",
    "Joseph": "Joe",
    "Natalia": "Natka",
    "Kateryna": "Katya",
    "Tomos": "Tom",
    "Steffan": "Steff",
    "Angharad": "Hari",
}

# Ofcom's numbers reserved for drama: never anyone's real number, and valid to libphonenumber.
DRAMA_PHONE_RANGES = (
    "029 2018 0",
    "0113 496 0",
    "0114 496 0",
    "0116 496 0",
    "0117 496 0",
    "0118 496 0",
    "0121 496 0",
    "0131 496 0",
    "0141 496 0",
    "0151 496 0",
    "0161 496 0",
    "0191 498 0",
    "020 7946 0",
    "028 9018 0",
)

CLOSURE_REASONS: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    (
        ClosureReason.GOALS_MET,
        40,
        (
            "Settled in the tenancy; debts on a payment plan.",
            "Back in work and managing well.",
            "Plan goals met; happy to come back if things change.",
        ),
    ),
    (ClosureReason.NO_LONGER_NEEDED, 15, ("Family now managing without support.",)),
    (
        ClosureReason.MOVED_AWAY,
        10,
        ("Moved to Cardiff to be near family.", "Moved to Swansea for work."),
    ),
    (
        ClosureReason.TRANSFERRED,
        10,
        ("Transferred to the community mental health team.", "Transferred to adult social care."),
    ),
    (ClosureReason.DISENGAGED, 15, ("No contact after three calls and a home visit.",)),
    (ClosureReason.DECLINED, 8, ("Said they did not want further support for now.",)),
    (ClosureReason.OTHER, 2, ("Entered residential rehabilitation out of the area.",)),
)


# --- Sharing: consents and emergency access ---------------------------------------------

# What the housing association is told about a tenant the one-stop supports, and the
# sensitive categories some people also agree to (for supported housing, say).
HOUSING_SHARES: tuple[tuple[str, ...], ...] = (
    (DataCategory.IDENTITY, DataCategory.HOUSEHOLD, DataCategory.FINANCES),
    (DataCategory.IDENTITY, DataCategory.HOUSEHOLD, DataCategory.PLANS_REFERRALS),
    (
        DataCategory.IDENTITY,
        DataCategory.HOUSEHOLD,
        DataCategory.FINANCES,
        DataCategory.DOCUMENTS,
    ),
)
HOUSING_SENSITIVE: tuple[str, ...] = (DataCategory.MENTAL_HEALTH, DataCategory.HEALTH)
MENTAL_HEALTH_SHARE: tuple[str, ...] = (
    DataCategory.IDENTITY,
    DataCategory.ASSESSMENTS,
    DataCategory.HEALTH,
    DataCategory.MENTAL_HEALTH,
)
CONSENT_NOTES: tuple[tuple[str, str], ...] = (
    (Evidence.VERBAL, "Agreed at the first home visit, after the leaflet was read through."),
    (Evidence.VERBAL, "Agreed on the phone; a copy of what is shared sent by post."),
    (Evidence.SIGNED_FORM, "Signed consent form scanned to the file."),
)
EXPIRED_NOTE = "Paper form from the housing referral pack: it ran for a year, not renewed."
WITHDRAWAL_REASON = (
    "Told us at the review meeting they no longer want the housing association to have "
    "their details."
)
# Who asks for emergency access, why, and what the privacy officer made of it.
BREAK_GLASS: tuple[tuple[str, str, str, str, str], ...] = (
    # (worker, organisation, reason, justification, review)
    (
        "mark.jenkins",
        MENTAL_HEALTH,
        BreakGlassReason.MEDICAL_EMERGENCY,
        "Brought to A&E in crisis by the police overnight; the liaison team need to know "
        "who already supports them and who to call.",
        Review.PENDING,
    ),
    (
        "lowri.davies",
        DRUG_ALCOHOL,
        BreakGlassReason.RISK_TO_LIFE,
        "Suspected overdose reported by a neighbour; we need the address and the key "
        "worker's number to send someone round.",
        Review.PENDING,
    ),
    (
        "ffion.harries",
        FAMILY_SUPPORT,
        BreakGlassReason.SAFEGUARDING_ADULT,
        "Reported missing overnight by the family we support; the police asked who they "
        "are in touch with.",
        Review.JUSTIFIED,
    ),
)
REVIEW_NOTE = "Police reference checked with the family support team; access was needed."
REVIEWER = "privacy"


# --- The plan ---------------------------------------------------------------------------


@dataclass
class PersonSpec:
    """One person as the seed will register them: PersonDetails plus where they fit."""

    given_name: str
    family_name: str
    sex: str
    date_of_birth: date
    relationship: str
    background: str
    preferred_name: str = ""
    previous_names: list[str] = field(default_factory=list)
    date_of_birth_is_approximate: bool = False
    gender: str = ""
    phone: str = ""
    email: str = ""
    address_line_1: str = ""
    address_line_2: str = ""
    town: str = ""
    postcode: str = ""
    area_code: str = ""
    preferred_languages: list[str] = field(default_factory=list)
    interpreter_needed: bool = False
    population_groups: list[str] = field(default_factory=list)
    identifiers: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass
class CaseSpec:
    """A case and its history: opened, perhaps reassigned, stepped down and closed."""

    member: int  # index into the household's members
    lead: str  # organisation slug
    entry_route: str
    opened_on: date
    opened_by: str  # username whose membership of the lead organisation opens it
    key_worker: str  # the key worker at the end of the history
    initial_key_worker: str | None  # None: opened unassigned, then assigned
    household_case: bool = False
    stepped_down_on: date | None = None
    closed_on: date | None = None
    closure_reason: str = ""
    closure_note: str = ""

    @property
    def status(self) -> str:
        if self.closed_on is not None:
            return CaseStatus.CLOSED
        if self.stepped_down_on is not None:
            return CaseStatus.STEPPED_DOWN
        return CaseStatus.OPEN


@dataclass
class HouseholdSpec:
    shape: str
    name: str
    members: list[PersonSpec]
    recorded: bool = True  # False: people with no fixed household (e.g. sleeping rough)
    pathway: str = ""
    registered_by: str = ONE_STOP
    cases: list[CaseSpec] = field(default_factory=list)


@dataclass(frozen=True)
class ConsentSpec:
    """A consent a person gave, recorded by their one-stop key worker; perhaps withdrawn."""

    household: int  # index into the plan's households
    member: int  # index into that household's members
    recorded_by: str  # the person's one-stop key worker
    recipient: str  # organisation slug
    categories: tuple[str, ...]
    valid_from: date
    valid_until: date | None
    evidence: str
    evidence_note: str = ""
    withdrawal_reason: str = ""  # given: withdrawn when seeded

    def status(self, today: date) -> str:
        if self.withdrawal_reason:
            return "withdrawn"
        if self.valid_until is not None and self.valid_until <= today:
            return "expired"
        return "active"

    @property
    def sensitive(self) -> bool:
        return any(c in SENSITIVE_CATEGORIES for c in self.categories)


@dataclass(frozen=True)
class BreakGlassSpec:
    """An emergency access by a partner agency's worker, started when seeded."""

    household: int
    member: int
    worker: str
    organisation: str
    reason: str
    justification: str
    review: str = Review.PENDING
    review_note: str = ""


@dataclass
class DemoPlan:
    seed: int
    today: date
    households: list[HouseholdSpec]
    consents: list[ConsentSpec] = field(default_factory=list)
    break_glasses: list[BreakGlassSpec] = field(default_factory=list)

    @property
    def people(self) -> list[PersonSpec]:
        return [p for h in self.households for p in h.members]

    @property
    def cases(self) -> list[CaseSpec]:
        return [c for h in self.households for c in h.cases]


# Household shapes and how common they are among the people a one-stop centre sees.
SHAPES: tuple[tuple[str, int], ...] = (
    ("single", 34),
    ("couple", 13),
    ("single_parent", 20),
    ("couple_with_children", 19),
    ("multigenerational", 8),
    ("sharers", 6),
)
# What happens to a household: share of households per pathway (the rest: one_stop).
PATHWAY_SHARES: tuple[tuple[str, float, int], ...] = (
    # (pathway, share, minimum count)
    ("overlap", 0.07, 1),  # registered by the housing association, then also the one-stop
    ("partner_led", 0.10, 1),  # led by a partner agency only
    ("registered_only", 0.07, 0),  # known, no case (an enquiry, a food bank parcel)
)


class _Planner:
    def __init__(self, *, seed: int, people: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)
        self.target = people
        self.today = today
        self.nhs_numbers: set[str] = set()
        self.references: set[str] = set()
        self.emails: set[str] = set()
        self.phone_pool: list[str] = self._phone_pool()
        self.phones_used = 0

    # -- small draws --

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def weighted(self, options: Sequence[tuple[str, int]]) -> str:
        return self.rng.choices([o for o, _ in options], [w for _, w in options])[0]

    def birth_date(self, age: int) -> date:
        """A date of birth for someone who is `age` today."""
        latest = _years_before(self.today, age)
        return latest - timedelta(days=self.rng.randint(0, 364))

    def _phone_pool(self) -> list[str]:
        local, elsewhere = DRAMA_PHONE_RANGES[0], DRAMA_PHONE_RANGES[1:]
        cardiff = [f"{local}{n:03d}" for n in range(1000)]
        others = [f"{prefix}{n:03d}" for prefix in elsewhere for n in range(1000)]
        self.rng.shuffle(cardiff)
        self.rng.shuffle(others)
        return cardiff + others

    def phone(self) -> str:
        number = self.phone_pool[self.phones_used % len(self.phone_pool)]
        self.phones_used += 1
        if self.chance(0.15):  # typed the international way
            return "+44 " + number[1:]
        return number

    def nhs_number(self) -> str:
        while True:
            body = "999" + f"{self.rng.randint(0, 999_999):06d}"
            check = nhs_check_digit(body)
            if check is not None and body + str(check) not in self.nhs_numbers:
                number = body + str(check)
                self.nhs_numbers.add(number)
                return f"{number[:3]} {number[3:6]} {number[6:]}"

    def reference(self, prefix: str, digits: int = 7) -> str:
        while True:
            value = f"{prefix}{self.rng.randint(0, 10**digits - 1):0{digits}d}"
            if value not in self.references:
                self.references.add(value)
                return value

    def email(self, given: str, family: str) -> str:
        local = ".".join(re.sub(r"[^a-z0-9]", "", unidecode(n).lower()) for n in (given, family))
        domain = self.rng.choice(("example.org", "example.com"))
        candidate = f"{local}@{domain}"
        while candidate in self.emails:
            candidate = f"{local}{self.rng.randint(1, 99)}@{domain}"
        self.emails.add(candidate)
        return candidate

    # -- names --

    def background(self) -> Background:
        key = self.weighted([(b.key, b.weight) for b in BACKGROUNDS])
        return BACKGROUND_BY_KEY[key]

    def given_name(self, background: Background, sex: str, *, age: int) -> str:
        female = sex == Sex.FEMALE
        if background.female and (background.key != "welsh" or self.chance(0.7)):
            return self.rng.choice(background.female if female else background.male)
        if self.chance(0.04):
            return self.rng.choice(ACCENTED_FEMALE if female else ACCENTED_MALE)
        if age < 18 and self.chance(0.8):  # Faker's names are mostly their parents' generation
            return self.rng.choice(RECENT_FEMALE if female else RECENT_MALE)
        return self.fake.first_name_female() if female else self.fake.first_name_male()

    def family_name(self, background: Background) -> str:
        if background.family and (background.key != "welsh" or self.chance(0.8)):
            return self.rng.choice(background.family)
        if self.chance(0.04):
            return self.rng.choice(UNUSUAL_FAMILY)
        return self.fake.last_name()

    def person(
        self,
        background: Background,
        *,
        age: int,
        relationship: str,
        family_name: str,
        sex: str | None = None,
    ) -> PersonSpec:
        sex = sex or self.rng.choice((Sex.FEMALE, Sex.MALE))
        given = self.given_name(background, sex, age=age)
        spec = PersonSpec(
            given_name=given,
            family_name=family_name,
            sex=sex,
            date_of_birth=self.birth_date(age),
            relationship=relationship,
            background=background.key,
        )
        if given in SHORT_NAMES and self.chance(0.6):
            spec.preferred_name = SHORT_NAMES[given]
        if age >= 18:
            roll = self.rng.random()
            if roll < 0.6:
                spec.gender = Gender.WOMAN if sex == Sex.FEMALE else Gender.MAN
            elif roll < 0.61:
                spec.gender = Gender.NON_BINARY
        if background.key in {"arabic", "ukrainian"} and age >= 18 and self.chance(0.2):
            spec.date_of_birth = date(spec.date_of_birth.year, 1, 1)
            spec.date_of_birth_is_approximate = True
        return spec

    def age(self, low: int, high: int) -> int:
        return self.rng.randint(low, max(low, high))

    # -- households --

    def household(self, remaining: int) -> HouseholdSpec:
        shape = self.weighted(SHAPES)
        background = self.background()
        family = self.family_name(background)
        members: list[PersonSpec] = []
        if shape == "single" or remaining == 1:
            shape = "single"
            members.append(
                self.person(
                    background,
                    age=self.age(18, 88),
                    relationship=Relationship.HEAD,
                    family_name=family,
                )
            )
        elif shape == "couple":
            head_age = self.age(20, 86)
            head = self.person(
                background, age=head_age, relationship=Relationship.HEAD, family_name=family
            )
            members += [head, self.partner(background, head, head_age)]
        elif shape in {"single_parent", "couple_with_children"}:
            head_sex = Sex.FEMALE if shape == "single_parent" and self.chance(0.85) else None
            head_age = self.age(19, 55)
            head = self.person(
                background,
                age=head_age,
                relationship=Relationship.HEAD,
                family_name=family,
                sex=head_sex,
            )
            members.append(head)
            if shape == "couple_with_children":
                members.append(self.partner(background, head, head_age))
            children_family = family
            if shape == "single_parent" and self.chance(0.2):
                children_family = self.family_name(background)  # the other parent's name
            max_child_age = 24 if shape == "couple_with_children" else 17
            for _ in range(self.rng.randint(1, 3)):
                relationship = Relationship.CHILD
                if shape == "couple_with_children" and self.chance(0.1):
                    relationship = Relationship.STEPCHILD
                members.append(
                    self.person(
                        background,
                        age=self.age(0, min(max_child_age, head_age - 17)),
                        relationship=relationship,
                        family_name=children_family,
                    )
                )
        elif shape == "multigenerational":
            head_age = self.age(36, 60)
            head = self.person(
                background, age=head_age, relationship=Relationship.HEAD, family_name=family
            )
            members.append(head)
            if self.chance(0.7):
                members.append(self.partner(background, head, head_age))
            for _ in range(self.rng.randint(1, 2)):
                members.append(
                    self.person(
                        background,
                        age=self.age(0, min(22, head_age - 17)),
                        relationship=Relationship.CHILD,
                        family_name=family,
                    )
                )
            members.append(
                self.person(
                    background,
                    age=min(96, head_age + self.rng.randint(20, 34)),
                    relationship=Relationship.PARENT,
                    family_name=family if self.chance(0.6) else self.family_name(background),
                )
            )
        else:  # sharers: unrelated adults or siblings at one address
            head_age = self.age(18, 45)
            members.append(
                self.person(
                    background, age=head_age, relationship=Relationship.HEAD, family_name=family
                )
            )
            for _ in range(self.rng.randint(1, 2)):
                if self.chance(0.25):
                    members.append(
                        self.person(
                            background,
                            age=max(18, head_age + self.rng.randint(-6, 6)),
                            relationship=Relationship.SIBLING,
                            family_name=family,
                        )
                    )
                else:
                    other = self.background()
                    members.append(
                        self.person(
                            other,
                            age=self.age(18, 45),
                            relationship=Relationship.UNRELATED,
                            family_name=self.family_name(other),
                        )
                    )
        members = members[:remaining]
        household = HouseholdSpec(shape=shape, name=family, members=members)
        self.place(household)
        for person in members:
            self.describe(household, person)
        return household

    def partner(self, background: Background, head: PersonSpec, head_age: int) -> PersonSpec:
        sex = (
            head.sex if self.chance(0.05) else (Sex.MALE if head.sex == Sex.FEMALE else Sex.FEMALE)
        )
        own_family = self.family_name(background)
        shares_name = self.chance(0.75)
        partner = self.person(
            background,
            age=max(18, head_age + self.rng.randint(-7, 7)),
            relationship=Relationship.PARTNER,
            family_name=head.family_name if shares_name else own_family,
            sex=sex,
        )
        took_name = self.chance(0.6 if sex == Sex.FEMALE else 0.1)
        if shares_name and own_family != head.family_name and took_name:
            partner.previous_names = [f"{partner.given_name} {own_family}"]
        return partner

    def place(self, household: HouseholdSpec) -> None:
        """An address (or none, for someone sleeping rough) and an area for a household."""
        neighbourhood = self.rng.choices(NEIGHBOURHOODS, [n.weight for n in NEIGHBOURHOODS])[0]
        head = household.members[0]
        sleeping_rough = household.shape == "single" and head.age_on(self.today) < 65
        homeless = sleeping_rough and self.chance(0.15)
        if homeless:
            household.recorded = False
            head.population_groups.append(PopulationGroup.HOMELESS)
        street = (
            self.rng.choice(WELSH_STREETS)
            if self.chance(0.15)
            else f"{self.rng.choice(STREET_STEMS)} {self.rng.choice(STREET_KINDS)}"
        )
        street_address = f"{self.rng.randint(1, 140)} {street}"
        line_1, line_2 = street_address, ""
        if self.chance(0.12):  # Royal Mail's way: the flat first, then the building
            line_1, line_2 = f"Flat {self.rng.randint(1, 12)}", street_address
        if household.shape == "sharers":
            household.name = f"{street_address} (shared)"
        # The sector ("CF37 1") plus the unit's two letters: "CF37 1QT".
        postcode = neighbourhood.postcode_sector + "".join(
            self.rng.choice(POSTCODE_LETTERS) for _ in range(2)
        )
        landline = self.phone() if self.chance(0.3) else ""
        for person in household.members:
            person.area_code = neighbourhood.code
            person.town = neighbourhood.town
            if homeless:
                continue
            person.address_line_1 = line_1
            person.address_line_2 = line_2
            person.postcode = postcode
            if landline and person.age_on(self.today) >= 18:
                person.phone = landline

    def describe(self, household: HouseholdSpec, person: PersonSpec) -> None:
        """Contact details, languages and population groups that fit the person."""
        age = person.age_on(self.today)
        adult = age >= 18
        if (adult and self.chance(0.8)) or (age >= 16 and self.chance(0.4)):
            person.phone = self.phone()
        if adult and self.chance(0.55):
            person.email = self.email(person.given_name, person.family_name)
        self.languages(person, age)
        groups = set(person.population_groups)
        if adult:
            if age >= 70 and self.chance(0.4):
                groups.add(PopulationGroup.OLDER_PERSON)
            if self.chance(0.08):
                groups.add(PopulationGroup.SEVERE_MENTAL_ILLNESS)
            if age < 65 and self.chance(0.07):
                groups.add(PopulationGroup.SUBSTANCE_USE)
            if self.chance(0.1):
                groups.add(PopulationGroup.DISABILITY)
            if household.shape == "single" and person.sex == Sex.MALE and self.chance(0.08):
                groups.add(PopulationGroup.JUSTICE_INVOLVED)
            if age <= 21 and household.shape in {"single", "sharers"} and self.chance(0.4):
                groups.add(PopulationGroup.CARE_LEAVER)
            if person.background in {"arabic", "ukrainian"} and self.chance(0.8):
                groups.add(PopulationGroup.REFUGEE)
            if person.relationship == Relationship.HEAD:
                if self.chance(0.07):  # at risk: an eviction notice, a sofa to surf on
                    groups.add(PopulationGroup.HOMELESS)
                if household.shape == "single_parent":
                    if self.chance(0.4):
                        groups.add(PopulationGroup.VULNERABLE_FAMILY)
                    if person.sex == Sex.FEMALE and self.chance(0.15):
                        groups.add(PopulationGroup.DOMESTIC_ABUSE)
                elif household.shape == "couple_with_children" and self.chance(0.25):
                    groups.add(PopulationGroup.VULNERABLE_FAMILY)
        elif self.chance(0.05):
            groups.add(PopulationGroup.DISABILITY)
        if "bsl" in person.preferred_languages:
            groups.add(PopulationGroup.DISABILITY)
        person.population_groups = sorted(groups)

    def languages(self, person: PersonSpec, age: int) -> None:
        key = person.background
        roll = self.rng.random()
        if key == "welsh":
            languages = ["cy", "en"] if roll < 0.35 else ["cy"] if roll < 0.45 else ["en"]
        elif key == "polish":
            languages = ["pl", "en"] if roll < 0.6 else ["pl"]
        elif key == "arabic":
            languages = ["ar"] if roll < 0.6 else ["ar", "en"]
        elif key == "ukrainian":
            languages = ["uk"] if roll < 0.5 else ["uk", "en"] if roll < 0.85 else ["uk", "ru"]
        elif key == "south_asian":
            languages = (
                ["en"]
                if roll < 0.5
                else ["ur", "en"]
                if roll < 0.75
                else ["bn", "en"]
                if roll < 0.9
                else ["pa", "en"]
            )
        else:
            languages = ["bsl", "en"] if roll < 0.01 and age >= 18 else ["en"]
        if age < 18 and "en" not in languages and "cy" not in languages and age >= 5:
            languages.append("en")  # children pick English up at school
        person.preferred_languages = languages
        needs_help = languages[0] == "bsl" or not {"en", "cy"} & set(languages)
        person.interpreter_needed = needs_help and age >= 16

    # -- who knows the household, and the cases --

    def assign_pathways(self, households: list[HouseholdSpec]) -> None:
        order = list(range(len(households)))
        self.rng.shuffle(order)
        position = 0
        for pathway, share, minimum in PATHWAY_SHARES:
            count = max(minimum, round(share * len(households)))
            for index in order[position : position + count]:
                households[index].pathway = pathway
            position += count
        for household in households:
            household.pathway = household.pathway or "one_stop"
            household.registered_by = self.registrar(household)

    def registrar(self, household: HouseholdSpec) -> str:
        if household.pathway == "overlap":
            return HOUSING
        if household.pathway == "partner_led":
            families = household.shape in {"single_parent", "couple_with_children"}
            options = (
                [(FAMILY_SUPPORT, 5), (HOUSING, 3)]
                if families
                else [(HOUSING, 4), (MENTAL_HEALTH, 3), (DRUG_ALCOHOL, 3)]
            )
            return self.weighted(options)
        if household.pathway == "registered_only":
            return self.weighted([(ONE_STOP, 1), (FOOD_BANK, 1)])
        return ONE_STOP

    def identify(self, household: HouseholdSpec) -> None:
        for person in household.members:
            adult = person.age_on(self.today) >= 18
            recent_arrival = person.date_of_birth_is_approximate
            if self.chance(0.6 if recent_arrival else 0.85):
                person.identifiers.append((IdentifierType.NHS_NUMBER, self.nhs_number(), ""))
            if self.chance(0.5 if adult else 0.2):
                district = DISTRICT_OF[person.area_code]
                person.identifiers.append(
                    (
                        IdentifierType.LOCAL_AUTHORITY,
                        self.reference(district.reference_prefix),
                        district.council,
                    )
                )
            if household.registered_by == HOUSING and person.relationship == Relationship.HEAD:
                person.identifiers.append(
                    (
                        IdentifierType.AGENCY_RECORD,
                        self.reference("GT", 6),
                        ORGANISATION_NAMES[HOUSING],
                    )
                )

    def days_ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def history(self, case: CaseSpec, *, may_end: bool = True) -> None:
        """Step down and close some cases, at dates after they opened."""
        open_days = (self.today - case.opened_on).days
        if not may_end or open_days < 30:
            return
        roll = self.rng.random()
        share_ended = 0.6 if open_days > 120 else 0.25
        if roll >= share_ended:
            return
        if roll < share_ended * 0.4 or self.chance(0.3):
            case.stepped_down_on = case.opened_on + timedelta(
                days=self.rng.randint(30, max(30, open_days - 1))
            )
        if roll >= share_ended * 0.4:
            start = case.stepped_down_on or case.opened_on
            days_since = (self.today - start).days
            case.closed_on = start + timedelta(
                days=self.rng.randint(min(1, days_since), days_since)
            )
            reason = self.weighted([(r, w) for r, w, _ in CLOSURE_REASONS])
            notes = next(n for r, _, n in CLOSURE_REASONS if r == reason)
            case.closure_reason = reason
            if reason == ClosureReason.OTHER or self.chance(0.6):
                case.closure_note = self.rng.choice(notes)

    def plan_cases(self, household: HouseholdSpec) -> None:
        pathway = household.pathway
        if pathway == "registered_only":
            return
        members = household.members
        family = len(members) > 1 and household.recorded
        head_opened = self.days_ago(self.rng.randint(0, HISTORY_DAYS))
        if pathway in {"partner_led", "overlap"}:
            lead = household.registered_by
            worker = PARTNER_KEY_WORKER[lead]
            partner_case = CaseSpec(
                member=0,
                lead=lead,
                entry_route=EntryRoute.LEAD_AGENCY,
                opened_on=head_opened,
                opened_by=worker,
                key_worker=worker,
                initial_key_worker=worker,
                household_case=family,
            )
            # An overlap person's housing case stays active: it is how the one-stop joins in.
            self.history(partner_case, may_end=pathway == "partner_led")
            household.cases.append(partner_case)
            if pathway == "partner_led":
                return
            gap = (self.today - head_opened).days
            one_stop_case = CaseSpec(
                member=0,
                lead=ONE_STOP,
                entry_route=EntryRoute.CASE_MANAGEMENT,
                opened_on=head_opened + timedelta(days=self.rng.randint(0, gap)),
                opened_by=CO_LOCATED_OFFICER,
                key_worker="",
                initial_key_worker=None,
                household_case=family,
            )
            self.history(one_stop_case)
            household.cases.append(one_stop_case)
            return
        # one_stop: a case for each member, the household's support as one episode (most
        # members' cases open and end with the head's), and now and then an earlier case.
        if self.chance(0.05):
            earlier_opened = self.rng.randint(400, HISTORY_DAYS)
            earlier_closed = earlier_opened - self.rng.randint(60, 200)
            household.cases.append(
                CaseSpec(
                    member=0,
                    lead=ONE_STOP,
                    entry_route=EntryRoute.CASE_MANAGEMENT,
                    opened_on=self.days_ago(earlier_opened),
                    opened_by=ONE_STOP_INTAKE,
                    key_worker="",
                    initial_key_worker=None,
                    closed_on=self.days_ago(earlier_closed),
                    closure_reason=ClosureReason.GOALS_MET,
                    closure_note="Re-presented later; see the newer case.",
                )
            )
            head_opened = self.days_ago(self.rng.randint(0, earlier_closed - 1))
        head_case: CaseSpec | None = None
        for index, person in enumerate(members):
            adult = person.age_on(self.today) >= 18
            if index > 0 and not self.chance(0.95 if adult else 0.85):
                continue
            if person.date_of_birth > head_opened:
                continue  # born since the family's support began
            case = CaseSpec(
                member=index,
                lead=ONE_STOP,
                entry_route=EntryRoute.CASE_MANAGEMENT,
                opened_on=head_opened,
                opened_by=ONE_STOP_INTAKE,
                key_worker="",
                initial_key_worker=None,
                household_case=family,
            )
            if head_case is not None and self.chance(0.8):
                case.stepped_down_on = head_case.stepped_down_on
                case.closed_on = head_case.closed_on
                case.closure_reason = head_case.closure_reason
                case.closure_note = head_case.closure_note
            else:
                if head_case is not None:
                    case.opened_on = min(
                        self.today, head_opened + timedelta(days=self.rng.randint(0, 60))
                    )
                self.history(case)
            head_case = head_case or case
            household.cases.append(case)

    def ensure_an_open_case(self, households: list[HouseholdSpec]) -> None:
        """With very few people every one-stop case may have ended by chance: keep the most
        recent one open, so `keyworker` always has someone to work with."""
        one_stop_cases = [c for h in households for c in h.cases if c.lead == ONE_STOP]
        if one_stop_cases and all(c.status != CaseStatus.OPEN for c in one_stop_cases):
            # The latest case is a person's current one (an earlier case of theirs is closed).
            latest = max(one_stop_cases, key=lambda c: c.opened_on)
            latest.stepped_down_on = latest.closed_on = None
            latest.closure_reason = latest.closure_note = ""

    def assign_key_workers(self, households: list[HouseholdSpec]) -> None:
        """Give each household one key worker at the one-stop for all its cases there.
        `keyworker` gets about one open case for every ten people seeded, up to a full
        caseload of 50 (reached at the default 500 people)."""
        target = min(KEYWORKER_CASELOAD, max(1, round(self.target / 10)))
        others = ONE_STOP_KEY_WORKERS[1:]
        mine = 0
        turn = 0
        order = [h for h in households if any(c.lead == ONE_STOP for c in h.cases)]
        self.rng.shuffle(order)
        for household in order:
            cases = [c for c in household.cases if c.lead == ONE_STOP]
            open_cases = sum(c.status == CaseStatus.OPEN for c in cases)
            if open_cases and (mine == 0 or mine + open_cases <= target):
                worker = ONE_STOP_KEY_WORKERS[0]
                mine += open_cases
            elif open_cases:
                worker = others[turn % len(others)]
                turn += 1
            else:
                worker = self.rng.choice(ONE_STOP_KEY_WORKERS)
            roll = self.rng.random()
            if roll < 0.7:
                initial: str | None = worker  # allocated at intake
            elif roll < 0.8:  # handed over from a colleague
                initial = self.rng.choice([w for w in ONE_STOP_KEY_WORKERS if w != worker])
            else:
                initial = None  # opened, then allocated by the manager
            for case in cases:
                case.key_worker = worker
                case.initial_key_worker = initial

    def build(self) -> list[HouseholdSpec]:
        households: list[HouseholdSpec] = []
        planned = 0
        while planned < self.target:
            household = self.household(self.target - planned)
            households.append(household)
            planned += len(household.members)
        self.assign_pathways(households)
        for household in households:
            self.identify(household)
            self.plan_cases(household)
        self.ensure_an_open_case(households)
        self.assign_key_workers(households)
        return households

    # -- sharing --

    def sharing(
        self, households: list[HouseholdSpec]
    ) -> tuple[list[ConsentSpec], list[BreakGlassSpec]]:
        """Consents and emergency accesses for adults the one-stop supports and no partner
        agency knows otherwise: active consents to the housing association (a third naming
        a sensitive category), a few to the mental health team, some expired, exactly one
        withdrawn; two break-glass accesses waiting for review and one reviewed. No consent
        reaches the law clinic, so `outsider` still sees nobody. Drawn after everything
        else, so the people, households and cases do not depend on it."""
        candidates: list[tuple[int, int, CaseSpec]] = []
        for h_index, household in enumerate(households):
            if household.pathway != "one_stop":
                continue
            for case in household.cases:
                adult = household.members[case.member].age_on(self.today) >= 18
                if case.lead == ONE_STOP and case.status != CaseStatus.CLOSED and adult:
                    candidates.append((h_index, case.member, case))
        self.rng.shuffle(candidates)
        # `keyworker` holds the first (sensitive) consent and the withdrawn one, if she can.
        mine = [c for c in candidates if c[2].key_worker == ONE_STOP_KEY_WORKERS[0]][:2]
        queue = mine + [c for c in candidates if c not in mine]

        n = self.target
        housing = max(3, round(0.05 * n))
        sensitive = max(1, round(housing / 3))
        expired = max(2, round(0.015 * n))
        mental_health = max(1, round(0.004 * n))
        # The first few make every kind appear (from about 40 people seeded: a smaller seed
        # has fewer adults to go round, and the first kinds come first); the rest shuffled.
        first = ["sensitive", "withdrawn", "break_glass", "housing", "expired"]
        first += ["break_glass", "break_glass", "mental_health"]
        rest = (
            ["sensitive"] * (sensitive - 1)
            + ["housing"] * (housing - sensitive - 1)
            + ["expired"] * (expired - 1)
            + ["mental_health"] * (mental_health - 1)
        )
        self.rng.shuffle(rest)

        consents: list[ConsentSpec] = []
        break_glasses: list[BreakGlassSpec] = []
        emergencies = iter(BREAK_GLASS)
        for kind, (h_index, member, case) in zip(first + rest, queue, strict=False):
            if kind == "break_glass":
                worker, org, reason, justification, review = next(emergencies)
                break_glasses.append(
                    BreakGlassSpec(
                        household=h_index,
                        member=member,
                        worker=worker,
                        organisation=org,
                        reason=reason,
                        justification=justification,
                        review=review,
                        review_note=REVIEW_NOTE if review != Review.PENDING else "",
                    )
                )
                continue
            if kind == "expired":
                start = self.days_ago(self.rng.randint(400, 700))
                consents.append(
                    ConsentSpec(
                        household=h_index,
                        member=member,
                        recorded_by=case.key_worker,
                        recipient=HOUSING,
                        categories=self.rng.choice(HOUSING_SHARES),
                        valid_from=start,
                        valid_until=start + timedelta(days=365),
                        evidence=Evidence.SIGNED_FORM,
                        evidence_note=EXPIRED_NOTE,
                    )
                )
                continue
            # In force: given at or soon after the case opened, some for two years.
            start = min(self.today, case.opened_on + timedelta(days=self.rng.randint(0, 30)))
            until: date | None = start + timedelta(days=730) if self.chance(0.4) else None
            if until is not None and until <= self.today:
                until = None
            evidence, note = self.rng.choice(CONSENT_NOTES)
            categories: tuple[str, ...]
            if kind == "mental_health":
                recipient, categories = MENTAL_HEALTH, MENTAL_HEALTH_SHARE
                evidence = Evidence.SIGNED_FORM
                note = "Signed at the joint review with the community mental health team."
            else:
                recipient, categories = HOUSING, self.rng.choice(HOUSING_SHARES)
                if kind == "sensitive":
                    categories += (self.rng.choice(HOUSING_SENSITIVE),)
            consents.append(
                ConsentSpec(
                    household=h_index,
                    member=member,
                    recorded_by=case.key_worker,
                    recipient=recipient,
                    categories=categories,
                    valid_from=start,
                    valid_until=until,
                    evidence=evidence,
                    evidence_note=note,
                    withdrawal_reason=WITHDRAWAL_REASON if kind == "withdrawn" else "",
                )
            )
        return consents, break_glasses


def build_plan(*, seed: int, people: int, today: date) -> DemoPlan:
    """Everything the seed will write, decided from the seed alone. No database access."""
    if people < MIN_PEOPLE:
        raise ValueError(f"Seed at least {MIN_PEOPLE} people, not {people}")
    planner = _Planner(seed=seed, people=people, today=today)
    households = planner.build()
    consents, break_glasses = planner.sharing(households)
    return DemoPlan(
        seed=seed,
        today=today,
        households=households,
        consents=consents,
        break_glasses=break_glasses,
    )


def nhs_check_digit(nine_digits: str) -> int | None:
    """The modulus 11 check digit for the first nine digits of an NHS number, or None when
    no number starts with them (the check would be 10)."""
    total = sum(int(d) * w for d, w in zip(nine_digits, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --- Writing it -------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    organisation: str


@dataclass
class SeedSummary:
    network: str
    areas: int
    organisations: int
    staff: int
    people: int
    households: int
    identifiers: int
    cases_by_status: dict[str, int]
    cases_by_lead: dict[str, int]
    people_with_one_stop_case: int
    keyworker_open_cases: int
    consents_active: int
    consents_sensitive: int  # of the active ones, those naming a sensitive category
    consents_expired: int
    consents_withdrawn: int
    break_glass_pending: int
    break_glass_reviewed: int
    partner_sees: int  # people the `partner` persona may see at all
    partner_sees_by_consent: int  # of those, people seen through a consent only
    outsider_sees: int
    logins: list[Login]
    extras: dict[str, int] = field(default_factory=dict)  # other apps' demo data, by noun


ProgressCallback = Callable[[int, int], None]


class _Writer:
    """Applies a plan: configuration with the ORM, everything personal through services."""

    def __init__(self, plan: DemoPlan, *, password: str, progress: ProgressCallback | None) -> None:
        self.plan = plan
        self.password = password
        self.progress = progress
        self.people_written = 0
        self.people_total = len(plan.people)
        self.areas: dict[str, Area] = {}
        self.organisations: dict[str, Organisation] = {}
        self.users: dict[str, User] = {}
        self.actors: dict[tuple[str, str], Actor] = {}

    def configure(self) -> Network:
        network = Network.objects.create(slug=NETWORK_SLUG, name=NETWORK_NAME)
        region = Area.objects.create(
            network=network, level=AreaLevel.REGION, code=REGION_CODE, name=REGION_NAME
        )
        self.areas[region.code] = region
        for district_def in DISTRICTS:
            district = Area.objects.create(
                network=network,
                parent=region,
                level=AreaLevel.DISTRICT,
                code=district_def.code,
                name=district_def.name,
            )
            self.areas[district.code] = district
            for n in district_def.neighbourhoods:
                self.areas[n.code] = Area.objects.create(
                    network=network,
                    parent=district,
                    level=AreaLevel.NEIGHBOURHOOD,
                    code=n.code,
                    name=n.name,
                )
        for org in ORGANISATIONS:
            self.organisations[org.slug] = Organisation.objects.create(
                network=network,
                slug=org.slug,
                name=org.name,
                sector=org.sector,
                kind=org.kind,
                is_lead=org.is_lead,
                email=f"hello@{org.domain}",
                website=f"https://{org.domain}/",
            )
        # One hash for the shared demo password: Argon2 is slow on purpose.
        password_hash = make_password(self.password)
        for staff in STAFF:
            domain = ORGANISATION_BY_SLUG[staff.memberships[0][0]].domain
            user = User.objects.create(
                username=staff.username,
                first_name=staff.first_name,
                last_name=staff.last_name,
                password=password_hash,
                email=f"{staff.first_name}.{staff.last_name}@{domain}".lower(),
            )
            self.users[staff.username] = user
            for org_slug, role in staff.memberships:
                membership = Membership.objects.create(
                    user=user, organisation=self.organisations[org_slug], role=role
                )
                self.actors[(staff.username, org_slug)] = Actor.system(
                    ACTOR_LABEL, membership=membership
                )
        return network

    def actor(self, username: str, org_slug: str) -> Actor:
        return self.actors[(username, org_slug)]

    def household(self, spec: HouseholdSpec) -> list[Person]:
        registrar = self.actor(REGISTRAR[spec.registered_by], spec.registered_by)
        people = [self.person(registrar, p) for p in spec.members]
        household: Household | None = None
        if spec.recorded:
            household = household_save(
                actor=registrar,
                name=spec.name,
                members=[
                    MemberInput(person, p.relationship)
                    for person, p in zip(people, spec.members, strict=True)
                ],
            )
        for case_spec in spec.cases:
            self.case(case_spec, people[case_spec.member], household)
        return people

    def person(self, registrar: Actor, spec: PersonSpec) -> Person:
        person = person_create(
            actor=registrar, details=self.details(spec), identifiers=spec.identifiers
        )
        self.people_written += 1
        done, total = self.people_written, self.people_total
        if self.progress is not None and (done % PROGRESS_STEP == 0 or done == total):
            self.progress(done, total)
        return person

    def details(self, spec: PersonSpec) -> PersonDetails:
        return PersonDetails(
            given_name=spec.given_name,
            family_name=spec.family_name,
            preferred_name=spec.preferred_name,
            previous_names=list(spec.previous_names),
            date_of_birth=spec.date_of_birth,
            date_of_birth_is_approximate=spec.date_of_birth_is_approximate,
            sex=spec.sex,
            gender=spec.gender,
            phone=spec.phone,
            email=spec.email,
            address_line_1=spec.address_line_1,
            address_line_2=spec.address_line_2,
            town=spec.town,
            postcode=spec.postcode,
            area_id=self.areas[spec.area_code].pk,
            preferred_languages=list(spec.preferred_languages),
            interpreter_needed=spec.interpreter_needed,
            population_groups=list(spec.population_groups),
        )

    def case(self, spec: CaseSpec, person: Person, household: Household | None) -> None:
        initial = self.users[spec.initial_key_worker] if spec.initial_key_worker else None
        case = case_open(
            actor=self.actor(spec.opened_by, spec.lead),
            person=person,
            entry_route=spec.entry_route,
            household=household if spec.household_case else None,
            key_worker=initial,
            opened_on=spec.opened_on,
            notify=False,  # history, not news: no e-mails for the seeded past
        )
        # The worker who holds the case at the end runs it: step-down and closure.
        runner = self.actor(spec.key_worker, spec.lead)
        if spec.key_worker != spec.initial_key_worker:
            allocator = self.actor(ONE_STOP_MANAGER, ONE_STOP) if spec.lead == ONE_STOP else runner
            case = case_assign_key_worker(
                actor=allocator, case=case, key_worker=self.users[spec.key_worker], notify=False
            )
        if spec.stepped_down_on is not None:
            case = case_step_down(actor=runner, case=case, on=spec.stepped_down_on)
        if spec.closed_on is not None:
            exit_plan_before_closing(
                actor=runner, case=case, closing_on=spec.closed_on, reason=spec.closure_reason
            )
            case_close(
                actor=runner,
                case=case,
                reason=spec.closure_reason,
                note=spec.closure_note,
                on=spec.closed_on,
            )

    @staticmethod
    def at(day: date) -> datetime:
        """Half past nine on ``day``, local time."""
        return timezone.make_aware(datetime.combine(day, time(9, 30)))

    def consent(self, spec: ConsentSpec, person: Person) -> Consent:
        """Recorded by the person's one-stop key worker, as told at a visit; withdrawn
        through the service too."""
        actor = self.actor(spec.recorded_by, ONE_STOP)
        consent = consent_record(
            actor=actor,
            person=person,
            recipient_kind=RecipientKind.ORGANISATION,
            recipient_organisation=self.organisations[spec.recipient],
            purpose=Purpose.CARE_COORDINATION,
            categories=spec.categories,
            evidence=spec.evidence,
            evidence_note=spec.evidence_note,
            valid_from=min(self.at(spec.valid_from), timezone.now()),  # given today: now
            valid_until=self.at(spec.valid_until) if spec.valid_until else None,
        )
        if spec.withdrawal_reason:
            consent_withdraw(actor=actor, consent=consent, reason=spec.withdrawal_reason)
        return consent

    def break_glass(self, spec: BreakGlassSpec, person: Person) -> BreakGlass:
        """Started by the partner agency's worker now (their key workers are e-mailed once
        the seed commits), and reviewed by the privacy officer if the plan says so."""
        access = break_glass_start(
            actor=self.actor(spec.worker, spec.organisation),
            person=person,
            reason=spec.reason,
            justification=spec.justification,
        )
        if spec.review != Review.PENDING:
            access = break_glass_review(
                actor=self.actor(REVIEWER, ONE_STOP),
                access=access,
                outcome=spec.review,
                note=spec.review_note,
            )
        return access


def is_seeded() -> bool:
    return Network.objects.filter(slug=NETWORK_SLUG).exists()


def apply_plan(
    plan: DemoPlan, *, password: str, progress: ProgressCallback | None = None
) -> SeedSummary:
    """Write the plan to the database in one transaction. Refuses a database that already
    holds the demo network."""
    if is_seeded():
        raise AlreadySeeded(f"The database already has the {NETWORK_SLUG!r} network")
    writer = _Writer(plan, password=password, progress=progress)
    with transaction.atomic():
        network = writer.configure()
        people: dict[tuple[int, int], Person] = {}
        for h_index, household in enumerate(plan.households):
            for member, person in enumerate(writer.household(household)):
                people[(h_index, member)] = person
        for actor in writer.actors.values():
            actor.cache.clear()  # grounds cached while writing people and cases
        for consent in plan.consents:
            writer.consent(consent, people[(consent.household, consent.member)])
        for access in plan.break_glasses:
            writer.break_glass(access, people[(access.household, access.member)])
        extras = _seed_extensions(plan, network, writer, list(people.values()))
        summary = _summarise(network, writer)
        summary.extras = extras
        return summary


def _seed_extensions(
    plan: DemoPlan, network: Network, writer: _Writer, people: list[Person]
) -> dict[str, int]:
    """The other apps' demo data, each from its own ``demo.py``, in dependency order, with
    one random stream per app so that adding one does not reshuffle the others."""
    from wraparound.analytics.demo import seed_history
    from wraparound.assessments.demo import seed_assessments
    from wraparound.crisis.demo import seed_crisis
    from wraparound.directory.demo import seed_directory
    from wraparound.eligibility.demo import seed_eligibility
    from wraparound.plans.demo import seed_plans
    from wraparound.portal.demo import seed_portal
    from wraparound.referrals.demo import seed_referrals

    def rng(app: str) -> random.Random:
        return random.Random(f"{plan.seed}:{app}")

    services = seed_directory(
        network=network, organisations=list(writer.organisations.values()), rng=rng("directory")
    )
    counts = {"services": len(services)}
    counts |= seed_eligibility(network=network, services=services, rng=rng("eligibility"))
    counts |= seed_assessments(network=network, people=people, rng=rng("assessments"))
    counts |= seed_plans(network=network, people=people, rng=rng("plans"))
    counts |= seed_crisis(network=network, people=people, rng=rng("crisis"))
    counts |= seed_referrals(
        network=network, people=people, rng=rng("referrals"), unrelated=[LAW_CLINIC]
    )
    counts |= seed_portal(network=network, password=writer.password, rng=rng("portal"))
    counts |= seed_history(
        network=network, people=people, rng=rng("history"), unrelated=[LAW_CLINIC]
    )
    return counts


def _summarise(network: Network, writer: _Writer) -> SeedSummary:
    cases = Case.objects.filter(network=network)
    one_stop = writer.organisations[ONE_STOP]
    keyworker = writer.users["keyworker"]
    now = timezone.now()
    consents = Consent.objects.filter(network=network)
    active = consents.active(now)
    break_glasses = BreakGlass.objects.filter(network=network)
    partner = writer.actor("partner", HOUSING)
    partner_sees = visible_people(partner)
    by_consent = active.covering(writer.organisations[HOUSING]).values("person_id")
    related = cases.filter(lead_organisation=writer.organisations[HOUSING]).values("person_id")
    logins = []
    for username in PERSONAS:
        staff = STAFF_BY_USERNAME[username]
        org_slug, role = staff.memberships[0]
        logins.append(Login(username, Role(role).label, ORGANISATION_NAMES[org_slug]))
    from wraparound.portal.demo import CITIZEN_EMAIL
    from wraparound.portal.models import CitizenAccount

    citizen = CitizenAccount.objects.filter(network=network, email=CITIZEN_EMAIL).first()
    if citizen is not None and citizen.person is not None:
        logins.append(
            Login(CITIZEN_EMAIL, "Citizen (sign in at /portal/)", citizen.person.full_name)
        )
    return SeedSummary(
        network=network.name,
        areas=Area.objects.filter(network=network).count(),
        organisations=Organisation.objects.filter(network=network).count(),
        staff=len(writer.users),
        people=Person.objects.filter(network=network).count(),
        households=Household.objects.filter(network=network).count(),
        identifiers=Identifier.objects.filter(network=network).count(),
        cases_by_status=dict(Counter(cases.values_list("status", flat=True))),
        cases_by_lead=dict(Counter(cases.values_list("lead_organisation__name", flat=True))),
        people_with_one_stop_case=cases.filter(lead_organisation=one_stop)
        .values("person_id")
        .distinct()
        .count(),
        keyworker_open_cases=cases.filter(key_worker=keyworker, status=CaseStatus.OPEN).count(),
        consents_active=active.count(),
        consents_sensitive=active.filter(categories__category__in=SENSITIVE_CATEGORIES)
        .distinct()
        .count(),
        consents_expired=consents.filter(valid_until__lte=now, withdrawal__isnull=True).count(),
        consents_withdrawn=consents.filter(withdrawal__isnull=False).count(),
        break_glass_pending=break_glasses.filter(review=Review.PENDING).count(),
        break_glass_reviewed=break_glasses.exclude(review=Review.PENDING).count(),
        partner_sees=partner_sees.count(),
        partner_sees_by_consent=partner_sees.filter(pk__in=by_consent)
        .exclude(registered_by=writer.organisations[HOUSING])
        .exclude(pk__in=related)
        .count(),
        outsider_sees=visible_people(writer.actor("outsider", LAW_CLINIC)).count(),
        logins=logins,
    )


def seed_demo(
    *,
    people: int = DEFAULT_PEOPLE,
    seed: int = DEFAULT_SEED,
    password: str = DEFAULT_PASSWORD,
    today: date | None = None,
    progress: ProgressCallback | None = None,
) -> SeedSummary:
    """Plan and write the demo network."""
    from wraparound.analytics.store import refresh_store

    plan = build_plan(seed=seed, people=people, today=today or timezone.localdate())
    summary = apply_plan(plan, password=password, progress=progress)
    # The dashboards read the analytics store: fill it now rather than overnight.
    refresh_store(network_id=Network.objects.get(slug=NETWORK_SLUG).pk)
    return summary
