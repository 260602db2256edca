"""Calendar pages: a person's calendar with booking, the worker's week, and the worker's
iCalendar feed (a secret link, no session; no names in it)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from icalendar import Calendar, Event

from wraparound.accounts.actor import actor_from_request
from wraparound.appointments import services
from wraparound.appointments.forms import BookingForm
from wraparound.appointments.selectors import feed_appointments, person_calendar, worker_calendar
from wraparound.core.forms import posted
from wraparound.people.selectors import person_get


@login_required
@require_http_methods(["GET", "POST"])
def person(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    subject = person_get(actor=actor, person_id=person_id, audit_as=None)
    form = BookingForm(posted(request))
    conflicts: list[str] = []
    if request.method == "POST" and form.is_valid():
        starts_at, ends_at = form.moments()
        try:
            services.appointment_book(
                actor=actor,
                person=subject,
                starts_at=starts_at,
                ends_at=ends_at,
                place=form.cleaned_data["place"],
                place_detail=form.cleaned_data["place_detail"],
                purpose=form.cleaned_data["purpose"],
                staff=actor.user,
                acknowledge=form.cleaned_data["acknowledge"],
            )
        except services.ConflictsFound as error:
            conflicts = [c.message for c in error.conflicts]
            form.add_error("acknowledge", "Check the conflicts, then tick to book anyway")
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Appointment booked")
            return redirect("appointments:person", person_id=subject.pk)
    rows = person_calendar(actor=actor, person=subject)
    return render(
        request,
        "appointments/person.html",
        {
            "person": subject,
            "rows": rows,
            "form": form,
            "conflicts": conflicts,
            "now": timezone.now(),
        },
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    try:
        start = dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        start = timezone.localdate()
    rows = worker_calendar(actor=actor, start=start, days=7)
    token = request.session.pop("calendar-feed-token", "")
    feed_url = request.build_absolute_uri(f"/appointments/feed/{token}.ics") if token else ""
    return render(
        request,
        "appointments/mine.html",
        {
            "rows": rows,
            "start": start,
            "previous": start - dt.timedelta(days=7),
            "next": start + dt.timedelta(days=7),
            "feed_url": feed_url,
        },
    )


@login_required
@require_POST
def rotate_feed(request: HttpRequest) -> HttpResponse:
    token = services.calendar_feed_token_rotate(actor=actor_from_request(request))
    request.session["calendar-feed-token"] = token
    return redirect("appointments:mine")


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    user = services.calendar_feed_user(token)
    if user is None:
        raise Http404("No calendar here")
    calendar = Calendar()
    calendar.add("prodid", "-//Wraparound//appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Wraparound appointments")
    for appointment in feed_appointments(user):
        event = Event()
        event.add("uid", f"appointment-{appointment.pk}@wraparound")
        event.add("dtstart", appointment.starts_at)
        event.add("dtend", appointment.ends_at)
        event.add("dtstamp", appointment.created_at)
        # A reference, never a name: calendars sync to phones and other services.
        reference = (
            appointment.referral.reference if appointment.referral else f"A-{appointment.pk:06d}"
        )
        event.add("summary", f"{appointment.get_place_display()} — {reference}")
        event.add(
            "location",
            appointment.location.name if appointment.location else appointment.get_place_display(),
        )
        event.add(
            "description", f"Booked with {appointment.organisation.name}. Details in Wraparound."
        )
        calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response
