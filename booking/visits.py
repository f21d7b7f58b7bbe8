"""A visit's status and the clock: which change is allowed now. Pure Python, no Django.

The one place that says how a visit's status may change (DESIGN invariant 7):

    booked ──check in──▶ checked_in ──complete──▶ completed
      │  │                    └──not treated──▶ not_treated
      │  └──────────────complete / not treated──────▲
      └──no-show──▶ no_show
    (and back: each of check in, complete, not treated and no-show can be undone the same clinic day)

- Check-in only on the visit's own day (a clinic date, in the clinic's time zone).
- Completed, not treated and no-show only once the visit has started. "Not treated": the patient
  came but no treatment was given (unwell, a new contraindication): the time was used, but it is
  no session of the course and no aftercare follows.
- Undo: a check-in, a completion, a "not treated" or a no-show can be taken back on the clinic
  day it was recorded, with a reason. A completion (or "not treated") goes back to "checked in"
  when the patient had been checked in, else to "booked".
- Cancel (by staff or patient) only before the visit starts: afterwards it is a no-show or it
  took place. Moving is not a status change (services.appointment_move).

Every function takes the time in (``now``) and never reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

# The statuses as stored (booking.models.Status values).
HELD = "held"
BOOKED = "booked"
CHECKED_IN = "checked_in"
COMPLETED = "completed"
CANCELLED = "cancelled"
NO_SHOW = "no_show"
NOT_TREATED = "not_treated"


class Action(StrEnum):
    CHECK_IN = "check_in"
    COMPLETE = "complete"
    NO_SHOW = "no_show"
    NOT_TREATED = "not_treated"
    CANCEL = "cancel"
    UNDO = "undo"


# Where each action may start from, and where it leads (undo: see undo_target).
_FROM: dict[Action, tuple[str, ...]] = {
    Action.CHECK_IN: (BOOKED,),
    Action.COMPLETE: (BOOKED, CHECKED_IN),
    Action.NO_SHOW: (BOOKED,),
    Action.NOT_TREATED: (BOOKED, CHECKED_IN),
    Action.CANCEL: (BOOKED,),
    Action.UNDO: (CHECKED_IN, COMPLETED, NOT_TREATED, NO_SHOW),
}
_TO: dict[Action, str] = {
    Action.CHECK_IN: CHECKED_IN,
    Action.COMPLETE: COMPLETED,
    Action.NO_SHOW: NO_SHOW,
    Action.NOT_TREATED: NOT_TREATED,
    Action.CANCEL: CANCELLED,
}


class Refusal(StrEnum):
    """Why an action is not allowed now; services.MESSAGES words each one."""

    WRONG_STATUS = "bad_transition"
    NOT_TODAY = "check_in_not_today"
    NOT_STARTED = "not_started_yet"
    STARTED = "already_started"
    UNDO_TOO_LATE = "undo_too_late"
    UNDO_NO_TIME = "undo_unknown_time"


@dataclass(frozen=True)
class Visit:
    """What the rules need to know about one visit."""

    status: str
    start: datetime  # aware
    status_changed_at: datetime | None = None  # when the current status was recorded
    checked_in_at: datetime | None = None


def _day(moment: datetime, tz: ZoneInfo) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("expected an aware datetime")
    return moment.astimezone(tz).date()


def refusal(action: Action, visit: Visit, *, now: datetime, tz: ZoneInfo) -> Refusal | None:
    """None when ``action`` is allowed on ``visit`` at ``now``, else the first reason it is not."""
    if visit.status not in _FROM[action]:
        return Refusal.WRONG_STATUS
    if action == Action.CHECK_IN and _day(now, tz) != _day(visit.start, tz):
        return Refusal.NOT_TODAY
    if action in (Action.COMPLETE, Action.NOT_TREATED, Action.NO_SHOW) and now < visit.start:
        return Refusal.NOT_STARTED
    if action == Action.CANCEL and now >= visit.start:
        return Refusal.STARTED
    if action == Action.UNDO:
        if visit.status_changed_at is None:
            return Refusal.UNDO_NO_TIME
        if _day(now, tz) != _day(visit.status_changed_at, tz):
            return Refusal.UNDO_TOO_LATE
    return None


def target(action: Action, visit: Visit) -> str:
    """The status the visit is in after ``action`` (call only when it is allowed)."""
    if action != Action.UNDO:
        return _TO[action]
    if visit.status in (COMPLETED, NOT_TREATED) and visit.checked_in_at is not None:
        return CHECKED_IN
    return BOOKED


def available(visit: Visit, *, now: datetime, tz: ZoneInfo) -> dict[Action, Refusal | None]:
    """Every action whose starting status matches, with its refusal now (None: allowed).

    Pages show the allowed ones as buttons and say why the others are not possible yet.
    """
    return {action: refusal(action, visit, now=now, tz=tz) for action, sources in _FROM.items() if visit.status in sources}
