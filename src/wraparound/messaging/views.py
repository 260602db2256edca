"""Staff side: the organisation's conversations with people, and writing to someone."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from wraparound.accounts.actor import actor_from_request
from wraparound.core.forms import posted
from wraparound.messaging import selectors, services
from wraparound.messaging.forms import ReplyForm
from wraparound.people.selectors import PersonNotFound, person_get


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    page = Paginator(selectors.organisation_threads(actor=actor), 50).get_page(
        request.GET.get("page")
    )
    selectors.audit_inbox_rows(actor=actor, threads=list(page))
    return render(request, "messaging/inbox.html", {"page": page})


@login_required
def thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    conversation = selectors.staff_thread(actor=actor, thread_id=thread_id)
    form = ReplyForm(posted(request))
    if form.is_valid():
        try:
            services.message_send_by_staff(
                actor=actor, thread=conversation, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            flash.success(request, "Sent. The person gets an e-mail saying there is a message.")
            return redirect("messaging:thread", thread_id=conversation.pk)
    services.thread_mark_read(thread=conversation, user=request.user)  # type: ignore[arg-type]
    return render(
        request,
        "messaging/thread.html",
        {
            "thread": conversation,
            "messages_list": conversation.messages.select_related("author_user").order_by(
                "sent_at", "id"
            ),
            "form": form,
        },
    )


@login_required
def new(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    try:
        person = person_get(actor=actor, person_id=person_id, audit_as=None)
    except PersonNotFound as exc:
        raise Http404 from exc
    error = ""
    if request.method == "POST":
        try:
            started = services.thread_start_by_staff(
                actor=actor,
                person=person,
                subject=request.POST.get("subject", ""),
                body=request.POST.get("body", ""),
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("messaging:thread", thread_id=started.pk)
    return render(
        request, "messaging/new.html", {"person": person, "error": error, "data": request.POST}
    )
