"""SLA due times in working hours: a service answers a referral within N working hours and
first contacts the person within N working days, counted on the network's calendar (its
working days and hours, less its holidays).

Pure functions over a ``Calendar`` value, so the arithmetic is tested without a database;
``calendar_for(network_id)`` loads the newest calendar version and the holidays."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from wraparound.referrals.models import Holiday, WorkingCalendar

DEFAULT_WORKING_DAYS = (1, 2, 3, 4, 5)
DEFAULT_DAY = (dt.time(9, 0), dt.time(17, 0))
# Far enough to cross any realistic run of holidays; a calendar with no working day at all
# is refused when saved, so the loop below always ends well before this.
MAX_DAYS_SCANNED = 3660


@dataclass(frozen=True)
class Calendar:
    day_starts: dt.time = DEFAULT_DAY[0]
    day_ends: dt.time = DEFAULT_DAY[1]
    working_days: tuple[int, ...] = DEFAULT_WORKING_DAYS
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    version: int = 0

    def is_working_day(self, day: dt.date) -> bool:
        return day.isoweekday() in self.working_days and day not in self.holidays

    def _bounds(self, day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        return (
            dt.datetime.combine(day, self.day_starts, tzinfo=tz),
            dt.datetime.combine(day, self.day_ends, tzinfo=tz),
        )

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment ``hours`` of working time after ``start`` (an aware datetime): time
        outside working hours, on non-working days and on holidays does not count."""
        tz = timezone.get_current_timezone()
        moment = timezone.localtime(start, tz)
        remaining = dt.timedelta(hours=hours)
        day = moment.date()
        for _ in range(MAX_DAYS_SCANNED):
            if self.is_working_day(day):
                opens, closes = self._bounds(day, tz)
                begin = max(moment, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += dt.timedelta(days=1)
            moment = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)
        raise ValueError("The working calendar has no working time")

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The end of the ``days``-th working day after ``start``'s day."""
        tz = timezone.get_current_timezone()
        day = timezone.localtime(start, tz).date()
        counted = 0
        for _ in range(MAX_DAYS_SCANNED):
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
                if counted >= days:
                    return self._bounds(day, tz)[1]
        raise ValueError("The working calendar has no working time")

    def working_hours_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working hours from ``start`` to ``end`` (0 when end is before start)."""
        if end <= start:
            return 0.0
        tz = timezone.get_current_timezone()
        start, end = timezone.localtime(start, tz), timezone.localtime(end, tz)
        total = dt.timedelta()
        day = start.date()
        while day <= end.date():
            if self.is_working_day(day):
                opens, closes = self._bounds(day, tz)
                begin, finish = max(start, opens), min(end, closes)
                if finish > begin:
                    total += finish - begin
            day += dt.timedelta(days=1)
        return total.total_seconds() / 3600


def calendar_for(network_id: int) -> Calendar:
    """The network's newest working calendar with its holidays (defaults: Monday to Friday,
    09:00 to 17:00, no holidays)."""
    current = WorkingCalendar.objects.filter(network_id=network_id).order_by("-version").first()
    holidays = frozenset(Holiday.objects.filter(network_id=network_id).values_list("on", flat=True))
    if current is None:
        return Calendar(holidays=holidays)
    return Calendar(
        day_starts=current.day_starts,
        day_ends=current.day_ends,
        working_days=tuple(sorted(current.working_days)) or DEFAULT_WORKING_DAYS,
        holidays=holidays,
        version=current.version,
    )


@dataclass(frozen=True)
class DueTimes:
    respond_by: dt.datetime | None
    first_contact_by: dt.datetime | None


def due_times(
    *,
    calendar: Calendar,
    requested_at: dt.datetime,
    response_hours: int | None,
    first_contact_days: int | None,
) -> DueTimes:
    return DueTimes(
        respond_by=(
            calendar.add_working_hours(requested_at, response_hours) if response_hours else None
        ),
        first_contact_by=(
            calendar.add_working_days(requested_at, first_contact_days)
            if first_contact_days
            else None
        ),
    )
