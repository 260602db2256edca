"""Background tasks for plans, run by `wraparound db_worker`."""

from __future__ import annotations

from django_tasks import task

from wraparound.accounts.actor import Actor
from wraparound.plans.models import ExitPlan


@task()
def create_exit_check_ins(*, exit_plan_id: int) -> int:
    """Create an exit plan's dated check-ins; returns how many (0 if done already or the plan
    was replaced before the worker got to it)."""
    from wraparound.plans.services import exit_check_ins_create

    plan = ExitPlan.objects.filter(pk=exit_plan_id).first()
    if plan is None:
        return 0
    return len(exit_check_ins_create(actor=Actor.system("exit plan check-ins"), exit_plan=plan))
