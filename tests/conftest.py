"""Persona fixtures shared by every test: the people DESIGN.md names."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.management.commands import flush
from django.test import Client

from tests import factories as f
from wraparound.accounts.actor import Actor, actor_for_user
from wraparound.accounts.models import Role, User
from wraparound.core.models import Network
from wraparound.directory.models import Organisation, Sector

PASSWORD = "correct horse battery staple"


def audit_lock_queries() -> int:
    """Queries the audit chain's append lock costs: PostgreSQL takes an advisory lock,
    SQLite's write transactions are serialised already."""
    from django.db import connection

    return 1 if connection.vendor == "postgresql" else 0


def _flush_with_audit_maintenance(original):  # type: ignore[no-untyped-def]
    """Transactional tests end with a database flush, which the audit table's append-only
    triggers would refuse: the flush (and only the flush) runs in maintenance mode."""
    from wraparound.audit.append_only import audit_maintenance

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        with audit_maintenance():
            return original(self, *args, **options)

    return handle


flush.Command.handle = _flush_with_audit_maintenance(flush.Command.handle)  # type: ignore[method-assign]


@dataclass
class Personas:
    network: Network
    one_stop: Organisation
    partner_org: Organisation
    outsider_org: Organisation
    keyworker: User
    partner: User
    outsider: User
    manager: User
    netadmin: User
    privacy: User

    def actor(self, user: User) -> Actor:
        return actor_for_user(user, via="web")

    def client(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client


@pytest.fixture
def personas(db: None) -> Personas:
    network = f.NetworkFactory(slug="valleys", name="Valleys Wraparound Network")
    one_stop = f.OrganisationFactory(
        network=network,
        slug="one-stop",
        name="Cwm Taf One-Stop Centre",
        is_lead=True,
        sector=Sector.SOCIAL_SERVICES,
    )
    partner_org = f.OrganisationFactory(
        network=network,
        slug="housing-assoc",
        name="Taff Housing Association",
        sector=Sector.HOUSING,
        kind="non_profit",
    )
    outsider_org = f.OrganisationFactory(
        network=network,
        slug="legal-clinic",
        name="Valleys Law Clinic",
        sector=Sector.LEGAL,
        kind="non_profit",
    )

    def member(username: str, org: Organisation, role: str) -> User:
        user = f.UserFactory(username=username)
        f.MembershipFactory(user=user, organisation=org, role=role)
        return user

    return Personas(
        network=network,
        one_stop=one_stop,
        partner_org=partner_org,
        outsider_org=outsider_org,
        keyworker=member("keyworker", one_stop, Role.KEY_WORKER),
        partner=member("partner", partner_org, Role.PRACTITIONER),
        outsider=member("outsider", outsider_org, Role.PRACTITIONER),
        manager=member("manager", one_stop, Role.MANAGER),
        netadmin=member("netadmin", one_stop, Role.NETWORK_ADMIN),
        privacy=member("privacy", one_stop, Role.PRIVACY_OFFICER),
    )


@pytest.fixture
def keyworker_actor(personas: Personas) -> Actor:
    return personas.actor(personas.keyworker)


@pytest.fixture
def keyworker_client(personas: Personas) -> Client:
    return personas.client(personas.keyworker)
