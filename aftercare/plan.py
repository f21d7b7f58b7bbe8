"""When each reminder goes out, and whether it still should: pure rules, no Django.

A reminder step is anchored to a moment of the appointment's life:

- ``BOOKED``: when it was booked or moved (the confirmation);
- ``START``: the session's start (pre-treatment instructions, the day-before reminder);
- ``COMPLETED``: when the clinician marked the session done (aftercare, the check-in);
- ``WINDOW_LAST_DAY``: the last day the course's next session may fall on (spacing ceiling).

Day offsets count calendar days in the clinic's time zone and the message goes at a local wall
time ("10:00, ten days before"), so a daylight-saving change in between moves nothing. Steps
without a wall time go a number of minutes after their anchor.

Times are planned when something happens (booked, moved, completed) and checked again at send
time (`should_send`), because the appointment may have changed in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Anchor(StrEnum):
    BOOKED = "booked"
    START = "start"
    COMPLETED = "completed"
    WINDOW_LAST_DAY = "window_last_day"


class Kind(StrEnum):
    BOOKING_CONFIRMATION = "booking_confirmation"
    PAUSE_MEDICINES = "pause_medicines"
    RECONFIRM = "reconfirm"
    STOCKINGS = "stockings"
    DAY_BEFORE_PREPARATION = "day_before_preparation"
    APPOINTMENT_REMINDER = "appointment_reminder"
    AFTERCARE = "aftercare"
    CHECK_IN = "check_in"
    NEXT_SESSION_NUDGE = "next_session_nudge"
    WINDOW_CLOSING = "window_closing"
    OVERDUE = "overdue"
    OVERDUE_DESK = "overdue_desk"
    CHECK_IN_ALERT = "check_in_alert"  # to the clinic when a check-in shows signs of a clot


@dataclass(frozen=True)
class Step:
    kind: Kind
    anchor: Anchor
    days: int = 0  # calendar days from the anchor's local date; negative is before
    at: time | None = None  # local wall time on that day; None: `minutes` after the anchor instant
    minutes: int = 0
    # Pointless once the session is this close (e.g. "pause aspirin" the evening before): skipped.
    latest_before_start: timedelta | None = None
    sessions_only: bool = True  # pre-treatment and aftercare make sense only for treatment sessions

    def __post_init__(self):
        if self.at is None and self.days:
            raise ValueError("A step with a day offset needs a wall time (`at`).")


MORNING = time(10, 0)

# The clinic's default timeline (CLINICAL_RULES.md, "Before the session" and "After the session").
DEFAULT_STEPS: tuple[Step, ...] = (
    Step(Kind.BOOKING_CONFIRMATION, Anchor.BOOKED, sessions_only=False),
    Step(Kind.PAUSE_MEDICINES, Anchor.START, days=-10, at=MORNING, latest_before_start=timedelta(days=2)),
    # Six days before, so that the answer falls inside intake's 7 days before the session whatever its hour.
    Step(Kind.RECONFIRM, Anchor.START, days=-6, at=MORNING, latest_before_start=timedelta(hours=3)),
    Step(Kind.STOCKINGS, Anchor.START, days=-2, at=MORNING, latest_before_start=timedelta(hours=12)),
    Step(Kind.DAY_BEFORE_PREPARATION, Anchor.START, days=-1, at=time(17, 0), latest_before_start=timedelta(hours=3)),
    Step(Kind.APPOINTMENT_REMINDER, Anchor.START, days=-1, at=MORNING, latest_before_start=timedelta(hours=2),
         sessions_only=False),
    Step(Kind.AFTERCARE, Anchor.COMPLETED, minutes=0),
    Step(Kind.CHECK_IN, Anchor.COMPLETED, days=3, at=MORNING),
    Step(Kind.NEXT_SESSION_NUDGE, Anchor.COMPLETED, days=14, at=MORNING),
    Step(Kind.WINDOW_CLOSING, Anchor.WINDOW_LAST_DAY, days=-7, at=MORNING),
    Step(Kind.OVERDUE, Anchor.WINDOW_LAST_DAY, days=1, at=MORNING),
    Step(Kind.OVERDUE_DESK, Anchor.WINDOW_LAST_DAY, days=1, at=time(8, 30)),
)

# Which moment of the appointment a step depends on: booking plans these, completing plans the rest.
PLANNED_ON_BOOKING = frozenset({Anchor.BOOKED, Anchor.START})
PLANNED_ON_COMPLETION = frozenset({Anchor.COMPLETED, Anchor.WINDOW_LAST_DAY})
# Course steps only make sense while the course goes on; the desk's overdue list is not a patient message.
COURSE_KINDS = frozenset({Kind.NEXT_SESSION_NUDGE, Kind.WINDOW_CLOSING, Kind.OVERDUE, Kind.OVERDUE_DESK})
# Messages to the clinic's own address, not the patient's.
TO_CLINIC = frozenset({Kind.OVERDUE_DESK, Kind.CHECK_IN_ALERT})
# Safety alerts: always sent, whatever the wording's on/off switch says.
ALWAYS_ON = frozenset({Kind.CHECK_IN_ALERT})


@dataclass(frozen=True)
class QuietHours:
    """No text messages between `start` and `end` clinic time; they wait until `end`."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    @property
    def sending_window(self) -> timedelta:
        """How long a day texts may go out."""
        quiet = (datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)) % timedelta(days=1)
        return timedelta(days=1) - quiet

    def problem(self) -> str | None:
        """Why these hours cannot be a setting (a code: "same_time", "window_too_short"), or None."""
        if self.start == self.end:
            return "same_time"
        if self.sending_window < MIN_SENDING_WINDOW:
            return "window_too_short"
        return None


# Quiet hours that leave less than this for texts are refused: messages would bunch up.
MIN_SENDING_WINDOW = timedelta(hours=4)


def at_local(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """`wall` on `day` in `tz`, as UTC.

    With fold=0 zoneinfo reads a wall time skipped by a spring-forward change with the offset
    before the change, which lands past the gap (02:30 -> 03:30); a time repeated in autumn is
    taken the first time it happens.
    """
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def planned_time(step: Step, *, anchors: dict[Anchor, datetime | date], tz: ZoneInfo) -> datetime | None:
    """The UTC instant the step is due, or None when its anchor is unknown (e.g. no next session)."""
    anchor = anchors.get(step.anchor)
    if anchor is None:
        return None
    if step.at is None:
        if not isinstance(anchor, datetime):
            raise ValueError(f"{step.kind}: a date anchor needs a wall time")
        return (anchor + timedelta(minutes=step.minutes)).astimezone(UTC)
    anchor_day = anchor.astimezone(tz).date() if isinstance(anchor, datetime) else anchor
    return at_local(anchor_day + timedelta(days=step.days), step.at, tz)


def after_quiet_hours(when: datetime, tz: ZoneInfo, quiet: QuietHours) -> datetime:
    local = when.astimezone(tz)
    if not quiet.contains(local.timetz().replace(tzinfo=None)):
        return when
    wake_day = local.date() if local.time() < quiet.end else local.date() + timedelta(days=1)
    return at_local(wake_day, quiet.end, tz)


@dataclass(frozen=True)
class Planned:
    kind: Kind
    channel: str
    send_at: datetime  # UTC


def plan(
    steps: tuple[Step, ...] | list[Step],
    *,
    anchors: dict[Anchor, datetime | date],
    start: datetime,
    is_session: bool,
    channels: tuple[str, ...],
    tz: ZoneInfo,
    now: datetime,
    grace: timedelta = timedelta(minutes=3),
    quiet: QuietHours = QuietHours(),
) -> list[Planned]:
    """The messages to schedule for these steps, as of `now`.

    Nothing goes out before `now + grace`: a booking changed again within the grace period is
    re-planned before anything was sent, so the patient gets one message, not two. A step whose
    time has passed still goes (late) unless the session is already too close for it to help.
    Text messages wait out the quiet hours; e-mail does not.
    """
    earliest = now + grace
    planned: list[Planned] = []
    for step in steps:
        if step.sessions_only and not is_session:
            continue
        due = planned_time(step, anchors=anchors, tz=tz)
        if due is None:
            continue
        due = max(due, earliest)
        if step.latest_before_start is not None and due > start - step.latest_before_start:
            continue
        for channel in channels:
            send_at = after_quiet_hours(due, tz, quiet) if channel == "sms" else due
            if step.latest_before_start is not None and send_at > start - step.latest_before_start:
                continue
            planned.append(Planned(step.kind, channel, send_at))
    return sorted(planned, key=lambda p: (p.send_at, p.kind, p.channel))


@dataclass(frozen=True)
class SendFacts:
    """What the send task knows about the appointment at the moment it would send."""

    kind: Kind
    status: str  # the appointment's status now: "booked", "checked_in", "completed", "cancelled", ...
    start: datetime  # its start now
    planned_for_start: datetime  # its start when this message was planned
    now: datetime
    course_continues: bool = False  # sessions remain in the patient's course
    next_session_booked: bool = False
    # For the "anything changed?" reminder: when the patient last confirmed their health answers,
    # and how long before a session a confirmation counts for it.
    health_confirmed_at: datetime | None = None
    reconfirm_window: timedelta = timedelta(days=7)


PRE_VISIT = frozenset({
    Kind.BOOKING_CONFIRMATION, Kind.PAUSE_MEDICINES, Kind.RECONFIRM, Kind.STOCKINGS,
    Kind.DAY_BEFORE_PREPARATION, Kind.APPOINTMENT_REMINDER,
})


def should_send(facts: SendFacts) -> tuple[bool, str]:
    """Whether a planned message may still go, with the reason when not.

    A message planned for another start time (the appointment moved) or for a cancelled visit
    must never go: the move or cancellation planned its own messages.
    """
    if facts.start != facts.planned_for_start:
        return False, "moved"
    if facts.kind in PRE_VISIT:
        if facts.status != "booked":
            return False, f"appointment {facts.status}"
        if facts.now >= facts.start:
            return False, "appointment already started"
        if (facts.kind == Kind.RECONFIRM and facts.health_confirmed_at is not None
                and facts.health_confirmed_at >= facts.start - facts.reconfirm_window):
            return False, "health answers already confirmed for this visit"
        return True, ""
    if facts.status != "completed":
        return False, f"appointment {facts.status}"
    if facts.now < facts.start:  # whatever the status says, aftercare never goes before the visit
        return False, "the visit has not taken place yet"
    if facts.kind in COURSE_KINDS:
        if not facts.course_continues:
            return False, "course finished"
        if facts.next_session_booked:
            return False, "next session booked"
    return True, ""


# --- The patient's aftercare page ---------------------------------------------------------------
# (first day, last day after the session, what to do) — days counted from the session's date.
AFTERCARE_ADVICE: tuple[tuple[int, int, str], ...] = (
    (0, 0, "Walk for 15 to 30 minutes soon after your session."),
    (0, 7, "Go for a walk every day."),
    (0, 2, "Wear your compression stockings day and night (you may take them off briefly to shower from day 2)."),
    (3, 21, "Wear your compression stockings during the day."),
    (0, 3, "No hot baths, hot tubs, saunas or sunbathing."),
    (0, 3, "No flights."),
    (0, 5, "No running, jumping or weight training."),
    (0, 21, "For pain, take paracetamol (Tylenol), not ibuprofen or aspirin."),
    (3, 5, "Tell us how you are doing with the short check-in form."),
)


@dataclass(frozen=True)
class AftercareDay:
    day: date
    day_number: int  # 0 is the session day
    advice: tuple[str, ...]


def aftercare_days(session_day: date, today: date, *, ahead: int = 4) -> list[AftercareDay]:
    """Today's advice and the next `ahead` days', from the last session's date; empty once nothing applies."""
    days = []
    for offset in range(ahead + 1):
        day = today + timedelta(days=offset)
        n = (day - session_day).days
        advice = tuple(text for first, last, text in AFTERCARE_ADVICE if first <= n <= last)
        if advice:
            days.append(AftercareDay(day, n, advice))
    return days
