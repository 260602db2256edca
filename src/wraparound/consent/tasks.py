"""Background tasks for the trust layer."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django_tasks import task

from wraparound.cases.models import Case, CaseStatus
from wraparound.consent.models import BreakGlass


@task()
def notify_break_glass(*, break_glass_id: int) -> int:
    """Tell the person's key workers that someone used emergency access to their record.
    Returns how many were told. No personal details in the e-mail: a link behind sign-in."""
    access = (
        BreakGlass.objects.select_related("user", "organisation").filter(pk=break_glass_id).first()
    )
    if access is None:
        return 0
    workers = {
        case.key_worker
        for case in Case.objects.filter(person_id=access.person_id, key_worker__isnull=False)
        .exclude(status=CaseStatus.CLOSED)
        .select_related("key_worker")
        if case.key_worker is not None and case.key_worker.email and case.key_worker.is_active
    }
    link = settings.SITE_URL + reverse("people:access_log", args=[access.person_id])
    for worker in workers:
        send_mail(
            subject="Wraparound: emergency access to a record you hold",
            message=(
                f"Hello {worker.name},\n\n{access.user.name} of {access.organisation.name} used "
                f"emergency (break-glass) access to the record of one of the people you are "
                f"key worker for, at {access.started_at:%H:%M on %d %B %Y}, giving the reason "
                f"'{access.get_reason_display()}'.\n\nSee who looked at the record: {link}\n"
            ),
            from_email=None,
            recipient_list=[worker.email],
        )
    return len(workers)
