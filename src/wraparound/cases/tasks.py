"""Background tasks for cases, run by `wraparound db_worker`."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django_tasks import task

from wraparound.accounts.models import User
from wraparound.cases.models import Case


@task()
def notify_key_worker_assigned(*, case_id: int, key_worker_id: int) -> bool:
    """E-mail a worker that a case is now theirs. The e-mail names the case reference only:
    personal details stay behind sign-in."""
    case = Case.objects.select_related("lead_organisation").filter(pk=case_id).first()
    worker = User.objects.filter(pk=key_worker_id, is_active=True).first()
    if case is None or worker is None or not worker.email or case.key_worker_id != worker.pk:
        return False  # reassigned or gone since: nothing to tell
    link = settings.SITE_URL + reverse("cases:detail", args=[case.pk])
    send_mail(
        subject=f"Wraparound: you are now key worker for case {case.reference}",
        message=(
            f"Hello {worker.name},\n\n"
            f"{case.lead_organisation.name} has made you the key worker for case "
            f"{case.reference}.\n\nSign in to see it: {link}\n\n"
            "This e-mail does not contain personal details on purpose.\n"
        ),
        from_email=None,
        recipient_list=[worker.email],
    )
    return True
