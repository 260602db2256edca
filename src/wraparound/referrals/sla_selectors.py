"""The SLA report: aggregates only (no names), for managers, analysts and network admins of
the network, over referrals sent in a period."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import Role
from wraparound.referrals.models import Referral, ReferralStatus, ReferralTransition
from wraparound.referrals.sla import calendar_for

REPORT_ROLES = frozenset({Role.MANAGER, Role.ANALYST, Role.NETWORK_ADMIN})
PERIODS = (30, 90, 365)


@dataclass
class SlaRow:
    label: str
    sent: int = 0
    answered: int = 0
    answered_on_time: int = 0
    contacted: int = 0
    contacted_on_time: int = 0
    hours_to_accept: list[float] = field(default_factory=list)
    rejected: int = 0

    def share(self, part: int, whole: int) -> str:
        return f"{100 * part / whole:.0f}% ({part} of {whole})" if whole else "—"

    @property
    def on_time(self) -> str:
        return self.share(self.answered_on_time, self.answered)

    @property
    def contact_on_time(self) -> str:
        return self.share(self.contacted_on_time, self.contacted)

    @property
    def median_hours_to_accept(self) -> str:
        if not self.hours_to_accept:
            return "—"
        return f"{statistics.median(self.hours_to_accept):.1f} h ({len(self.hours_to_accept)})"


@dataclass
class SlaReport:
    days: int
    overall: SlaRow
    by_organisation: list[SlaRow]
    by_service: list[SlaRow]
    rejections: list[tuple[str, int]]


def sla_report(*, actor: Actor, days: int = 90) -> SlaReport:
    membership = actor.membership
    if membership is None or membership.role not in REPORT_ROLES:
        raise PermissionDenied("The SLA report is for managers, analysts and administrators")
    if days not in PERIODS:
        days = 90
    network_id = membership.organisation.network_id
    calendar = calendar_for(network_id)
    since = timezone.now() - dt.timedelta(days=days)
    rows = Referral.objects.filter(network_id=network_id, requested_at__gte=since).values_list(
        "pk",
        "receiving_organisation__name",
        "service__name",
        "requested_at",
        "respond_by",
        "responded_at",
        "first_contact_by",
        "first_contact_at",
        "status_reason_code",
        "status",
    )
    accepted_at = dict(
        ReferralTransition.objects.filter(
            referral__network_id=network_id,
            referral__requested_at__gte=since,
            to_status=ReferralStatus.ACCEPTED,
        )
        .order_by("referral_id", "at")
        .values_list("referral_id", "at")
    )
    overall = SlaRow("All organisations")
    organisations: dict[str, SlaRow] = {}
    services: dict[str, SlaRow] = {}
    rejections: Counter[str] = Counter()
    rejected_ids = set(
        ReferralTransition.objects.filter(
            referral__network_id=network_id,
            referral__requested_at__gte=since,
            to_status=ReferralStatus.REJECTED,
        ).values_list("referral_id", "reason_code")
    )
    for _, code in rejected_ids:
        rejections[code or "not coded"] += 1
    rejected_referrals = {pk for pk, _ in rejected_ids}
    for pk, org, service, sent, respond_by, responded, contact_by, contacted, _, _ in rows:
        for row in (
            overall,
            organisations.setdefault(org, SlaRow(org)),
            services.setdefault(f"{service} ({org})", SlaRow(f"{service} ({org})")),
        ):
            row.sent += 1
            if responded is not None:
                row.answered += 1
                row.answered_on_time += respond_by is None or responded <= respond_by
            if contacted is not None:
                row.contacted += 1
                row.contacted_on_time += contact_by is None or contacted <= contact_by
            if pk in accepted_at and sent is not None:
                row.hours_to_accept.append(calendar.working_hours_between(sent, accepted_at[pk]))
            row.rejected += pk in rejected_referrals
    return SlaReport(
        days=days,
        overall=overall,
        by_organisation=sorted(organisations.values(), key=lambda r: r.label),
        by_service=sorted(services.values(), key=lambda r: r.label),
        rejections=sorted(rejections.items(), key=lambda kv: (-kv[1], kv[0])),
    )


def reason_label(code: str) -> str:
    from wraparound.referrals.models import ReasonCode

    return ReasonCode(code).label if code in ReasonCode.values else code
