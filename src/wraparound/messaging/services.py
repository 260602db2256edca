"""Writing messages: the person to an agency working with them, a worker of that agency
back. E-mails say there is a message, never what it says."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES, User
from wraparound.appointments.models import Appointment
from wraparound.audit.services import audit_record
from wraparound.cases.models import Case, CaseStatus
from wraparound.consent.policy import Action, decide, require
from wraparound.directory.models import Organisation
from wraparound.enrolments.models import Enrolment
from wraparound.messaging.models import CATEGORY, Message, Thread, ThreadRead
from wraparound.notifications.services import notification_send
from wraparound.people.models import Person
from wraparound.portal.models import CitizenAccount
from wraparound.portal.session import PortalContext
from wraparound.referrals.models import Referral

MAX_BODY = 5000
MAX_SUBJECT = 150


def organisations_working_with(person: Person) -> list[Organisation]:
    """Whom the person may message: organisations with a case, referral, enrolment or
    appointment for them."""
    ids = set(
        Case.objects.filter(person=person)
        .exclude(status=CaseStatus.CLOSED)
        .values_list("lead_organisation_id", flat=True)
    )
    ids |= set(
        Referral.objects.filter(person=person).values_list("receiving_organisation_id", flat=True)
    )
    ids |= set(
        Referral.objects.filter(person=person).values_list("referring_organisation_id", flat=True)
    )
    ids |= set(Enrolment.objects.filter(person=person).values_list("organisation_id", flat=True))
    ids |= set(Appointment.objects.filter(person=person).values_list("organisation_id", flat=True))
    return list(
        Organisation.objects.filter(pk__in=ids, network_id=person.network_id).order_by("name")
    )


def _check_body(body: str) -> str:
    text = body.strip()
    if not text:
        raise ValidationError({"body": _("Write your message")})
    if len(text) > MAX_BODY:
        raise ValidationError(
            {"body": _("Your message must be %(n)s characters or fewer") % {"n": f"{MAX_BODY:,}"}}
        )
    return text


def _workers_to_tell(thread: Thread) -> list[User | None]:
    """The workers of the organisation who wrote in the thread, else the key worker of a
    case it leads, else nobody (the inbox still shows it)."""
    writers = list(
        User.objects.filter(
            pk__in=thread.messages.filter(author_user__isnull=False).values("author_user_id")
        )
    )
    if writers:
        return list(writers)
    case = Case.objects.filter(
        person=thread.person, lead_organisation=thread.organisation, key_worker__isnull=False
    ).first()
    return [case.key_worker] if case else []


def _tell_workers(thread: Thread) -> None:
    notification_send(
        recipients=_workers_to_tell(thread),
        subject="New message from a person you support",
        kind="portal_message",
        url=f"/messages/{thread.pk}/",
    )


def _tell_person(thread: Thread) -> None:
    account = CitizenAccount.objects.filter(person=thread.person, is_active=True).first()
    if account is None:
        return
    language = account.language or "en"

    def send() -> None:
        with translation.override(language):
            send_mail(
                _("You have a new message"),
                _("You have a new message in Wraparound. Sign in to read it: %(url)s")
                % {"url": f"{settings.SITE_URL}/portal/messages/"},
                None,
                [account.email],
            )

    transaction.on_commit(send)


def _mark(
    thread: Thread, *, user: User | None = None, account: CitizenAccount | None = None
) -> None:
    ThreadRead.objects.update_or_create(
        thread=thread, user=user, account=account, defaults={"last_read_at": timezone.now()}
    )


def thread_start_by_person(
    *, context: PortalContext, organisation_id: int | None, subject: str, body: str
) -> Thread:
    person = context.person
    if person is None:
        raise PermissionDenied("Link the account to a record first.")
    allowed = {o.pk: o for o in organisations_working_with(person)}
    if organisation_id not in allowed:
        raise ValidationError(
            {"organisation": _("You can only message an organisation that is working with you")}
        )
    subject = subject.strip()
    if not subject:
        raise ValidationError({"subject": _("Say what your message is about")})
    if len(subject) > MAX_SUBJECT:
        raise ValidationError({"subject": _("The subject must be 150 characters or fewer")})
    text = _check_body(body)
    with transaction.atomic():
        thread = Thread.objects.create(
            person=person, organisation=allowed[organisation_id], subject=subject
        )
        _write(thread, text, context=context)
    return thread


def _write(thread: Thread, text: str, *, context: PortalContext) -> Message:
    message = Message.objects.create(
        thread=thread,
        body=text,
        author_account=context.account,
        on_behalf=context.acting_for_someone,
    )
    Thread.objects.filter(pk=thread.pk).update(last_message_at=message.sent_at)
    _mark(thread, account=context.account)
    audit_record(
        actor=context.actor,
        action="message.send",
        person_id=thread.person_id,
        target=message,
        summary=f"Message to {thread.organisation.name} from the portal",
        categories=[CATEGORY],
    )
    _tell_workers(thread)
    return message


def message_send_by_person(*, context: PortalContext, thread: Thread, body: str) -> Message:
    if context.person is None or thread.person_id != context.person.pk:
        raise PermissionDenied("Not this person's conversation.")
    text = _check_body(body)
    with transaction.atomic():
        return _write(thread, text, context=context)


def _require_worker(actor: Actor, thread: Thread) -> User:
    membership = actor.require_membership()
    if (
        membership.organisation_id != thread.organisation_id
        or membership.role not in CASEWORK_ROLES
    ):
        raise PermissionDenied(
            "Only caseworkers of the organisation in the conversation can write."
        )
    require(decide(actor=actor, person=thread.person, category=CATEGORY, action=Action.VIEW))
    return membership.user


def message_send_by_staff(*, actor: Actor, thread: Thread, body: str) -> Message:
    user = _require_worker(actor, thread)
    text = _check_body(body)
    with transaction.atomic():
        message = Message.objects.create(thread=thread, body=text, author_user=user)
        Thread.objects.filter(pk=thread.pk).update(last_message_at=message.sent_at)
        _mark(thread, user=user)
        audit_record(
            actor=actor,
            action="message.send",
            person_id=thread.person_id,
            target=message,
            summary="Message to the person in the portal",
            categories=[CATEGORY],
        )
        _tell_person(thread)
    return message


def thread_start_by_staff(*, actor: Actor, person: Person, subject: str, body: str) -> Thread:
    membership = actor.require_membership()
    require(decide(actor=actor, person=person, category=CATEGORY, action=Action.VIEW))
    if not subject.strip():
        raise ValidationError({"subject": "Say what the message is about"})
    with transaction.atomic():
        thread = Thread.objects.create(
            person=person,
            organisation=membership.organisation,
            subject=subject.strip()[:MAX_SUBJECT],
        )
        message_send_by_staff(actor=actor, thread=thread, body=body)
    return thread


def thread_mark_read(
    *, thread: Thread, user: User | None = None, account: CitizenAccount | None = None
) -> None:
    _mark(thread, user=user, account=account)
