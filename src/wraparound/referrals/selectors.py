"""Reads of referrals, through the access policy.

A referral is visible to the two organisations on it (the referrer and the receiving
service) and to whoever may see the person's plans and referrals (their key worker, the
lead organisation). The receiving organisation sees the person's identity and exactly the
categories in the referral's data bundle, each still decided by the access policy (a consent
withdrawn since hides it again).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case as When_
from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.audit.services import PersonRead, audit_reads
from wraparound.cases.models import Case, CaseStatus
from wraparound.consent.categories import DataCategory, category_label
from wraparound.consent.models import Purpose
from wraparound.consent.policy import (
    AccessDecision,
    decide,
    organisation_may_receive,
    visible_people,
)
from wraparound.directory.models import Service, ServiceStatus
from wraparound.enrolments.models import Enrolment
from wraparound.people.models import Person
from wraparound.referrals import waitlist
from wraparound.referrals.models import (
    BUNDLE_CATEGORIES,
    OPEN,
    Referral,
    ReferralAttachment,
    ReferralStatus,
    ReferralTransition,
    Side,
    WaitlistEntry,
)
from wraparound.referrals.services import allowed_moves, sides_of

CATEGORY = DataCategory.PLANS_REFERRALS


class ReferralNotFound(Http404):
    pass


def _with_visibility(queryset: QuerySet[Referral], actor: Actor) -> QuerySet[Referral]:
    """Each row's ``person_visible``: may the actor identify the person now (a consent
    withdrawn since hides the name in lists too). One subquery for the whole page."""
    return queryset.annotate(
        person_visible=Exists(visible_people(actor).filter(pk=OuterRef("person_id")))
    )


def _base() -> QuerySet[Referral]:
    return Referral.objects.select_related(
        "person",
        "service",
        "receiving_organisation",
        "referring_organisation",
        "referred_by",
        "case__key_worker",
        "goal",
    )


def _access(actor: Actor, referral: Referral) -> AccessDecision:
    if sides_of(actor, referral):
        return AccessDecision(True, "your organisation is on this referral")
    return decide(actor=actor, person=referral.person, category=CATEGORY)


@dataclass
class ReferralView:
    referral: Referral
    sides: set[str]
    moves: list[str]
    transitions: list[ReferralTransition]
    shown: list[str] = field(default_factory=list)
    withheld: dict[str, str] = field(default_factory=dict)
    waitlist_entry: WaitlistEntry | None = None
    person_visible: bool = True
    enrolment: Enrolment | None = None
    attachments: list[ReferralAttachment] = field(default_factory=list)

    @property
    def is_receiver(self) -> bool:
        return Side.RECEIVER in self.sides

    @property
    def is_referrer(self) -> bool:
        return Side.REFERRER in self.sides

    @property
    def bundle_labels(self) -> list[str]:
        return [category_label(c) for c in self.referral.bundle]

    def shows(self, category: str) -> bool:
        return category in self.shown


def referral_get(
    *, actor: Actor, referral_id: int, audit_as: str = "referral.view"
) -> ReferralView:
    """One referral as the actor may see it; not found when they may not (same answer)."""
    referral = _base().filter(pk=referral_id).first()
    if referral is None:
        raise ReferralNotFound("No referral with that id")
    access = _access(actor, referral)
    if not access:
        raise ReferralNotFound("No referral with that id")
    sides = sides_of(actor, referral)
    person = referral.person
    identity = decide(actor=actor, person=person)
    # The receiver sees the bundle; anyone else sees what the policy gives them anyway.
    categories = (
        list(referral.bundle)
        if sides == {Side.RECEIVER}
        else [c for c in DataCategory if c != DataCategory.IDENTITY]
    )
    shown, withheld = [], {}
    for category in categories:
        decision = decide(actor=actor, person=person, category=category)
        if decision:
            shown.append(category)
        else:
            withheld[category] = decision.reason
    audit_reads(
        actor=actor,
        action=audit_as,
        purpose=Purpose.CARE_COORDINATION,
        summary=f"Viewed referral {referral.reference}",
        reads=[
            PersonRead(
                person.pk,
                [CATEGORY, *shown] + ([DataCategory.IDENTITY] if identity else []),
                access.reason,
                access.break_glass,
                list(withheld),
            )
        ],
    )
    return ReferralView(
        referral=referral,
        sides=sides,
        moves=allowed_moves(actor, referral),
        transitions=list(
            referral.transitions.select_related("by", "by_organisation").order_by("at", "id")
        ),
        shown=shown,
        withheld=withheld,
        waitlist_entry=WaitlistEntry.objects.filter(referral=referral).first(),
        person_visible=bool(identity),
        enrolment=Enrolment.objects.filter(referral=referral).first(),
        attachments=list(referral.attachments.order_by("uploaded_at", "id")),
    )


def referral_for_update(*, actor: Actor, referral_id: int) -> Referral:
    """The referral for a write by one of its two organisations (the services re-check)."""
    referral = _base().filter(pk=referral_id).first()
    if referral is None or not sides_of(actor, referral):
        raise ReferralNotFound("No referral with that id")
    return referral


def _sla_order(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    """Requested referrals first, soonest response deadline first; then the rest, newest."""
    return queryset.annotate(
        waiting=When_(
            When(status=ReferralStatus.REQUESTED, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("waiting", F("respond_by").asc(nulls_last=True), "-created_at", "-id")


def inbox(
    *, actor: Actor, status: str | None = None, service_id: int | None = None
) -> QuerySet[Referral]:
    """Referrals to the actor's organisation, by SLA urgency (open ones unless ``status``)."""
    membership = actor.membership
    if membership is None or not membership.is_active:
        return Referral.objects.none()
    queryset = _base().filter(receiving_organisation_id=membership.organisation_id)
    if status:
        queryset = queryset.filter(status=status)
    else:
        queryset = queryset.filter(status__in=sorted(OPEN))
    if service_id:
        queryset = queryset.filter(service_id=service_id)
    return _with_visibility(_sla_order(queryset), actor)


def outbox(*, actor: Actor, status: str | None = None, mine: bool = True) -> QuerySet[Referral]:
    """What the actor (or, with ``mine=False``, their organisation) sent, newest first."""
    membership = actor.membership
    if membership is None or not membership.is_active:
        return Referral.objects.none()
    queryset = _base().filter(referring_organisation_id=membership.organisation_id)
    if mine:
        queryset = queryset.filter(referred_by_id=membership.user_id)
    if status:
        queryset = queryset.filter(status=status)
    return _with_visibility(queryset.order_by("-created_at", "-id"), actor)


def key_worker_referrals(*, actor: Actor, status: str | None = None) -> QuerySet[Referral]:
    """Every referral of the people the actor is key worker for, from any organisation."""
    if actor.user is None:
        return Referral.objects.none()
    people = Case.objects.filter(
        key_worker_id=actor.user.pk, status__in=[CaseStatus.OPEN, CaseStatus.STEPPED_DOWN]
    ).values("person_id")
    queryset = _base().filter(person_id__in=people, person__in=visible_people(actor))
    if status:
        queryset = queryset.filter(status=status)
    return _with_visibility(queryset.order_by("-created_at", "-id"), actor)


def referrals_for_person(*, actor: Actor, person_id: int) -> list[Referral]:
    """The person's referrals the actor may see: all of them with access to plans and
    referrals, otherwise only those their organisation is on."""
    referrals = list(
        _with_visibility(_base().filter(person_id=person_id), actor).order_by("-created_at", "-id")
    )
    if not referrals:
        return []
    if decide(actor=actor, person=referrals[0].person, category=CATEGORY):
        return referrals
    return [r for r in referrals if sides_of(actor, r)]


def audit_referral_list(*, actor: Actor, referrals: list[Referral], action: str) -> None:
    """A list page showed these referrals' people (identity and the referral line; a person
    the actor may no longer identify is listed without a name)."""
    people = {r.person_id for r in referrals if getattr(r, "person_visible", True)}
    if people:
        audit_reads(
            actor=actor,
            action=action,
            purpose=Purpose.CARE_COORDINATION,
            summary="Listed referrals",
            reads=[
                PersonRead(pid, [DataCategory.IDENTITY, CATEGORY], "referral list", False)
                for pid in sorted(people)
            ],
        )


@dataclass(frozen=True)
class WaitlistRow:
    entry: WaitlistEntry
    position: int
    score: float
    explanation: list[str]


def service_waitlist(*, actor: Actor, service_id: int) -> list[WaitlistRow]:
    """The waitlist of one of the actor's organisation's services, in priority order with
    each position's explanation (the policy in force applied now)."""
    membership = actor.membership
    if membership is None or not membership.is_active:
        raise ReferralNotFound("No such service")
    if not Service.objects.filter(
        pk=service_id, organisation_id=membership.organisation_id
    ).exists():
        raise ReferralNotFound("No such service")
    entries = {
        e.pk: e
        for e in WaitlistEntry.objects.select_related(
            "referral__person", "referral__referring_organisation", "service"
        ).filter(service_id=service_id)
    }
    _, weights = waitlist.current_policy(membership.organisation.network_id)
    ranked = waitlist.rank(waitlist.candidates_for(service_id), weights, now=timezone.now())
    rows = [
        WaitlistRow(entries[r.candidate.entry_id], r.position, r.score, r.explanation)
        for r in ranked
        if r.candidate.entry_id in entries
    ]
    audit_referral_list(
        actor=actor, referrals=[row.entry.referral for row in rows], action="referral.waitlist"
    )
    return rows


def overdue_filter(now: dt.datetime | None = None) -> Q:
    """Referrals whose response deadline has passed without an answer."""
    now = now or timezone.now()
    return Q(status=ReferralStatus.REQUESTED, respond_by__lt=now)


def referable_services(*, actor: Actor, need: str = "") -> list[Service]:
    """Services of the actor's network that take referrals now (optionally for one need),
    basic-need services first."""
    membership = actor.membership
    if membership is None:
        return []
    services = Service.objects.filter(
        organisation__network_id=membership.organisation.network_id,
        status=ServiceStatus.ACTIVE,
        accepts_referrals=True,
    ).select_related("organisation")
    if need:
        services = services.filter(needs__need=need)
    return list(services.distinct().order_by("organisation__name", "name"))


def bundle_coverage(*, person: Person, organisation_id: int) -> list[str]:
    """The bundle categories the person's consent (or relationship) lets go to the
    organisation: shown on the form before anything is sent."""
    return [
        str(c)
        for c in BUNDLE_CATEGORIES
        if organisation_may_receive(person=person, organisation_id=organisation_id, category=c)
    ]


def service_of(*, actor: Actor, service_id: int) -> Service:
    """One of the actor's organisation's services (not found otherwise)."""
    membership = actor.membership
    service = (
        Service.objects.filter(pk=service_id, organisation_id=membership.organisation_id).first()
        if membership is not None
        else None
    )
    if service is None:
        raise ReferralNotFound("No such service")
    return service


def referrals_of_concern(*, actor: Actor, status: str | None = None) -> QuerySet[Referral]:
    """Everything the actor works on: received or sent by their organisation, and every
    referral of the people they are key worker for; newest first."""
    incoming = inbox(actor=actor, status=status).values("pk")
    sent = outbox(actor=actor, status=status, mine=False).values("pk")
    people = key_worker_referrals(actor=actor, status=status).values("pk")
    return _with_visibility(
        _base()
        .filter(Q(pk__in=incoming) | Q(pk__in=sent) | Q(pk__in=people))
        .order_by("-created_at", "-id"),
        actor,
    )


def referral_attachment_get(*, actor: Actor, attachment_id: int) -> ReferralAttachment:
    """A document of a referral, for the two organisations on it (or whoever may see the
    person's documents); the download is audited."""
    attachment = (
        ReferralAttachment.objects.select_related("referral__person")
        .filter(pk=attachment_id)
        .first()
    )
    if attachment is None:
        raise ReferralNotFound("No document with that id")
    referral = attachment.referral
    decision = (
        AccessDecision(True, "your organisation is on this referral")
        if sides_of(actor, referral)
        else decide(actor=actor, person=referral.person, category=DataCategory.DOCUMENTS)
    )
    if not decision:
        raise ReferralNotFound("No document with that id")
    audit_reads(
        actor=actor,
        action="referral.attachment_download",
        purpose=Purpose.CARE_COORDINATION,
        summary=f"Downloaded a document of referral {referral.reference}",
        reads=[
            PersonRead(
                referral.person_id, [DataCategory.DOCUMENTS], decision.reason, decision.break_glass
            )
        ],
    )
    return attachment
