"""Helpers shared by the trust-layer tests: consent states built straight in the database, so a
test can set up any state (expired, withdrawn, an imported consent the services would refuse)
without going through the rules under test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from wraparound.accounts.models import User
from wraparound.consent.grants import sync_access_grants
from wraparound.consent.models import (
    BreakGlass,
    Consent,
    ConsentCategory,
    ConsentWithdrawal,
    Evidence,
    LegalBasis,
    LegalBasisKind,
    Purpose,
    RecipientKind,
)
from wraparound.directory.models import Organisation
from wraparound.people.models import Person

DAY = dt.timedelta(days=1)


def make_consent(
    person: Person,
    *,
    categories: Iterable[str],
    organisation: Organisation | None = None,
    sector: str = "",
    kind: str | None = None,
    purpose: str = Purpose.CARE_COORDINATION,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    withdrawn: bool = False,
) -> Consent:
    """A consent row: to ``organisation``, to every organisation of ``sector``, or (neither)
    to the whole network."""
    if kind is None:
        kind = (
            RecipientKind.ORGANISATION
            if organisation is not None
            else RecipientKind.SECTOR
            if sector
            else RecipientKind.NETWORK
        )
    consent = Consent.objects.create(
        network_id=person.network_id,
        person=person,
        recipient_kind=kind,
        recipient_organisation=organisation,
        recipient_sector=sector,
        purpose=purpose,
        purpose_detail="Referral R-1" if purpose == Purpose.REFERRAL else "",
        valid_from=valid_from or timezone.now() - DAY,
        valid_until=valid_until,
        evidence=Evidence.VERBAL,
    )
    ConsentCategory.objects.bulk_create(
        ConsentCategory(consent=consent, category=c) for c in sorted(set(categories))
    )
    if withdrawn:
        ConsentWithdrawal.objects.create(consent=consent, reason="changed their mind")
    sync_access_grants([person.pk])
    return consent


def make_legal_basis(
    person: Person,
    *,
    organisation: Organisation,
    categories: Iterable[str],
    recorded_by: User,
    valid_until: dt.datetime | None = None,
    ended: bool = False,
) -> LegalBasis:
    now = timezone.now()
    basis = LegalBasis.objects.create(
        network_id=person.network_id,
        person=person,
        kind=LegalBasisKind.SAFEGUARDING,
        recipient_organisation=organisation,
        categories=sorted(set(categories)),
        reason="Risk of serious harm reported by the police",
        valid_from=now - DAY,
        valid_until=valid_until or now + 10 * DAY,
        recorded_by=recorded_by,
        ended_at=now if ended else None,
    )
    sync_access_grants([person.pk])
    return basis


def make_break_glass(
    person: Person, *, user: User, organisation: Organisation, expired: bool = False
) -> BreakGlass:
    now = timezone.now()
    access = BreakGlass.objects.create(
        network_id=person.network_id,
        user=user,
        organisation=organisation,
        person=person,
        reason="risk_to_life",
        justification="Police report an immediate risk to life tonight",
        started_at=now - 2 * DAY if expired else now - dt.timedelta(minutes=1),
        expires_at=now - DAY if expired else now + dt.timedelta(hours=1),
    )
    sync_access_grants([person.pk])
    return access
