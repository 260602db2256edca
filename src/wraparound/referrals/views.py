"""Referral pages: thin; the selectors decide what is shown and the services what changes.

Where a referral is made: ``new``. Where the receiving service accepts, rejects or holds it:
``transition`` (from the referral page or the inbox). Lists: ``inbox`` (the organisation's
incoming referrals by SLA urgency), ``sent`` (the worker's outbox), ``my_people`` (every
referral of the key worker's people).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wraparound.accounts.actor import actor_from_request
from wraparound.consent.categories import category_label
from wraparound.consent.policy import Action, decide
from wraparound.core.downloads import attachment_response
from wraparound.core.forms import posted
from wraparound.core.pagination import paginate
from wraparound.directory.needs import NeedCategory
from wraparound.people.selectors import person_get
from wraparound.plans.selectors import goal_for_referral
from wraparound.referrals import services
from wraparound.referrals.forms import ReferralForm, TransitionForm, reason_choices
from wraparound.referrals.models import (
    REASON_REQUIRED,
    ReferralStatus,
)
from wraparound.referrals.selectors import (
    audit_referral_list,
    bundle_coverage,
    key_worker_referrals,
    outbox,
    overdue_filter,
    referable_services,
    referral_attachment_get,
    referral_for_update,
    referral_get,
    referrals_for_person,
)
from wraparound.referrals.selectors import (
    inbox as inbox_of,
)

DRAFT_KEY = "referral-draft:{person_id}"
S = ReferralStatus


def _draft_key(person_id: int) -> str:
    return DRAFT_KEY.format(person_id=person_id)


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """Refer a person (``?person=<id>``, optionally ``&need=<code>&goal=<id>``)."""
    actor = actor_from_request(request)
    try:
        person_id = int(request.GET.get("person", ""))
    except ValueError:
        return render(request, "404.html", status=404)
    person = person_get(
        actor=actor, person_id=person_id, action=Action.EDIT, audit_as="referral.form"
    )
    need = request.GET.get("need", "")
    need = need if need in NeedCategory.values else ""
    goal = goal_for_referral(actor=actor, person=person, goal_id=request.GET.get("goal", ""))
    if goal is not None and not need:
        need = goal.need_category
    chosen = referable_services(actor=actor, need=need) or referable_services(actor=actor)
    key = _draft_key(person.pk)
    # Typed answers kept across a detour to record consent first.
    data = posted(request)
    initial: dict[str, object] = {"need": need, "urgency": "routine"}
    if service_id := request.GET.get("service"):
        initial["service"] = service_id
    if data is None and request.GET.get("resume") and key in request.session:
        # Shown again to check and send: a GET never sends anything.
        saved = request.session[key]
        initial |= {name: v if name == "bundle" else v[-1] for name, v in saved.items() if v}
    form = ReferralForm(data, services=chosen, initial=initial)
    consent_link = ""
    if data is not None and form.is_valid():
        service = form.cleaned_data["service"]
        try:
            referral = services.referral_create(
                actor=actor,
                person=person,
                service=service,
                need=form.cleaned_data["need"],
                urgency=form.cleaned_data["urgency"],
                reason=form.cleaned_data["reason"],
                notes=form.cleaned_data["notes"],
                bundle=form.cleaned_data["bundle"],
                goal=goal,
                send=request.POST.get("action") != "draft",
            )
        except services.ConsentRequired as error:
            form.add_service_errors(error)
            request.session[key] = {
                name: data.getlist(name) for name in data if name != "csrfmiddlewaretoken"
            }
            back = request.path + "?" + urlencode({**request.GET.dict(), "resume": "1"})
            consent_link = (
                reverse("people:consent_new", args=[person.pk])
                + "?"
                + urlencode(
                    {
                        "organisation": error.organisation_id,
                        "categories": ",".join(["identity", *error.categories]),
                        "next": back,
                    }
                )
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            request.session.pop(key, None)
            messages.success(
                request,
                f"Referral {referral.reference} "
                + ("saved as a draft" if referral.status == S.DRAFT else f"sent to {service.name}"),
            )
            return redirect("referrals:detail", referral_id=referral.pk)
    service_rows = [
        (
            s,
            [
                category_label(c)
                for c in bundle_coverage(person=person, organisation_id=s.organisation_id)
            ],
        )
        for s in chosen
    ]
    return render(
        request,
        "referrals/new.html",
        {
            "form": form,
            "person": person,
            "goal": goal,
            "need": need,
            "service_rows": service_rows,
            "consent_link": consent_link,
        },
    )


@login_required
def detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    view = referral_get(actor=actor, referral_id=referral_id)
    moves = [
        {
            "status": move,
            "label": S(move).label,
            "needs_reason": move in REASON_REQUIRED,
            "needs_outcome": move == S.COMPLETED,
            "reasons": reason_choices(move),
        }
        for move in view.moves
    ]
    return render(
        request,
        "referrals/detail.html",
        {
            "view": view,
            "referral": view.referral,
            "moves": moves,
            "overdue": view.referral.status == S.REQUESTED
            and view.referral.respond_by is not None
            and view.referral.respond_by < timezone.now(),
        },
    )


@login_required
@require_POST
def transition(request: HttpRequest, referral_id: int) -> HttpResponse:
    """One move (from the referral page or the inbox); errors go back to the referral page."""
    actor = actor_from_request(request)
    referral = referral_for_update(actor=actor, referral_id=referral_id)
    form = TransitionForm(request.POST)
    if form.is_valid():
        try:
            moved = services.referral_transition(
                actor=actor,
                referral=referral,
                to=form.cleaned_data["status"],
                reason_code=form.cleaned_data["reason_code"],
                reason=form.cleaned_data["reason"],
                outcome=form.cleaned_data["outcome"],
            )
        except services.IllegalTransition as error:
            allowed = ", ".join(S(s).label.lower() for s in error.allowed) or "none"
            messages.error(request, f"{error.messages[0]}. Allowed now: {allowed}.")
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, f"Referral {moved.reference} is now {moved.get_status_display().lower()}"
            )
            if request.POST.get("from") == "inbox":
                return redirect("referrals:inbox")
    else:
        messages.error(request, "Choose what to do with the referral")
    return redirect("referrals:detail", referral_id=referral.pk)


@login_required
@require_POST
def first_contact(request: HttpRequest, referral_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    referral = referral_for_update(actor=actor, referral_id=referral_id)
    try:
        services.referral_first_contact(actor=actor, referral=referral)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "First contact recorded")
    return redirect("referrals:detail", referral_id=referral.pk)


def _list_page(
    request: HttpRequest, queryset: object, *, template: str, action: str, **context: object
) -> HttpResponse:
    actor = actor_from_request(request)
    page = paginate(request, queryset)
    rows = list(page.object_list)
    audit_referral_list(actor=actor, referrals=rows, action=action)
    return render(
        request,
        template,
        {"page": page, "rows": rows, "now": timezone.now(), "statuses": S.choices, **context},
    )


def _status(request: HttpRequest) -> str:
    status = request.GET.get("status", "")
    return status if status in S.values else ""


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    status = _status(request)
    queryset = inbox_of(actor=actor, status=status or None)
    overdue = (
        queryset.filter(overdue_filter()).count() if not status or status == S.REQUESTED else 0
    )
    return _list_page(
        request,
        queryset,
        template="referrals/inbox.html",
        action="referral.inbox",
        status=status,
        overdue=overdue,
        inbox_actions=[
            (S.REJECTED, "Reject", reason_choices(S.REJECTED)),
            (S.ON_HOLD, "Put on hold", reason_choices(S.ON_HOLD)),
        ],
    )


@login_required
def sent(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    status = _status(request)
    mine = request.GET.get("who") != "organisation"
    return _list_page(
        request,
        outbox(actor=actor, status=status or None, mine=mine),
        template="referrals/sent.html",
        action="referral.outbox",
        status=status,
        mine=mine,
    )


@login_required
def my_people(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    status = _status(request)
    return _list_page(
        request,
        key_worker_referrals(actor=actor, status=status or None),
        template="referrals/my_people.html",
        action="referral.key_worker_list",
        status=status,
    )


@login_required
def for_person(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = person_get(actor=actor, person_id=person_id, audit_as=None)
    rows = referrals_for_person(actor=actor, person_id=person.pk)
    audit_referral_list(actor=actor, referrals=rows, action="referral.person_list")
    return render(
        request,
        "referrals/for_person.html",
        {
            "person": person,
            "rows": rows,
            "now": timezone.now(),
            "can_refer": bool(decide(actor=actor, person=person, action=Action.EDIT)),
        },
    )


@login_required
@require_POST
def attach(request: HttpRequest, referral_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    referral = referral_for_update(actor=actor, referral_id=referral_id)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Select a file to add")
    else:
        try:
            services.referral_attach(actor=actor, referral=referral, upload=upload)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, "Document added")
    return redirect("referrals:detail", referral_id=referral.pk)


@login_required
@require_GET
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Always a download, never shown in the browser, whatever the file holds."""
    document = referral_attachment_get(
        actor=actor_from_request(request), attachment_id=attachment_id
    )
    return attachment_response(
        document.file.open("rb"),
        filename=document.original_name,
        content_type=document.content_type,
    )
