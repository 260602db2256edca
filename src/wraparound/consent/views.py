"""Staff pages of the trust layer: a person's consents and legal bases, who has seen their
record, withholding their address, emergency (break-glass) access and its review.

Thin: parse, call a selector or service, render. A person the worker cannot see is a 404;
a role that cannot do something is a 403 with the reason.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wraparound.accounts.actor import Actor, actor_from_request
from wraparound.accounts.models import CASEWORK_ROLES, Role
from wraparound.audit.models import AuditEvent, Decision
from wraparound.consent import services
from wraparound.consent.categories import SENSITIVE_CATEGORIES, category_label
from wraparound.consent.forms import (
    AddressWithholdingForm,
    BreakGlassForm,
    ConsentForm,
    LegalBasisForm,
    ReviewForm,
    WithdrawConsentForm,
)
from wraparound.consent.models import (
    BreakGlass,
    Consent,
    Evidence,
    LegalBasis,
    Purpose,
    RecipientKind,
)
from wraparound.consent.policy import Action, decide, is_privacy_officer, require
from wraparound.consent.selectors import (
    access_log,
    break_glass_get,
    break_glass_queue,
    consent_get,
    consents_for_person,
    legal_bases_for_person,
    person_for_break_glass,
    person_for_trust_records,
)
from wraparound.core.forms import posted
from wraparound.core.pagination import paginate
from wraparound.people.models import Person
from wraparound.people.selectors import PersonNotFound, audit_list_reads, person_get
from wraparound.people.services import person_set_address_withholding

# --- helpers ---------------------------------------------------------------------------


def _person_to_change(actor: Actor, person_id: int, *, audit_as: str | None) -> Person:
    """The person, if the actor may see them (404 otherwise) and change their record (403
    with the policy's reason otherwise: they can see the person, so nothing is revealed)."""
    person = person_get(actor=actor, person_id=person_id, audit_as=audit_as)
    require(decide(actor=actor, person=person, action=Action.EDIT))
    return person


def _person_for_oversight(actor: Actor, person_id: int) -> Person:
    """The person whose access log is asked for: anyone in the network for a privacy
    officer; otherwise as ``_person_to_change``. The access log audits the read itself."""
    if is_privacy_officer(actor):
        return person_for_trust_records(actor=actor, person_id=person_id)
    return _person_to_change(actor, person_id, audit_as=None)


def _require_manager(actor: Actor) -> None:
    if actor.require_membership().role != Role.MANAGER:
        raise PermissionDenied("Only a manager can record or end a legal basis for sharing.")


def _labels(codes: list[str]) -> list[str]:
    return [category_label(c).capitalize() for c in codes]


# --- the record page's "Sharing and consent" section -----------------------------------


@dataclass(frozen=True)
class ConsentRow:
    consent: Consent
    status: str
    standard: list[str]
    sensitive: list[str]

    @property
    def is_active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class LegalBasisRow:
    basis: LegalBasis
    status: str
    categories: list[str]

    @property
    def is_active(self) -> bool:
        return self.status == "active"


def _basis_status(basis: LegalBasis, now: datetime) -> str:
    if basis.ended_at is not None:
        return "ended"
    if basis.valid_from > now:
        return "not yet in force"
    if basis.valid_until <= now:
        return "expired"
    return "active"


@dataclass(frozen=True)
class Sharing:
    consents: list[ConsentRow]
    legal_bases: list[LegalBasisRow]
    can_record: bool
    can_record_legal_basis: bool


def sharing_for_record(*, actor: Actor, person: Person, can_edit: bool) -> Sharing | None:
    """What the record page shows under "Sharing and consent": for organisations working with
    the person (who record consent) and privacy officers; None for everyone else."""
    if not (can_edit or is_privacy_officer(actor)):
        return None
    now = timezone.now()
    consents = [
        ConsentRow(
            consent=c,
            status=c.status(now),
            standard=_labels([x for x in c.category_codes if x not in SENSITIVE_CATEGORIES]),
            sensitive=_labels([x for x in c.category_codes if x in SENSITIVE_CATEGORIES]),
        )
        for c in consents_for_person(actor=actor, person=person)
    ]
    bases = [
        LegalBasisRow(basis=b, status=_basis_status(b, now), categories=_labels(b.categories))
        for b in legal_bases_for_person(actor=actor, person=person)
    ]
    return Sharing(
        consents=consents,
        legal_bases=bases,
        can_record=can_edit,
        can_record_legal_basis=can_edit and actor.role == Role.MANAGER,
    )


# --- consents ---------------------------------------------------------------------------


def _after_consent_recorded(consent: Consent) -> str:
    """Where to go next: the upload page for a signed form, the sharing section otherwise."""
    if consent.evidence == Evidence.SIGNED_FORM:
        return reverse("consent_evidence:upload", args=[consent.pk])
    return reverse("people:record", args=[consent.person_id]) + "#sharing"


@login_required
@require_http_methods(["GET", "POST"])
def consent_new(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = _person_to_change(actor, person_id, audit_as="consent.record_form")
    initial: dict[str, object] = {"valid_from": timezone.localdate()}
    # Arriving from another form that needs a consent first (a referral): pre-filled, and
    # back there afterwards with what was typed kept.
    if organisation := request.GET.get("organisation", ""):
        initial |= {
            "recipient_kind": RecipientKind.ORGANISATION,
            "recipient_organisation": organisation,
        }
    if categories := request.GET.get("categories", ""):
        initial["categories"] = categories.split(",")
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    form = ConsentForm(posted(request), network=person.network, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.consent_record(
                actor=actor, person=person, **form.service_arguments()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Consent recorded: shared with {consent.recipient_label}")
            if back and consent.evidence != Evidence.SIGNED_FORM:
                return redirect(back)
            return redirect(_after_consent_recorded(consent))
    return render(
        request, "consent/consent_form.html", {"form": form, "person": person, "back": back}
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: HttpRequest, person_id: int, consent_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = _person_to_change(actor, person_id, audit_as="consent.withdraw_form")
    consent = consent_get(actor=actor, consent_id=consent_id)
    if consent.person_id != person.pk:
        raise PersonNotFound("No consent with that id")
    form = WithdrawConsentForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(
                actor=actor, consent=consent, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Consent to share with {consent.recipient_label} withdrawn")
            return redirect(reverse("people:record", args=[person.pk]) + "#sharing")
    categories = _labels(consent.category_codes)
    return render(
        request,
        "consent/withdraw.html",
        {"form": form, "person": person, "consent": consent, "categories": categories},
    )


# --- legal bases ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def legal_basis_new(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = _person_to_change(actor, person_id, audit_as="legal_basis.record_form")
    _require_manager(actor)
    form = LegalBasisForm(posted(request), network=person.network)
    if request.method == "POST" and form.is_valid():
        try:
            basis = services.legal_basis_record(
                actor=actor, person=person, **form.service_arguments()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                f"{basis.get_kind_display()} recorded: shared with "
                f"{basis.recipient_organisation.name}",
            )
            return redirect(reverse("people:record", args=[person.pk]) + "#sharing")
    return render(request, "consent/legal_basis_form.html", {"form": form, "person": person})


@login_required
@require_POST
def legal_basis_end(request: HttpRequest, person_id: int, basis_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = _person_to_change(actor, person_id, audit_as=None)
    _require_manager(actor)
    basis = legal_bases_for_person(actor=actor, person=person).filter(pk=basis_id).first()
    if basis is None:
        raise PersonNotFound("No legal basis with that id")
    services.legal_basis_end(actor=actor, basis=basis)
    messages.success(
        request, f"Sharing with {basis.recipient_organisation.name} without consent ended"
    )
    return redirect(reverse("people:record", args=[person.pk]) + "#sharing")


# --- who has seen this record -----------------------------------------------------------

ACCESS_FILTERS: dict[str, tuple[str, dict[str, Any]]] = {
    "denied": ("Refused only", {"decision": Decision.DENIED}),
    "break_glass": ("Emergency access only", {"break_glass": True}),
}


def _purpose_label(code: str) -> str:
    if code in Purpose.values:
        return Purpose(code).label
    return code.replace("_", " ").capitalize()


def _role_label(code: str) -> str:
    return Role(code).label if code in Role.values else code


@dataclass(frozen=True)
class AccessRow:
    event: AuditEvent
    role: str
    purpose: str
    categories: list[str]
    withheld: list[str]

    @classmethod
    def of(cls, event: AuditEvent) -> AccessRow:
        withheld = event.changes.get("withheld", []) if isinstance(event.changes, dict) else []
        return cls(
            event=event,
            role=_role_label(event.role),
            purpose=_purpose_label(event.purpose),
            categories=_labels(list(event.categories)),
            withheld=_labels(list(withheld)),
        )


@login_required
@require_GET
def access_log_page(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = _person_for_oversight(actor, person_id)
    events: QuerySet[AuditEvent] = access_log(actor=actor, person=person)
    shown = request.GET.get("show", "")
    if shown in ACCESS_FILTERS:
        events = events.filter(**ACCESS_FILTERS[shown][1])
    else:
        shown = ""
    page = paginate(request, events)
    return render(
        request,
        "consent/access_log.html",
        {
            "person": person,
            "page": page,
            "rows": [AccessRow.of(e) for e in page],
            "shown": shown,
            "filters": [("", "Everything")] + [(k, v[0]) for k, v in ACCESS_FILTERS.items()],
        },
    )


def _csv_cell(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@login_required
@require_GET
def access_log_csv(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = _person_for_oversight(actor, person_id)
    events = access_log(actor=actor, person=person, export=True)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="access-log-{person.reference}.csv"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    writer = csv.writer(response)
    writer.writerow(
        [
            "time",
            "who",
            "organisation",
            "role",
            "via",
            "action",
            "summary",
            "purpose",
            "categories",
            "withheld",
            "decision",
            "reason",
            "break_glass",
        ]
    )
    for event in events.iterator(chunk_size=2000):
        row = AccessRow.of(event)
        writer.writerow(
            _csv_cell(v)
            for v in (
                timezone.localtime(event.occurred_at).isoformat(timespec="seconds"),
                event.actor_label,
                event.organisation_name,
                row.role,
                event.via,
                event.action,
                event.summary,
                row.purpose,
                "; ".join(row.categories),
                "; ".join(row.withheld),
                event.decision,
                event.decision_reason,
                "yes" if event.break_glass else "no",
            )
        )
    return response


# --- address withholding ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def address_withholding(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = _person_to_change(actor, person_id, audit_as="person.address_form")
    initial = {
        "withheld": person.address_withheld,
        "visible_to": [str(pk) for pk in person.address_visible_to.values_list("pk", flat=True)],
    }
    form = AddressWithholdingForm(posted(request), network=person.network, initial=initial)
    if request.method == "POST" and form.is_valid():
        withheld = form.cleaned_data["withheld"]
        try:
            person_set_address_withholding(
                actor=actor,
                person=person,
                withheld=withheld,
                visible_to=form.chosen_workers() if withheld else [],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                "The address is now withheld for safety"
                if withheld
                else "The address is no longer withheld",
            )
            return redirect("people:record", person_id=person.pk)
    return render(request, "consent/address_form.html", {"form": form, "person": person})


# --- emergency access -------------------------------------------------------------------


def _require_casework(actor: Actor) -> None:
    membership = actor.require_membership()
    if membership.role not in CASEWORK_ROLES:
        raise PermissionDenied(
            f"The {membership.get_role_display()} role cannot use emergency access."
        )


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    _require_casework(actor)
    network = actor.require_membership().organisation.network
    form = BreakGlassForm(posted(request))
    if request.method == "POST":
        valid = form.is_valid()  # checks every field, so all problems show at once
        person = None
        if form.cleaned_data.get("reference"):
            try:
                person = person_for_break_glass(
                    actor=actor, reference=form.cleaned_data["reference"]
                )
            except PersonNotFound:
                form.add_error("reference", "No person with that record number or identifier")
        if valid and person is not None:
            data = form.cleaned_data
            try:
                services.break_glass_start(
                    actor=actor,
                    person=person,
                    reason=data["reason"],
                    justification=data["justification"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return redirect("people:record", person_id=person.pk)
    return render(
        request,
        "consent/break_glass.html",
        {"form": form, "minutes": network.break_glass_minutes},
    )


def _require_privacy_officer(actor: Actor) -> None:
    if not is_privacy_officer(actor):
        raise PermissionDenied("Only a privacy officer reviews emergency access.")


def _reviews_page(
    request: HttpRequest, actor: Actor, bound: tuple[BreakGlass, ReviewForm] | None = None
) -> HttpResponse:
    """The queue; ``bound`` is a review just refused, shown with its errors (at the top if
    it is not on this page of the queue any more)."""
    show_all = request.GET.get("show") == "all"
    page = paginate(request, break_glass_queue(actor=actor, include_reviewed=show_all))
    accesses: list[BreakGlass] = list(page)
    if bound is not None and bound[0].pk not in {a.pk for a in accesses}:
        accesses.insert(0, bound[0])
    audit_list_reads(
        actor=actor, people=[a.person for a in accesses], action="break_glass.review_queue"
    )
    forms = {bound[0].pk: bound[1]} if bound is not None else {}
    items = [
        (access, forms.get(access.pk) or ReviewForm(prefix=f"review-{access.pk}"))
        for access in accesses
    ]
    return render(
        request,
        "consent/reviews.html",
        {
            "page": page,
            "items": items,
            "show_all": show_all,
            "bound_form": bound[1] if bound is not None else None,
            "now": timezone.now(),
        },
    )


@login_required
@require_GET
def reviews(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    _require_privacy_officer(actor)
    return _reviews_page(request, actor)


@login_required
@require_POST
def review(request: HttpRequest, access_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    _require_privacy_officer(actor)
    access = break_glass_get(actor=actor, access_id=access_id)
    form = ReviewForm(request.POST, prefix=f"review-{access.pk}")
    if form.is_valid():
        try:
            services.break_glass_review(
                actor=actor,
                access=access,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                f"Emergency access by {access.user.name} reviewed: "
                f"{access.get_review_display().lower()}",
            )
            query = request.GET.urlencode()
            return redirect(reverse("consent:reviews") + (f"?{query}" if query else ""))
    return _reviews_page(request, actor, (access, form))
