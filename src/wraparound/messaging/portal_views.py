"""The person's conversations with the agencies working with them."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wraparound.core.forms import posted
from wraparound.messaging import selectors, services
from wraparound.messaging.forms import NewThreadForm, ReplyForm
from wraparound.portal.session import person_required


@person_required
def threads(request: HttpRequest) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    return render(
        request, "messaging/portal/list.html", {"threads": selectors.my_threads(context=portal)}
    )


@person_required
def thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    conversation = selectors.my_thread(context=portal, thread_id=thread_id)
    form = ReplyForm(posted(request))
    if form.is_valid():
        try:
            services.message_send_by_person(
                context=portal, thread=conversation, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            flash.success(request, _("Your message has been sent."))
            return redirect("portal_messaging:thread", thread_id=conversation.pk)
    services.thread_mark_read(thread=conversation, account=portal.account)
    return render(
        request,
        "messaging/portal/thread.html",
        {
            "thread": conversation,
            "messages_list": conversation.messages.order_by("sent_at", "id"),
            "form": form,
        },
    )


@person_required
def new(request: HttpRequest) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    allowed = selectors.who_i_can_message(context=portal)
    form = NewThreadForm(posted(request), organisations=[(o.pk, o.name) for o in allowed])
    if form.is_valid():
        try:
            started = services.thread_start_by_person(
                context=portal,
                organisation_id=form.cleaned_data["organisation"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            flash.success(request, _("Your message has been sent."))
            return redirect("portal_messaging:thread", thread_id=started.pk)
    return render(request, "messaging/portal/new.html", {"form": form, "allowed": allowed})
