"""Writes to flags: raise and auto-resolve from detection, resolve by a worker."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES
from wraparound.audit.services import audit_record
from wraparound.consent.categories import DataCategory
from wraparound.consent.policy import decide
from wraparound.flags.detect import detect, thresholds_for
from wraparound.flags.models import Flag, Resolution
from wraparound.people.models import Person

CATEGORY = DataCategory.PLANS_REFERRALS


def flags_refresh(
    *, actor: Actor, people_ids: Iterable[int], now: dt.datetime | None = None
) -> tuple[int, int]:
    """Raise the flags these people now meet and resolve ("no longer applies") their open
    flags that no longer hold. Idempotent. Returns (raised, resolved). Each raised flag is
    audited on its person: it is a new fact on their record."""
    ids = sorted(set(people_ids))
    now = now or timezone.now()
    by_network: dict[int, list[int]] = defaultdict(list)
    for pk, network_id in Person.objects.filter(pk__in=ids).values_list("pk", "network_id"):
        by_network[network_id].append(pk)
    raised = resolved = 0
    with transaction.atomic():
        for network_id, members in by_network.items():
            found = detect(members, thresholds=thresholds_for(network_id), now=now)
            wanted = {(f.person_id, f.kind, f.key): f for f in found}
            open_flags = {
                (f.person_id, f.kind, f.key): f
                for f in Flag.objects.select_for_update().filter(
                    person_id__in=members, resolved_at__isnull=True
                )
            }
            for key, flag in open_flags.items():
                if key not in wanted:
                    flag.resolved_at = now
                    flag.resolution = Resolution.RESOLVED_ITSELF
                    flag.save(update_fields=["resolved_at", "resolution"])
                    resolved += 1
            for key, f in wanted.items():
                if key in open_flags:
                    continue
                flag = Flag.objects.create(
                    network_id=network_id,
                    person_id=f.person_id,
                    household_id=f.household_id,
                    kind=f.kind,
                    key=f.key,
                    summary=f.summary,
                    details=f.details,
                    raised_at=now,
                )
                audit_record(
                    actor=actor,
                    action=f"flag.raise.{f.kind}",
                    person_id=f.person_id,
                    target=flag,
                    summary=f"Flag raised: {flag.get_kind_display().lower()}",
                    categories=[CATEGORY],
                )
                raised += 1
    return raised, resolved


def flags_refresh_network(*, network_id: int) -> tuple[int, int]:
    """The periodic job: every person of the network with a case, referral or enrolment."""
    ids = Person.objects.filter(network_id=network_id, merged_into__isnull=True).values_list(
        "pk", flat=True
    )
    return flags_refresh(actor=Actor.system("flag detection"), people_ids=list(ids))


def flag_resolve(*, actor: Actor, flag: Flag, resolution: str, note: str = "") -> Flag:
    membership = actor.require_membership()
    if membership.role not in CASEWORK_ROLES:
        raise PermissionDenied(f"The {membership.get_role_display()} role cannot resolve flags")
    if not decide(actor=actor, person=flag.person, category=CATEGORY):
        raise PermissionDenied("You cannot act on this person's flags")
    errors: dict[str, list[str]] = {}
    if resolution not in Resolution.values or resolution == Resolution.RESOLVED_ITSELF:
        errors["resolution"] = ["Choose what was done"]
    if resolution == Resolution.NOT_A_PROBLEM and not note.strip():
        errors["note"] = ["Say why it is not a problem"]
    if len(note) > 500:
        errors["note"] = ["Keep the note under 500 characters"]
    if flag.resolved_at is not None:
        errors["resolution"] = ["This flag is resolved already"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        flag.resolved_at = timezone.now()
        flag.resolved_by_id = membership.user_id
        flag.resolution = resolution
        flag.resolution_note = note.strip()
        flag.save(update_fields=["resolved_at", "resolved_by", "resolution", "resolution_note"])
        audit_record(
            actor=actor,
            action="flag.resolve",
            person_id=flag.person_id,
            target=flag,
            summary=f"Flag resolved: {Resolution(resolution).label.lower()}",
            categories=[CATEGORY],
        )
    return flag


def flags_refresh_after_commit(person_id: int) -> None:
    """Re-check one person's flags once the surrounding write has committed (referrals,
    enrolments and appointments call this); gaps that appear with time alone are found by
    the periodic job."""
    transaction.on_commit(
        lambda: flags_refresh(actor=Actor.system("flag detection"), people_ids=[person_id])
    )


def flag_message_other_agencies(*, actor: Actor, flag: Flag) -> int:
    """Tell the teams of the other organisations in a flag that it was raised (the text
    names the flag, never the person); returns how many people were told."""
    from wraparound.accounts.models import User
    from wraparound.notifications.services import notification_send

    membership = actor.require_membership()
    if not decide(actor=actor, person=flag.person, category=CATEGORY):
        raise PermissionDenied("You cannot act on this person's flags")
    organisations = set(flag.details.get("organisations", [])) - {membership.organisation_id}
    if not organisations:
        raise ValidationError({"flag": ["No other organisation is named in this flag"]})
    team = User.objects.filter(
        is_active=True,
        memberships__organisation_id__in=organisations,
        memberships__is_active=True,
        memberships__role__in=sorted(CASEWORK_ROLES),
    ).distinct()
    with transaction.atomic():
        sent = notification_send(
            recipients=list(team),
            subject=(
                f"{membership.organisation.name} asks to coordinate: flag F-{flag.pk:06d} "
                f"({flag.get_kind_display().lower()})"
            ),
            kind="flag.coordinate",
            url=f"/flags/{flag.pk}/",
        )
        audit_record(
            actor=actor,
            action="flag.message",
            person_id=flag.person_id,
            target=flag,
            summary=f"Other organisations asked to coordinate ({len(sent)} people told)",
            categories=[CATEGORY],
        )
    return len(sent)
