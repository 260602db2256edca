"""Applying once for many programmes: drafts saved as the person goes, one application
per programme on submission (all or none), status moves with their history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES
from wraparound.applications.models import (
    TRANSITIONS,
    Application,
    ApplicationDraft,
    ApplicationStatus,
    ApplicationTransition,
    DeclineReason,
)
from wraparound.audit.services import audit_record
from wraparound.consent.categories import DataCategory
from wraparound.consent.policy import portal_subject_access, require
from wraparound.directory.models import Program, Service
from wraparound.eligibility.selectors import program_ref, service_ref
from wraparound.people.models import Person
from wraparound.portal.models import CitizenAccount

CATEGORIES = [DataCategory.FINANCES, DataCategory.PLANS_REFERRALS]
MAX_PROGRAMMES = 20


def resolve_programmes(network_id: int, refs: Sequence[str]) -> list[Service | Program]:
    """Services and programmes of the network named by their references, in the given
    order; an unknown reference is an error (a tampered or stale link)."""
    out: list[Service | Program] = []
    for ref in dict.fromkeys(refs):  # once each, order kept
        kind, _sep, number = ref.partition("-")
        found: Service | Program | None = None
        if number.isdigit():
            model = Service if kind == "S" else Program if kind == "PG" else None
            if model is not None:
                found = (
                    model.objects.select_related("organisation")
                    .filter(pk=int(number), organisation__network_id=network_id)
                    .first()
                )
        if found is None:
            raise ValidationError(
                {
                    "programmes": _(
                        "We could not find one of the programmes you chose. Choose again."
                    )
                }
            )
        out.append(found)
    if not out:
        raise ValidationError({"programmes": _("Choose at least one service or programme")})
    if len(out) > MAX_PROGRAMMES:
        raise ValidationError(
            {"programmes": _("Choose %(n)s or fewer at once") % {"n": MAX_PROGRAMMES}}
        )
    return out


def ref_of(target: Service | Program) -> str:
    return service_ref(target.pk) if isinstance(target, Service) else program_ref(target.pk)


@transaction.atomic
def draft_start(
    *, account: CitizenAccount, person: Person | None, refs: Sequence[str], prefill: dict[str, Any]
) -> ApplicationDraft:
    if person is not None:
        require(portal_subject_access(account_id=account.pk, person_id=person.pk))
    chosen = resolve_programmes(account.network_id, refs)
    draft = ApplicationDraft(account=account, person=person, programmes=[ref_of(t) for t in chosen])
    draft.answers = prefill  # JSON, encrypted by the field
    draft.save()
    return draft


@transaction.atomic
def draft_save(*, draft: ApplicationDraft, answers: dict[str, Any]) -> ApplicationDraft:
    merged = dict(draft.answers)
    merged.update(answers)
    draft.answers = merged
    draft.updated_at = timezone.now()
    draft.save(update_fields=["answers", "updated_at"])
    return draft


def _contact_errors(contact: dict[str, Any]) -> list[str]:
    missing = []
    if not str(contact.get("given_name", "")).strip():
        missing.append(_("Enter your first name"))
    if not str(contact.get("family_name", "")).strip():
        missing.append(_("Enter your last name"))
    if not contact.get("date_of_birth"):
        missing.append(_("Enter your date of birth"))
    return missing


def application_submit(*, actor: Actor, draft: ApplicationDraft) -> list[Application]:
    """One application per chosen programme, in one transaction: all or none."""
    account = draft.account
    person = draft.person
    if person is not None:
        require(portal_subject_access(account_id=account.pk, person_id=person.pk))
    missing = _contact_errors(draft.answers.get("contact", {}))
    if missing:
        raise ValidationError({"contact": missing})
    chosen = resolve_programmes(account.network_id, draft.programmes)
    on_behalf = person is not None and account.person_id != person.pk
    made: list[Application] = []
    with transaction.atomic():
        for target in chosen:
            application = Application.objects.create(
                network_id=account.network_id,
                account=account,
                person=person,
                on_behalf=on_behalf,
                organisation=target.organisation,
                service=target if isinstance(target, Service) else None,
                program=target if isinstance(target, Program) else None,
                programme_ref=ref_of(target),
                programme_name=target.name,
                answers=draft.answers,
            )
            ApplicationTransition.objects.create(
                application=application, to_status=ApplicationStatus.SUBMITTED, by_account=account
            )
            audit_record(
                actor=actor,
                action="application.submit",
                person_id=person.pk if person else None,
                target=application,
                summary=f"Applied in the portal for {target.name} ({target.organisation.name})",
                categories=CATEGORIES,
            )
            made.append(application)
        draft.delete()
        _tell_the_person(account, made[0], many=len(made))
    return made


def _tell_the_person(account: CitizenAccount, application: Application, *, many: int = 1) -> None:
    """An e-mail that something changed, never what: the details are behind sign-in."""
    language = account.language or "en"

    def send() -> None:
        with translation.override(language):
            send_mail(
                _("Your Wraparound application has been updated"),
                _("There is news about your application. Sign in to see it: %(url)s")
                % {"url": settings.SITE_URL + reverse("portal_applications:list")},
                None,
                [account.email],
            )

    transaction.on_commit(send)


def _require_agency_worker(actor: Actor, application: Application) -> None:
    membership = actor.require_membership()
    if (
        membership.organisation_id != application.organisation_id
        or membership.role not in CASEWORK_ROLES
    ):
        raise PermissionDenied("Only caseworkers of the organisation applied to can do this.")


def application_move(
    *,
    actor: Actor,
    application: Application,
    to: str,
    note: str = "",
    decline_reason: str = "",
    account: CitizenAccount | None = None,
) -> Application:
    """Move an application. The agency reviews, asks for more, approves or declines (with
    a reason); the person (``account``) may withdraw while it is open."""
    allowed = TRANSITIONS.get(application.status, {})
    side = allowed.get(to)
    if side is None:
        raise ValidationError(
            {
                "to": _("An application that is %(status)s cannot become %(to)s")
                % {
                    "status": ApplicationStatus(application.status).label.lower(),
                    "to": ApplicationStatus(to).label.lower()
                    if to in ApplicationStatus.values
                    else to,
                }
            }
        )
    if side == "person":
        if account is None or (
            application.person_id is None and application.account_id != account.pk
        ):
            raise PermissionDenied("Only the person can withdraw their application.")
        if application.person_id is not None:
            require(portal_subject_access(account_id=account.pk, person_id=application.person_id))
    else:
        _require_agency_worker(actor, application)
    if to == ApplicationStatus.DECLINED and decline_reason not in DeclineReason.values:
        raise ValidationError({"decline_reason": _("Choose why it is declined")})
    if to in {ApplicationStatus.DECLINED, ApplicationStatus.MORE_INFORMATION} and not note.strip():
        raise ValidationError({"note": _("Tell the person what this means for them")})
    if len(note) > 2000:
        raise ValidationError({"note": _("The note must be 2,000 characters or fewer")})
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status != application.status:
            raise ValidationError({"to": _("Someone else changed this application. Look again.")})
        ApplicationTransition.objects.create(
            application=locked,
            from_status=locked.status,
            to_status=to,
            by_user=actor.user,
            by_account=account if side == "person" else None,
            note=note.strip(),
        )
        locked.status = to
        locked.status_note = note.strip()
        locked.decline_reason = decline_reason if to == ApplicationStatus.DECLINED else ""
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "status_note", "decline_reason", "updated_at"])
        audit_record(
            actor=actor,
            action=f"application.{to}",
            person_id=locked.person_id,
            target=locked,
            summary=f"Application for {locked.programme_name}: {to.replace('_', ' ')}",
            categories=CATEGORIES,
        )
        if side == "agency":
            _tell_the_person(locked.account, locked)
    return locked


@transaction.atomic
def application_link_person(
    *, actor: Actor, application: Application, person: Person
) -> Application:
    """The agency links an application made without a linked record to the person (whom
    they found with the person search and may see)."""
    from wraparound.consent.policy import Action, decide

    _require_agency_worker(actor, application)
    require(decide(actor=actor, person=person, category=DataCategory.IDENTITY, action=Action.EDIT))
    if application.person_id is not None:
        raise ValidationError({"person": "This application is already linked to a person."})
    dob = application.answers.get("contact", {}).get("date_of_birth")
    if dob and date.fromisoformat(dob) != person.date_of_birth:
        raise ValidationError({"person": "The date of birth on the application does not match."})
    application.person = person
    application.save(update_fields=["person"])
    audit_record(
        actor=actor,
        action="application.link_person",
        person_id=person.pk,
        target=application,
        summary=f"Application for {application.programme_name} linked to the person",
        categories=CATEGORIES,
    )
    return application
