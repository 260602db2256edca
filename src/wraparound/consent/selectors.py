"""Reads of the trust layer: consents, legal bases, the access log, the review queue."""

from __future__ import annotations

from django.db.models import QuerySet

from wraparound.accounts.actor import Actor
from wraparound.audit.models import AuditEvent, AuditKind
from wraparound.audit.services import PersonRead, audit_reads
from wraparound.consent.categories import DataCategory
from wraparound.consent.models import BreakGlass, Consent, LegalBasis, Review
from wraparound.consent.policy import Action, decide, is_privacy_officer
from wraparound.people.models import Identifier, Person
from wraparound.people.selectors import PersonNotFound, decide_or_404, person_get


def consents_for_person(*, actor: Actor, person: Person) -> QuerySet[Consent]:
    """Every consent the person gave, newest first, in force or not (history is kept).
    For organisations working with the person, and privacy officers."""
    if not is_privacy_officer(actor, network_id=person.network_id):
        decide_or_404(actor=actor, person=person, action=Action.EDIT)
    return (
        Consent.objects.filter(person=person)
        .select_related(
            "recipient_organisation", "recorded_by", "recorded_by_organisation", "withdrawal"
        )
        .prefetch_related("categories")
        .order_by("-recorded_at", "-id")
    )


def consent_get(*, actor: Actor, consent_id: int) -> Consent:
    consent = Consent.objects.select_related("person").filter(pk=consent_id).first()
    if consent is None or not decide(actor=actor, person=consent.person, action=Action.EDIT):
        raise PersonNotFound("No consent with that id")
    return consent


def legal_bases_for_person(*, actor: Actor, person: Person) -> QuerySet[LegalBasis]:
    if not is_privacy_officer(actor, network_id=person.network_id):
        decide_or_404(actor=actor, person=person, action=Action.EDIT)
    return LegalBasis.objects.filter(person=person).select_related(
        "recipient_organisation", "recorded_by"
    )


def access_log(*, actor: Actor, person: Person, export: bool = False) -> QuerySet[AuditEvent]:
    """Who looked at (or was refused) this person's record: organisation, role, time, purpose
    and categories. For the organisations working with them (subject access requests) and
    privacy officers. Reading it, and exporting it, are audited in turn."""
    if not is_privacy_officer(actor, network_id=person.network_id):
        decide_or_404(actor=actor, person=person, action=Action.EDIT)
    audit_reads(
        actor=actor,
        action="access_log.export" if export else "access_log.view",
        purpose="subject_access",
        summary="Exported the access log" if export else "Viewed the access log",
        reads=[PersonRead(person.pk, [DataCategory.IDENTITY], "access log")],
    )
    return AuditEvent.objects.filter(person_id=person.pk, kind=AuditKind.READ).order_by(
        "-occurred_at", "-id"
    )


def break_glass_queue(*, actor: Actor, include_reviewed: bool = False) -> QuerySet[BreakGlass]:
    """Emergency accesses of the privacy officer's network, pending first, newest first."""
    membership = actor.membership
    if membership is None or not is_privacy_officer(actor):
        return BreakGlass.objects.none()
    queue = BreakGlass.objects.filter(network_id=membership.organisation.network_id)
    if not include_reviewed:
        queue = queue.filter(review=Review.PENDING)
    return queue.select_related("user", "organisation", "person", "reviewed_by").order_by(
        "-started_at", "-id"
    )


def break_glass_get(*, actor: Actor, access_id: int) -> BreakGlass:
    access = break_glass_queue(actor=actor, include_reviewed=True).filter(pk=access_id).first()
    if access is None:
        raise PersonNotFound("No emergency access with that id")
    return access


def person_for_break_glass(*, actor: Actor, reference: str) -> Person:
    """The person an emergency access is asked for: by record number or identifier, in the
    actor's network. The one look-up that does not start from the policy: it exists so a
    worker can be let in. Refusing to say more than "not found" keeps it from being a
    general search; the access itself is audited and reviewed."""
    membership = actor.require_membership()
    network_id = membership.organisation.network_id
    text = "".join(reference.split()).upper()
    person = None
    if text.startswith("P-") and text[2:].isdigit():
        person = Person.objects.filter(pk=int(text[2:]), network_id=network_id).first()
    if person is None and text:
        match = Identifier.objects.filter(network_id=network_id, value=text.replace("-", ""))
        ids = set(match.values_list("person_id", flat=True)[:2])
        if len(ids) == 1:
            person = Person.objects.filter(pk=ids.pop()).first()
    if person is None:
        raise PersonNotFound("No person with that record number or identifier")
    return person


def person_for_trust_records(
    *, actor: Actor, person_id: int, audit_as: str | None = None
) -> Person:
    """The person whose consents or access log are asked for (the API's entry point).

    A privacy officer may ask about anyone in their network: overseeing consent and access
    is their job, whether or not their organisation works with the person. Everyone else
    only about someone their organisation works with (the policy's edit rule, as for
    ``consents_for_person`` and ``access_log``); a refusal is audited and answered like a
    missing person. ``audit_as`` records the read of their identity, if the caller shows it.
    """
    membership = actor.membership
    if membership is not None and is_privacy_officer(actor):
        person = Person.objects.filter(
            pk=person_id, network_id=membership.organisation.network_id
        ).first()
        if person is None:
            raise PersonNotFound("No person with that id")
        if audit_as:
            audit_reads(
                actor=actor,
                action=audit_as,
                purpose="oversight",
                summary="Opened for oversight",
                reads=[PersonRead(person.pk, [DataCategory.IDENTITY], "privacy officer oversight")],
            )
        return person
    return person_get(actor=actor, person_id=person_id, action=Action.EDIT, audit_as=audit_as)


def person_for_break_glass_id(*, actor: Actor, person_id: int) -> Person:
    """``person_for_break_glass`` by record id (the API): any person of the actor's network,
    "not found" otherwise."""
    membership = actor.require_membership()
    person = Person.objects.filter(
        pk=person_id, network_id=membership.organisation.network_id
    ).first()
    if person is None:
        raise PersonNotFound("No person with that id")
    return person
