"""factory_boy factories, one section per app. Models are built directly (fast); anything
the services would derive (search tokens, sort names) is derived the same way here."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from wraparound.accounts.models import Membership, Role, User
from wraparound.cases.models import Case, CaseStatus, EntryRoute
from wraparound.consent.grants import sync_access_grants
from wraparound.core.models import Area, AreaLevel, Network
from wraparound.directory.models import Organisation, OrganisationKind, Sector
from wraparound.people.models import Household, HouseholdMember, Identifier, Person
from wraparound.people.services import refresh_search_index
from wraparound.people.validation import sort_name

# --- core -----------------------------------------------------------------------------


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Network
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"network-{n}")
    name = factory.Sequence(lambda n: f"Network {n}")


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    network = factory.SubFactory(NetworkFactory)
    level = AreaLevel.REGION
    parent = None
    code = factory.Sequence(lambda n: f"W{n:08d}")
    name = factory.Sequence(lambda n: f"Area {n}")


# --- directory ------------------------------------------------------------------------


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    network = factory.SubFactory(NetworkFactory)
    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    sector = Sector.SOCIAL_SERVICES
    kind = OrganisationKind.PUBLIC


# --- accounts -------------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.KEY_WORKER


# --- people ---------------------------------------------------------------------------


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    network = factory.SubFactory(NetworkFactory)
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=90)
    sex = "female"
    sort_name = factory.LazyAttribute(lambda p: sort_name(p.given_name, p.family_name))

    @factory.post_generation
    def index(obj: Person, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            refresh_search_index(obj)
            sync_access_grants([obj.pk])


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    network = factory.SubFactory(NetworkFactory)
    name = factory.Faker("last_name")


class HouseholdMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseholdMember

    household = factory.SubFactory(HouseholdFactory)
    person = factory.SubFactory(PersonFactory)
    relationship = "head"


class IdentifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identifier

    person = factory.SubFactory(PersonFactory)
    network = factory.SelfAttribute("person.network")
    type = "local_authority"
    value = factory.Sequence(lambda n: f"LA{n:07d}")
    issuer = ""


# --- cases ----------------------------------------------------------------------------


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case
        skip_postgeneration_save = True

    person = factory.SubFactory(PersonFactory)
    network = factory.SelfAttribute("person.network")
    lead_organisation = factory.SubFactory(
        OrganisationFactory, network=factory.SelfAttribute("..person.network")
    )
    key_worker = None
    entry_route = EntryRoute.CASE_MANAGEMENT
    status = CaseStatus.OPEN
    opened_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))

    @factory.post_generation
    def grants(obj: Case, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            sync_access_grants([obj.person_id])
