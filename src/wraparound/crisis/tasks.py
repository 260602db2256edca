"""Background tasks for crisis events, run by `wraparound db_worker`."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django_tasks import task

from wraparound.accounts.models import CASEWORK_ROLES, Membership
from wraparound.crisis.models import AlertStatus, RepresentationAlert


@task()
def notify_representation(*, alert_id: int) -> int:
    """E-mail the key worker (or, without one, the lead organisation's caseworkers) that a
    person they stepped down re-presented. Names the case reference only: what happened
    stays behind sign-in, where the access policy decides who may see it. Returns how many
    were e-mailed."""
    alert = (
        RepresentationAlert.objects.select_related("case", "key_worker", "organisation")
        .filter(pk=alert_id, status=AlertStatus.OPEN)
        .first()
    )
    if alert is None:
        return 0
    if alert.key_worker is not None and alert.key_worker.is_active:
        recipients = [alert.key_worker]
    else:
        recipients = [
            m.user
            for m in Membership.objects.filter(
                organisation=alert.organisation,
                is_active=True,
                user__is_active=True,
                role__in=CASEWORK_ROLES,
            ).select_related("user")
        ]
    link = settings.SITE_URL + reverse("crisis:alert", args=[alert.pk])
    addresses = sorted({u.email for u in recipients if u.email})
    for address in addresses:
        send_mail(
            subject=f"Wraparound: re-presentation alert for case {alert.case.reference}",
            message=(
                f"Someone whose case {alert.case.reference} was "
                f"{alert.case_status.replace('_', ' ')} has used a crisis service.\n\n"
                f"Sign in to see the alert and reopen the case if needed: {link}\n\n"
                "This e-mail does not contain personal details on purpose.\n"
            ),
            from_email=None,
            recipient_list=[address],
        )
    return len(addresses)
