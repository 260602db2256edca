"""Opening hours from HSDS schedules (iCalendar RRULE fields), with python-dateutil."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from dateutil import rrule  # type: ignore[import-untyped,unused-ignore]

from wraparound.directory.models import Frequency, Schedule

_FREQ = {Frequency.WEEKLY: rrule.WEEKLY, Frequency.MONTHLY: rrule.MONTHLY}
_WEEKDAYS = {"MO": rrule.MO, "TU": rrule.TU, "WE": rrule.WE, "TH": rrule.TH, "FR": rrule.FR}
_WEEKDAYS.update({"SA": rrule.SA, "SU": rrule.SU})
# A Monday long ago: where a schedule gives no dtstart, the rule runs from here.
EPOCH = date(2000, 1, 3)


def _ints(text: str) -> list[int] | None:
    values = [int(part) for part in text.replace(" ", "").split(",") if part]
    return values or None


def _weekdays(text: str) -> list[rrule.weekday] | None:
    days = []
    for part in text.replace(" ", "").upper().split(","):
        if not part:
            continue
        ordinal, code = part[:-2], part[-2:]
        day = _WEEKDAYS[code]
        days.append(day(int(ordinal)) if ordinal else day)
    return days or None


def runs_on(schedule: Schedule, day: date) -> bool:
    """Whether the schedule has an occurrence on ``day`` (ignoring the hours)."""
    if schedule.valid_from and day < schedule.valid_from:
        return False
    if schedule.valid_to and day > schedule.valid_to:
        return False
    if not schedule.freq:
        # No rule: open every day of its validity (a "description only" schedule has no hours
        # and is never counted as open).
        return True
    start = schedule.dtstart or EPOCH
    rule = rrule.rrule(
        _FREQ[Frequency(schedule.freq)],
        dtstart=datetime.combine(start, time()),
        interval=schedule.interval or 1,
        wkst=_WEEKDAYS[schedule.wkst] if schedule.wkst else None,
        count=schedule.count,
        until=datetime.combine(schedule.until, time(23, 59)) if schedule.until else None,
        byweekday=_weekdays(schedule.byday),
        bymonthday=_ints(schedule.bymonthday),
        byyearday=_ints(schedule.byyearday),
        byweekno=_ints(schedule.byweekno),
    )
    occurrence = rule.after(datetime.combine(day, time()), inc=True)
    return occurrence is not None and occurrence.date() == day


def is_open(schedule: Schedule, at: datetime) -> bool:
    """Open at ``at`` (local wall-clock time): a day of the rule, within its hours."""
    if schedule.opens_at is None or schedule.closes_at is None:
        return False
    moment = at.time()
    if schedule.closes_at > schedule.opens_at:
        within = schedule.opens_at <= moment < schedule.closes_at
        return within and runs_on(schedule, at.date())
    # Overnight (e.g. 20:00 to 08:00): open from the evening of a day of the rule.
    if moment >= schedule.opens_at:
        return runs_on(schedule, at.date())
    return moment < schedule.closes_at and runs_on(schedule, at.date() - timedelta(days=1))


def open_now(schedules: Iterable[Schedule], at: datetime) -> bool:
    return any(is_open(schedule, at) for schedule in schedules)


def weekly_hours(schedules: Iterable[Schedule]) -> list[tuple[str, str]]:
    """Readable hours, e.g. [("Monday to Friday", "9am to 5pm")], in schedule order."""
    names = dict(zip(_WEEKDAYS, ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], strict=True))
    lines = []
    for schedule in schedules:
        if schedule.opens_at is None or schedule.closes_at is None:
            if schedule.description:
                lines.append(("", schedule.description))
            continue
        hours = f"{schedule.opens_at:%H:%M} to {schedule.closes_at:%H:%M}"
        if schedule.byday:
            days = ", ".join(names.get(d.strip()[-2:], d) for d in schedule.byday.split(","))
        elif schedule.freq == Frequency.MONTHLY and schedule.bymonthday:
            days = f"Day {schedule.bymonthday} of the month"
        else:
            days = "Every day"
        lines.append((days, hours))
    return lines
