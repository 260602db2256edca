"""The access policy: the one place that decides who may see or change a person's data.

``decide(actor, person, category, action, purpose)`` returns allow or deny with its reason,
so the reason can be shown and audited. Deny by default. In order:

1. The actor's organisation recorded the data itself (``recorded_by_organisation_id``).
2. A relationship — the organisation leads one of the person's cases, registered the person,
   or the actor is their key worker — covers every category except the sensitive ones.
3. An active consent whose recipient includes the organisation, for this purpose, naming
   the category (substance use only for a consent to that one organisation).
4. An active legal basis (safeguarding, statutory duty) for the organisation naming it.
5. An active break-glass of this actor for this person covers everything, flagged.

Seeing a person at all is the identity category; any consent or legal basis in force for the
organisation implies it (nothing can be shared about someone unidentifiable). Changing the
record needs a casework role and a relationship. A person's withheld address (safety) is
shown only to the workers named for it. See ADR 0006.

Grounds are loaded once per person per request (cached on the actor), so a withdrawal or an
expiry takes effect on the very next request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES, Role
from wraparound.cases.models import Case
from wraparound.consent.categories import (
    NO_REDISCLOSURE,
    SENSITIVE_CATEGORIES,
    DataCategory,
    category_label,
)
from wraparound.consent.grants import (
    GrantInForce,
    count_people_granted,
    recipients_of,
    registrations,
)
from wraparound.consent.models import (
    BreakGlass,
    Consent,
    GrantedNameToken,
    LegalBasis,
    Purpose,
    RecipientKind,
)
from wraparound.people.models import Person


class Action(StrEnum):
    VIEW = "view"
    EDIT = "edit"


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    reason: str
    break_glass: bool = False

    def __bool__(self) -> bool:
        return self.allowed


DENY_NO_MEMBERSHIP = AccessDecision(False, "not a member of any organisation")
DENY_OTHER_NETWORK = AccessDecision(False, "the person belongs to another network")


@dataclass(frozen=True)
class _ConsentGround:
    consent_id: int
    purpose: str
    categories: frozenset[str]
    to_organisation_only: bool
    label: str


@dataclass
class Grounds:
    """What one actor holds for one person, loaded once per request."""

    relationship: str | None
    consents: list[_ConsentGround] = field(default_factory=list)
    legal_bases: list[tuple[frozenset[str], str]] = field(default_factory=list)
    break_glass: BreakGlass | None = None

    @property
    def identifies(self) -> bool:
        return bool(self.relationship or self.consents or self.legal_bases or self.break_glass)


def _load_grounds(actor: Actor, person: Person, now: datetime) -> Grounds:
    membership = actor.membership
    assert membership is not None
    org = membership.organisation
    relationship: str | None = None
    if person.registered_by_id == org.pk and person.merged_into_id is None:
        relationship = "your organisation registered this person"
    elif Person.objects.filter(merged_into=person).exists() and org.pk in registrations(
        [person.pk]
    ).get(person.pk, ()):
        relationship = "your organisation registered a record merged into this one"
    case = (
        Case.objects.filter(person=person)
        .filter(Q(lead_organisation_id=org.pk) | Q(key_worker_id=membership.user_id))
        .values_list("key_worker_id", flat=True)
        .order_by("-last_activity_at")
    )
    key_workers = list(case)
    if key_workers:
        relationship = (
            "you are this person's key worker"
            if membership.user_id in key_workers
            else "your organisation leads a case for this person"
        )
    consents = [
        _ConsentGround(
            consent_id=c.pk,
            purpose=c.purpose,
            categories=frozenset(c.category_codes),
            to_organisation_only=c.recipient_kind == RecipientKind.ORGANISATION,
            label=f"consent #{c.pk} given {timezone.localtime(c.recorded_at):%d %b %Y}",
        )
        for c in Consent.objects.active(now)
        .covering(org)
        .filter(person=person)
        .prefetch_related("categories")
    ]
    legal_bases = [
        (
            frozenset(basis.categories) | {DataCategory.IDENTITY},
            f"{basis.get_kind_display().lower()} until "
            f"{timezone.localtime(basis.valid_until):%d %b %Y}",
        )
        for basis in LegalBasis.objects.active(now).filter(
            person=person, recipient_organisation=org, ended_at__isnull=True
        )
    ]
    break_glass = (
        BreakGlass.objects.filter(
            user_id=membership.user_id, person=person, started_at__lte=now, expires_at__gt=now
        )
        .order_by("-expires_at")
        .first()
    )
    return Grounds(relationship, consents, legal_bases, break_glass)


def grounds_for(actor: Actor, person: Person) -> Grounds:
    key = ("grounds", person.pk)
    if key not in actor.cache:
        actor.cache[key] = _load_grounds(actor, person, timezone.now())
    grounds: Grounds = actor.cache[key]
    return grounds


def decide(
    *,
    actor: Actor,
    person: Person,
    category: str = DataCategory.IDENTITY,
    action: Action = Action.VIEW,
    purpose: str = Purpose.CARE_COORDINATION,
    recorded_by_organisation_id: int | None = None,
) -> AccessDecision:
    membership = actor.membership
    if membership is None or not membership.is_active:
        return DENY_NO_MEMBERSHIP
    if person.network_id != membership.organisation.network_id:
        return DENY_OTHER_NETWORK
    if person.merged_into_id is not None:
        return _decide_merged(actor, person, category, action)
    grounds = grounds_for(actor, person)
    if action is Action.EDIT:
        if membership.role not in CASEWORK_ROLES:
            return AccessDecision(
                False, f"the {membership.get_role_display()} role cannot edit records"
            )
        if grounds.relationship is None:
            return AccessDecision(False, "only organisations working with the person can edit")
        return AccessDecision(True, grounds.relationship)
    if recorded_by_organisation_id == membership.organisation_id:
        return AccessDecision(True, "your organisation recorded this")
    if grounds.relationship and category not in SENSITIVE_CATEGORIES:
        return AccessDecision(True, grounds.relationship)
    for consent in grounds.consents:
        if consent.purpose != purpose:
            continue
        if category in NO_REDISCLOSURE and not consent.to_organisation_only:
            continue
        if category in consent.categories or (
            category == DataCategory.IDENTITY and consent.categories
        ):
            return AccessDecision(True, consent.label)
    for categories, label in grounds.legal_bases:
        if category in categories:
            return AccessDecision(True, label)
    if grounds.break_glass is not None:
        until = timezone.localtime(grounds.break_glass.expires_at)
        return AccessDecision(
            True, f"break-glass #{grounds.break_glass.pk} until {until:%H:%M}", break_glass=True
        )
    if category == DataCategory.IDENTITY:
        return AccessDecision(False, "no relationship, consent or legal basis for this person")
    return AccessDecision(False, f"withheld: no consent for {category_label(category)}")


def _decide_merged(actor: Actor, person: Person, category: str, action: Action) -> AccessDecision:
    """A record merged into another is history: everything about it moved to the survivor.
    Whoever may see the survivor may see that this record became it (its identity, to be
    sent on); nothing else is left here, and nothing can be changed. Lists never show it."""
    survivor = person.merged_into
    assert survivor is not None
    while survivor.merged_into is not None:  # merged again since: name where it is now
        survivor = survivor.merged_into
    if action is Action.EDIT or category != DataCategory.IDENTITY:
        return AccessDecision(False, f"this record was merged into {survivor.reference}")
    if not decide(actor=actor, person=survivor):
        return AccessDecision(False, "no relationship, consent or legal basis for this person")
    return AccessDecision(True, f"merged into {survivor.reference}, whom you may see")


def withheld_categories(
    *,
    actor: Actor,
    person: Person,
    categories: tuple[str, ...] | None = None,
    purpose: str = Purpose.CARE_COORDINATION,
) -> dict[str, str]:
    """Category -> the reason it is withheld, for every category the actor may not see."""
    result: dict[str, str] = {}
    for category in categories or tuple(DataCategory):
        decision = decide(actor=actor, person=person, category=category, purpose=purpose)
        if not decision:
            result[category] = decision.reason
    return result


def address_decision(*, actor: Actor, person: Person) -> AccessDecision:
    """The address is identity data, unless withheld for safety: then named workers only."""
    if not person.address_withheld:
        return decide(actor=actor, person=person)
    if actor.user is not None and person.address_visible_to.filter(pk=actor.user.pk).exists():
        return AccessDecision(True, "you are named to see this address")
    return AccessDecision(False, "withheld for safety: only named workers see this address")


def visible_people(actor: Actor) -> QuerySet[Person]:
    """Every person the actor may see (identity). Selectors start from this and nothing else.

    The same rule as ``decide(category=identity)``, as one SQL filter: a grant in force for
    the worker, the organisation, its sector or the network (``AccessGrant``, kept from
    registrations, cases, care-coordination consents, legal bases and break-glass).
    ``tests/consent/test_policy.py`` keeps the two equal.
    """
    membership = actor.membership
    if membership is None or not membership.is_active:
        return Person.objects.none()
    org = membership.organisation
    recipients = recipients_of(org, membership.user_id)
    return Person.objects.filter(
        GrantInForce(recipients, timezone.now()), network_id=org.network_id
    )


def visible_people_named(actor: Actor, token_filter: Q) -> QuerySet[Person]:
    """``visible_people(actor)`` narrowed to people with a name token matching
    ``token_filter`` (a condition on ``token``), read from the granted name tokens: one index
    range per recipient of the actor holds exactly the matches they may see, so a broad name
    never costs a probe per person it would drop (ADR 0006). The same people as
    ``visible_people(actor).filter(pk__in=<tokens matching>)``; tests keep them equal."""
    membership = actor.membership
    if membership is None or not membership.is_active:
        return Person.objects.none()
    org = membership.organisation
    now = timezone.now()
    granted = GrantedNameToken.objects.filter(
        token_filter,
        recipient__in=recipients_of(org, membership.user_id),
        valid_until__gt=now,
        valid_from__lte=now,
    ).values("person_id")
    return Person.objects.filter(pk__in=granted, network_id=org.network_id)


def visible_people_count(actor: Actor, *, cap: int) -> int:
    """How many people ``visible_people(actor)`` holds, counting no further than ``cap + 1``.

    Counted from the grants side (``grants.count_people_granted``): a capped count of the
    filtered person list has to walk the whole name index until it has found ``cap + 1``
    visible people, probing each. Grant keys are network-scoped, so the count agrees with
    the list (a test keeps them equal)."""
    membership = actor.membership
    if membership is None or not membership.is_active:
        return 0
    recipients = recipients_of(membership.organisation, membership.user_id)
    return count_people_granted(recipients, timezone.now(), cap=cap)


def is_privacy_officer(actor: Actor, *, network_id: int | None = None) -> bool:
    """An active privacy officer (of ``network_id``, when given): they audit access to every
    record of their network (access logs, consents, evidence, the break-glass queue)."""
    membership = actor.membership
    return (
        membership is not None
        and membership.is_active
        and membership.role == Role.PRIVACY_OFFICER
        and (network_id is None or membership.organisation.network_id == network_id)
    )


def require(decision: AccessDecision) -> None:
    """Raise PermissionDenied with the policy's reason unless the decision allows."""
    if not decision.allowed:
        raise PermissionDenied(decision.reason)


def may_register_people(actor: Actor) -> AccessDecision:
    membership = actor.membership
    if membership is None or not membership.is_active:
        return DENY_NO_MEMBERSHIP
    if membership.role not in CASEWORK_ROLES:
        return AccessDecision(
            False, f"the {membership.get_role_display()} role cannot register people"
        )
    return AccessDecision(True, "casework role")


AGGREGATE_ROLES = frozenset({Role.ANALYST, Role.MANAGER, Role.NETWORK_ADMIN})


def may_read_aggregates(actor: Actor, *, network_id: int) -> AccessDecision:
    """May the actor see counts over the whole network (never a person): analysts, managers
    and network administrators of that network. Reports built on it use people's data
    inside the computation only, suppress small numbers and are audited as one read."""
    membership = actor.membership
    if membership is None or not membership.is_active:
        return DENY_NO_MEMBERSHIP
    if membership.organisation.network_id != network_id:
        return DENY_OTHER_NETWORK
    if membership.role not in AGGREGATE_ROLES:
        return AccessDecision(
            False, f"the {membership.get_role_display()} role does not see network-wide figures"
        )
    return AccessDecision(True, f"{membership.get_role_display().lower()} of the network")


def organisation_may_receive(
    *,
    person: Person,
    organisation_id: int,
    category: str,
    purpose: str = Purpose.CARE_COORDINATION,
) -> AccessDecision:
    """May data of ``category`` about ``person`` go to an organisation (a referral's data
    bundle)? The same grounds as ``decide`` for a worker there, without the worker-specific
    ones (key worker, break-glass): a consent to the organisation, its sector or the network
    for this purpose naming the category, a legal basis, or — outside the sensitive
    categories — the organisation's own relationship (it leads a case or registered them)."""
    from wraparound.directory.models import Organisation

    org = Organisation.objects.filter(pk=organisation_id).first()
    if org is None or org.network_id != person.network_id:
        return DENY_OTHER_NETWORK
    now = timezone.now()
    related = (
        person.registered_by_id == org.pk
        or Case.objects.filter(person=person, lead_organisation=org).exists()
    )
    if related and category not in SENSITIVE_CATEGORIES:
        return AccessDecision(True, f"{org.name} works with this person")
    consents = (
        Consent.objects.active(now)
        .covering(org)
        .filter(person=person, purpose=purpose)
        .prefetch_related("categories")
    )
    for consent in consents:
        codes = set(consent.category_codes)
        if category in NO_REDISCLOSURE and consent.recipient_kind != RecipientKind.ORGANISATION:
            continue
        if category in codes or (category == DataCategory.IDENTITY and codes):
            return AccessDecision(True, f"consent #{consent.pk}")
    for basis in LegalBasis.objects.active(now).filter(
        person=person, recipient_organisation=org, ended_at__isnull=True
    ):
        if category in basis.categories or category == DataCategory.IDENTITY:
            return AccessDecision(True, f"{basis.get_kind_display().lower()}")
    return AccessDecision(
        False, f"no consent covers sharing {category_label(category)} with {org.name}"
    )


def portal_subject_access(*, account_id: int, person_id: int) -> AccessDecision:
    """May a citizen portal account see and act on a person's record? Only the person
    themselves (the account linked to the record, ADR 0016) and someone the person allowed
    to act for them (an active intermediary). Never by e-mail alone."""
    from wraparound.portal.models import CitizenAccount, Intermediary

    if CitizenAccount.objects.filter(pk=account_id, person_id=person_id, is_active=True).exists():
        return AccessDecision(True, "the person's own record")
    allowed = Intermediary.objects.filter(
        account_id=account_id,
        person_id=person_id,
        revoked_at__isnull=True,
        account__is_active=True,
    ).first()
    if allowed is not None:
        return AccessDecision(True, f"intermediary allowed by the person (#{allowed.pk})")
    return AccessDecision(False, "not this account's record")
