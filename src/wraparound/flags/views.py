"""Flag pages: a person's flags, the managers' list, one flag with its one-click acts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from wraparound.accounts.actor import actor_from_request
from wraparound.core.pagination import paginate
from wraparound.flags import services
from wraparound.flags.models import FlagKind, Resolution
from wraparound.flags.selectors import flag_get, flags_for_person, network_flags
from wraparound.people.selectors import person_get


@login_required
def person(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    subject = person_get(actor=actor, person_id=person_id, audit_as="flag.person_list")
    flags = flags_for_person(actor=actor, person=subject, include_resolved=True)
    return render(request, "flags/person.html", {"person": subject, "flags": flags})


@login_required
def network_list(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in FlagKind.values else ""
    show = request.GET.get("show", "open")
    page = paginate(request, network_flags(actor=actor, kind=kind, show=show))
    return render(
        request,
        "flags/list.html",
        {"page": page, "kind": kind, "show": show, "kinds": FlagKind.choices},
    )


@login_required
def detail(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = flag_get(actor=actor_from_request(request), flag_id=flag_id)
    resolutions = [(c, label) for c, label in Resolution.choices if c != Resolution.RESOLVED_ITSELF]
    return render(request, "flags/detail.html", {"flag": flag, "resolutions": resolutions})


@login_required
@require_POST
def message(request: HttpRequest, flag_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    flag = flag_get(actor=actor, flag_id=flag_id)
    try:
        told = services.flag_message_other_agencies(actor=actor, flag=flag)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"{told} people at the other organisations were told")
    return redirect("flags:detail", flag_id=flag.pk)


@login_required
@require_POST
def resolve(request: HttpRequest, flag_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    flag = flag_get(actor=actor, flag_id=flag_id)
    try:
        services.flag_resolve(
            actor=actor,
            flag=flag,
            resolution=request.POST.get("resolution", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, "Flag resolved")
    return redirect("flags:detail", flag_id=flag.pk)
