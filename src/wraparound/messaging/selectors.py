"""Reads of conversations: the person's (portal) and an organisation's (staff), with how
many are unread on each side."""

from __future__ import annotations

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES, Membership
from wraparound.audit.services import PersonRead, audit_reads
from wraparound.consent.policy import Action, decide
from wraparound.directory.models import Organisation
from wraparound.messaging.models import CATEGORY, Thread, ThreadRead
from wraparound.messaging.services import organisations_working_with
from wraparound.portal.session import PortalContext


def _with_unread(threads: QuerySet[Thread], *, reader: Q, from_other_side: Q) -> QuerySet[Thread]:
    last_read = ThreadRead.objects.filter(reader, thread=OuterRef("pk")).values("last_read_at")[:1]
    return threads.annotate(last_read=Subquery(last_read)).annotate(
        unread=Count(
            "messages",
            filter=from_other_side
            & (Q(last_read__isnull=True) | Q(messages__sent_at__gt=F("last_read"))),
        )
    )


# --- Portal -----------------------------------------------------------------------------


def my_threads(*, context: PortalContext) -> QuerySet[Thread]:
    if context.person is None:
        return Thread.objects.none()
    return _with_unread(
        Thread.objects.filter(person=context.person).select_related("organisation"),
        reader=Q(account=context.account),
        from_other_side=Q(messages__author_user__isnull=False),
    ).order_by("-last_message_at", "-id")


def my_thread(*, context: PortalContext, thread_id: int) -> Thread:
    found = my_threads(context=context).filter(pk=thread_id).first()
    if found is None:
        raise Http404
    audit_reads(
        actor=context.actor,
        action="portal.messages_view",
        purpose="portal",
        summary="Read a conversation",
        reads=[PersonRead(found.person_id, [CATEGORY], "own record")],
    )
    return found


def who_i_can_message(*, context: PortalContext) -> list[Organisation]:
    return organisations_working_with(context.person) if context.person else []


def portal_badge_count(*, context: PortalContext) -> int:
    """Conversations with a message the person has not read."""
    return sum(1 for t in my_threads(context=context) if getattr(t, "unread", 0))


# --- Staff -------------------------------------------------------------------------------


def _membership(actor: Actor) -> Membership:
    membership = actor.require_membership()
    if membership.role not in CASEWORK_ROLES:
        raise Http404
    return membership


def organisation_threads(*, actor: Actor) -> QuerySet[Thread]:
    membership = _membership(actor)
    return _with_unread(
        Thread.objects.filter(organisation_id=membership.organisation_id).select_related("person"),
        reader=Q(user=membership.user),
        from_other_side=Q(messages__author_account__isnull=False),
    ).order_by("-last_message_at", "-id")


def staff_unread_count(*, actor: Actor) -> int:
    if actor.membership is None or actor.membership.role not in CASEWORK_ROLES:
        return 0
    return sum(1 for t in organisation_threads(actor=actor) if getattr(t, "unread", 0))


def staff_thread(*, actor: Actor, thread_id: int) -> Thread:
    found = organisation_threads(actor=actor).filter(pk=thread_id).first()
    if found is None:
        raise Http404
    decision = decide(actor=actor, person=found.person, category=CATEGORY, action=Action.VIEW)
    if not decision:
        raise Http404
    audit_reads(
        actor=actor,
        action="message.thread_view",
        purpose="care_coordination",
        summary="Read a conversation with the person",
        reads=[PersonRead(found.person_id, [CATEGORY], decision.reason, decision.break_glass)],
    )
    return found


def audit_inbox_rows(*, actor: Actor, threads: list[Thread]) -> None:
    """The inbox names people: one read per person shown."""
    audit_reads(
        actor=actor,
        action="message.inbox",
        purpose="care_coordination",
        summary="Messages inbox",
        reads=[
            PersonRead(t.person_id, ["identity"], "conversation with the organisation")
            for t in threads
        ],
    )
