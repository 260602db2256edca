"""Care plans (versions, goals tied to needs, actions, agreement, review date) and exit plans
(a step-down schedule with check-ins that become less frequent).

A care plan is drafted, then agreed with the person; once agreed it is never edited: a
change is a new version (a new draft copied from it), and agreeing that version supersedes
the old one. Marking an action done is progress, not a change of plan, and is allowed on the
agreed version.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wraparound.cases.models import Case
from wraparound.consent.categories import DataCategory, PersonalData
from wraparound.core.models import Network
from wraparound.directory.models import Organisation, Service
from wraparound.directory.needs import NeedCategory
from wraparound.people.models import Person

# --- network configuration (versioned data) ------------------------------------------------

DEFAULT_MAX_EXIT_PLAN_WEEKS = 52
DEFAULT_REPRESENTATION_WINDOW_DAYS = 365
DEFAULT_REVIEW_WEEKS = 12
LONGEST_REVIEW_WEEKS = 52


class PlanSettings(models.Model):
    """A network's settings for plans and re-presentation. Never edited: a change is a new
    version; the newest version applies (``current_plan_settings``)."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="plan_settings")
    version = models.PositiveIntegerField()
    max_exit_plan_weeks = models.PositiveIntegerField(
        default=DEFAULT_MAX_EXIT_PLAN_WEEKS,
        validators=[MinValueValidator(1), MaxValueValidator(156)],
        help_text="The longest step-down schedule an exit plan may have, in weeks.",
    )
    representation_window_days = models.PositiveIntegerField(
        default=DEFAULT_REPRESENTATION_WINDOW_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(1095)],
        help_text=(
            "A crisis event for someone whose case was stepped down or closed within this "
            "many days alerts their key worker (or the lead organisation)."
        ),
    )
    default_review_weeks = models.PositiveIntegerField(
        default=DEFAULT_REVIEW_WEEKS,
        validators=[MinValueValidator(1), MaxValueValidator(LONGEST_REVIEW_WEEKS)],
        help_text="A new care plan's review date, this many weeks ahead unless chosen.",
    )
    note = models.CharField(max_length=300, blank=True, help_text="Why this version.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["network", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "version"], name="plan_settings_one_per_version"
            )
        ]
        verbose_name_plural = "plan settings"

    def __str__(self) -> str:
        return f"Plan settings v{self.version} for {self.network_id}"


# --- exit plans -------------------------------------------------------------------------------


class SupportLevel(models.TextChoices):
    """The bands of support a step-down passes through, most intensive first. The codes are
    the assessment tiers' codes, so a schedule can start from the person's tier."""

    INTENSIVE = "intensive", "Intensive"
    SUPPORTED = "supported", "Supported"
    LIGHT_TOUCH = "light_touch", "Light touch"
    CLOSED = "closed", "Closed (follow-up only)"


STEP_DOWN_ORDER: tuple[str, ...] = (
    SupportLevel.INTENSIVE,
    SupportLevel.SUPPORTED,
    SupportLevel.LIGHT_TOUCH,
)
# How often a check-in falls due at each level: less often as support steps down.
CHECK_IN_EVERY_WEEKS: dict[str, int] = {
    SupportLevel.INTENSIVE: 1,
    SupportLevel.SUPPORTED: 2,
    SupportLevel.LIGHT_TOUCH: 4,
}
# After the planned close, follow-ups this many weeks after closing (further apart each time).
FOLLOW_UP_AFTER_CLOSE_WEEKS: tuple[int, ...] = (4, 12, 26)


class ExitPlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REPLACED = "replaced", "Replaced by a newer exit plan"


class ExitPlan(models.Model):
    """A step-down schedule for a case: stages of decreasing support over chosen weeks, then
    closing, with check-ins created by the background worker."""

    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="exit_plans")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="exit_plans")
    status = models.CharField(
        max_length=20, choices=ExitPlanStatus.choices, default=ExitPlanStatus.ACTIVE
    )
    starts_on = models.DateField()
    planned_close_on = models.DateField()
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    check_ins_created_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status="active"),
                name="exit_plan_one_active_per_case",
            ),
            models.CheckConstraint(
                condition=Q(planned_close_on__gte=models.F("starts_on")),
                name="exit_plan_closes_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Exit plan #{self.pk} for case {self.case_id}"

    @property
    def weeks(self) -> int:
        return (self.planned_close_on - self.starts_on).days // 7


class ExitStage(models.Model):
    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    exit_plan = models.ForeignKey(ExitPlan, on_delete=models.PROTECT, related_name="stages")
    position = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=20, choices=SupportLevel.choices)
    weeks = models.PositiveSmallIntegerField()
    starts_on = models.DateField()

    class Meta:
        ordering = ["exit_plan", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["exit_plan", "position"], name="exit_stage_unique_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} for {self.weeks} weeks"

    @property
    def ends_on(self) -> date:
        return self.starts_on + timedelta(weeks=self.weeks)


class CheckInStatus(models.TextChoices):
    DUE = "due", "Due"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


CHECK_IN_TRANSITIONS: dict[str, frozenset[str]] = {
    CheckInStatus.DUE: frozenset({CheckInStatus.DONE, CheckInStatus.CANCELLED}),
    CheckInStatus.DONE: frozenset(),
    CheckInStatus.CANCELLED: frozenset(),
}


class ExitCheckIn(models.Model):
    """A dated follow-up task of an exit plan."""

    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    exit_plan = models.ForeignKey(ExitPlan, on_delete=models.PROTECT, related_name="check_ins")
    level = models.CharField(max_length=20, choices=SupportLevel.choices)
    due_on = models.DateField()
    status = models.CharField(
        max_length=20, choices=CheckInStatus.choices, default=CheckInStatus.DUE
    )
    done_on = models.DateField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exit_check_ins",
    )

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["exit_plan", "due_on"], name="exit_check_in_one_per_day"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(done_on__isnull=False),
                name="exit_check_in_done_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["assigned_to", "status", "due_on"], name="exit_check_in_worker")
        ]

    def __str__(self) -> str:
        return f"Check-in {self.due_on} ({self.level})"


# --- care plans -----------------------------------------------------------------------------


class CarePlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AGREED = "agreed", "Agreed"
    SUPERSEDED = "superseded", "Superseded by a newer version"


CARE_PLAN_TRANSITIONS: dict[str, frozenset[str]] = {
    CarePlanStatus.DRAFT: frozenset({CarePlanStatus.AGREED}),
    CarePlanStatus.AGREED: frozenset({CarePlanStatus.SUPERSEDED}),
    CarePlanStatus.SUPERSEDED: frozenset(),
}


class AgreementMethod(models.TextChoices):
    IN_PERSON_SIGNED = "in_person_signed", "In person, signed"
    IN_PERSON_VERBAL = "in_person_verbal", "In person, agreed out loud"
    PHONE = "phone", "By phone"
    VIDEO = "video", "By video call"
    WRITTEN = "written", "In writing (letter or e-mail)"
    PORTAL = "portal", "Online, through the portal"


class CarePlan(models.Model):
    """One version of a case's care plan."""

    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="care_plans")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="care_plans")
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=CarePlanStatus.choices, default=CarePlanStatus.DRAFT
    )
    summary = models.TextField(blank=True, help_text="In plain words, what this plan is for.")
    review_on = models.DateField()
    agreed_on = models.DateField(null=True, blank=True)
    agreement_method = models.CharField(max_length=20, choices=AgreementMethod.choices, blank=True)
    agreement_note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["case", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="care_plan_unique_version"),
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="draft"), name="care_plan_one_draft"
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="agreed"), name="care_plan_one_agreed"
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | (Q(agreed_on__isnull=False) & ~Q(agreement_method="")),
                name="care_plan_agreed_has_date_and_method",
            ),
        ]
        indexes = [
            models.Index(fields=["case", "status", "review_on"], name="care_plan_review"),
        ]

    def __str__(self) -> str:
        return f"Care plan v{self.version} for case {self.case_id}"

    @property
    def is_draft(self) -> bool:
        return self.status == CarePlanStatus.DRAFT

    @property
    def review_overdue(self) -> bool:
        return self.status == CarePlanStatus.AGREED and self.review_on < timezone.localdate()


class Goal(models.Model):
    """What the person wants to achieve for one of their assessed needs."""

    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="goals")
    need = models.ForeignKey(
        "assessments.Need", on_delete=models.PROTECT, related_name="plan_goals"
    )
    need_category = models.CharField(max_length=40, choices=NeedCategory.choices)
    position = models.PositiveSmallIntegerField()
    what = models.CharField(max_length=500)
    measure = models.CharField(max_length=500, help_text="How we will know it is achieved.")
    target_on = models.DateField()

    class Meta:
        ordering = ["plan", "position", "id"]

    def __str__(self) -> str:
        return self.what


class ActionOwner(models.TextChoices):
    PERSON = "person", "The person"
    KEY_WORKER = "key_worker", "The key worker"
    AGENCY = "agency", "An agency"


class PlanAction(models.Model):
    """A step towards a goal, with who does it and by when."""

    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="actions")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=500)
    owner = models.CharField(max_length=20, choices=ActionOwner.choices)
    owner_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["goal", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(owner="agency") | Q(owner_organisation__isnull=False),
                name="plan_action_agency_named",
            )
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def owner_label(self) -> str:
        if self.owner == ActionOwner.AGENCY and self.owner_organisation is not None:
            return self.owner_organisation.name
        return ActionOwner(self.owner).label


class ActionUpdate(models.Model):
    """The person's own word on an action of their plan, from the portal: marked done
    and/or a note. Kept as a history; the key worker sees it on the plan."""

    personal_data = PersonalData(DataCategory.PLANS_REFERRALS)

    action = models.ForeignKey(PlanAction, on_delete=models.PROTECT, related_name="updates")
    marked_done = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)
    by_account = models.ForeignKey(
        "portal.CitizenAccount", on_delete=models.PROTECT, related_name="+"
    )
    on_behalf = models.BooleanField(
        default=False, help_text="Written by someone the person allowed to act for them."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["action", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(marked_done=True) | ~Q(note=""), name="action_update_says_something"
            )
        ]

    def __str__(self) -> str:
        return f"Update on action {self.action_id}"
