"""Spacing between the sessions of a treatment course. Pure Python, no Django.

Consecutive sessions must be at least ``min_days`` and at most ``max_days`` apart (14 and 42 by
default, set per clinic). Days are counted as calendar dates in the clinic's time zone, never as
24-hour periods: after a session on 3 March the next may be on any day from 17 March to 14 April
inclusive, at any time of day. So a session at 20:00 in Los Angeles (04:00 UTC the next day) still
counts as that local date, and a daylight-saving change in between moves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

MIN_SESSIONS = 2
MAX_SESSIONS = 4
DEFAULT_SESSIONS = 3
CLOSING_SOON_DAYS = 7

SpacingProblem = Literal["too_soon", "too_late"]
CourseStatus = Literal["too_early", "open", "closing_soon", "overdue"]

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class SpacingRule:
    min_days: int = 14
    max_days: int = 42

    def __post_init__(self) -> None:
        if self.min_days < 1:
            raise ValueError("min_days must be at least 1")
        if self.max_days < self.min_days:
            raise ValueError("max_days must not be smaller than min_days")


@dataclass(frozen=True)
class Window:
    """The local calendar dates on which the next session may start, both ends included."""

    first_day: date
    last_day: date

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def bounds_utc(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """Local midnight starting first_day to local midnight after last_day, as UTC.

        The end is exclusive; across a DST change the span is not a whole number of 24 h.
        """
        return local_midnight_utc(self.first_day, tz), local_midnight_utc(
            self.last_day + timedelta(days=1), tz
        )

    def describe(self) -> str:
        """'between Tuesday 17 March and Tuesday 14 April 2026' (year once when shared)."""
        last = format_day(self.last_day)
        if self.first_day.year == self.last_day.year:
            first = format_day(self.first_day, with_year=False)
        else:
            first = format_day(self.first_day)
        return f"between {first} and {last}"


@dataclass(frozen=True)
class SpacingCheck:
    ok: bool
    reason: SpacingProblem | None
    days_apart: int
    window: Window
    message: str


def format_day(day: date, *, with_year: bool = True) -> str:
    """'Tuesday 17 March 2026', without locale or platform-specific strftime flags."""
    text = f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    # fold=0 is the first local midnight when it is repeated; when midnight is skipped by a DST
    # change (some zones switch at 00:00) it resolves to the instant of the change, which is
    # where that date really begins.
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("expected an aware datetime, got a naive one")
    return moment.astimezone(tz).date()


def allowed_window(previous_start: datetime, tz: ZoneInfo, rule: SpacingRule = SpacingRule()) -> Window:
    previous_day = local_date(previous_start, tz)
    return Window(
        first_day=previous_day + timedelta(days=rule.min_days),
        last_day=previous_day + timedelta(days=rule.max_days),
    )


def check_gap(
    previous_start: datetime,
    candidate_start: datetime,
    tz: ZoneInfo,
    rule: SpacingRule = SpacingRule(),
) -> SpacingCheck:
    window = allowed_window(previous_start, tz, rule)
    candidate_day = local_date(candidate_start, tz)
    days_apart = (candidate_day - local_date(previous_start, tz)).days
    rule_text = f"The next session must be {window.describe()}."
    if candidate_day < window.first_day:
        lead = f"{format_day(candidate_day)} is too soon after the previous session."
        return SpacingCheck(False, "too_soon", days_apart, window, f"{lead} {rule_text}")
    if candidate_day > window.last_day:
        lead = f"{format_day(candidate_day)} is too long after the previous session."
        return SpacingCheck(False, "too_late", days_apart, window, f"{lead} {rule_text}")
    return SpacingCheck(True, None, days_apart, window, rule_text)


def check_course(
    session_starts: list[datetime | None],
    tz: ZoneInfo,
    rule: SpacingRule = SpacingRule(),
) -> list[SpacingCheck | None]:
    """One entry per consecutive pair: item i checks session i+1 against session i.

    The entry is None when either session of the pair is not booked yet: spacing is only defined
    between neighbours, so a later session is never checked against an earlier, non-adjacent one.
    """
    return [
        None if previous is None or current is None else check_gap(previous, current, tz, rule)
        for previous, current in zip(session_starts, session_starts[1:])
    ]


@dataclass(frozen=True)
class MoveCheck:
    """Result of moving one session: its own gap, and the gap of the session after it."""

    ok: bool
    into: SpacingCheck | None  # previous session -> moved session
    following: SpacingCheck | None  # moved session -> next session, already booked
    message: str


def check_move(
    session_starts: list[datetime | None],
    index: int,
    new_start: datetime,
    tz: ZoneInfo,
    rule: SpacingRule = SpacingRule(),
) -> MoveCheck:
    """Would moving session ``index`` (0-based) to ``new_start`` keep both its gaps in window?"""
    starts = list(session_starts)
    starts[index] = new_start
    checks = check_course(starts, tz, rule)
    into = checks[index - 1] if index > 0 else None
    following = checks[index] if index < len(checks) else None
    messages = []
    if into is not None and not into.ok:
        messages.append(into.message)
    if following is not None and not following.ok:
        next_start = starts[index + 1]
        assert next_start is not None  # a check exists only for booked pairs
        messages.append(
            f"The following session on {format_day(local_date(next_start, tz))} would then be "
            f"outside its window: it must be {following.window.describe()}."
        )
    return MoveCheck(not messages, into, following, " ".join(messages))


def course_status(
    last_start: datetime,
    today: date,
    tz: ZoneInfo,
    rule: SpacingRule = SpacingRule(),
    *,
    closing_soon_days: int = CLOSING_SOON_DAYS,
) -> CourseStatus:
    """Where ``today`` (a local date) falls in the window after the last completed session.

    "closing_soon" starts ``closing_soon_days`` before the window's last day (the reminder in the
    clinical timeline) and includes the last day itself.
    """
    window = allowed_window(last_start, tz, rule)
    if today < window.first_day:
        return "too_early"
    if today > window.last_day:
        return "overdue"
    if (window.last_day - today).days <= closing_soon_days:
        return "closing_soon"
    return "open"
