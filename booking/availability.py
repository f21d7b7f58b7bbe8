"""Free appointment slots for a service. Pure Python, no Django.

Busy-interval contract
----------------------
``ClinicianCalendar.busy`` and ``RoomCalendar.busy`` are aware, half-open ``[start, end)``
intervals of time that is already taken: existing appointments **including their own buffers**
(store or compute an appointment's blocked range as ``ServiceSpec.blocked(start)``), live holds,
and for clinicians their time off. They may overlap, touch, arrive unsorted and span several days;
only intervals near the requested days matter, so the caller should pass just those.

A new slot ``[start, end)`` needs ``[start - buffer_before, end + buffer_after)`` clear of every busy
interval of its clinician and of the room it gets. Buffers therefore add up: an after-buffer of the
previous appointment is followed by the before-buffer of the next. The appointment itself must lie
inside the clinician's working hours and the clinic's opening hours; its buffers need only be free
of busy time unless ``BookingPolicy.buffers_inside_hours`` is set.

Time zones
----------
Working and opening hours are local wall-clock times. Each day's intervals are built as local
datetimes in the clinic's zone and converted to UTC, and slot starts step through local wall time
from the start of each working interval, so "13:00" is 13:00 local on both sides of a DST change.
Interval boundaries resolve to the first occurrence of a repeated wall time (fold=0), and a
boundary inside the skipped hour to the instant the clocks jump. Slot starts whose wall time does
not exist (the hour skipped in spring) are not offered; a repeated wall time (autumn) gives two
distinct instants and both are offered, so a 25-hour day has 25 hourly slots and a 23-hour day 23.
Show such starts with their UTC offset or zone abbreviation.

Speed
-----
Everything runs on integer microseconds since the epoch. Busy lists are merged once; for each
working interval the free start ranges come from one bisect and a walk over the busy intervals
inside it, and rooms are folded into one "lowest free room id" timeline, so the cost is
O((busy + slots) log busy), never slots x appointments.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from booking.spacing import Window

SlotProblem = Literal[
    "closed",  # the clinic is closed that date
    "too_soon",  # before now + notice
    "too_far",  # at or after now + horizon
    "outside_window",  # outside the spacing window / requested bounds
    "unknown_clinician",
    "outside_hours",  # not inside the clinician's working hours and the clinic's opening hours
    "off_grid",  # inside hours but not on the step grid
    "taken",  # the clinician is busy
    "no_room",  # the service needs a room and none is free
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_TICK = timedelta(microseconds=1)
_DAY = timedelta(days=1)


def _ticks(moment: datetime) -> int:
    return (moment - _EPOCH) // _TICK


def _instant(ticks: int) -> datetime:
    return _EPOCH + timedelta(microseconds=ticks)


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


@dataclass(frozen=True, slots=True)
class Interval:
    """Aware half-open interval [start, end); UTC by convention, any zone works."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, "Interval.start")
        _require_aware(self.end, "Interval.end")
        if self.end <= self.start:
            raise ValueError("Interval.end must be after Interval.start")


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Local wall-clock hours [start, end) on a weekday (0 = Monday). end=time(0) means midnight
    at the end of the day; intervals crossing midnight are not supported."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("WeeklyHours are local wall-clock times without tzinfo")
        start, end = self.offsets()
        if end <= start:
            raise ValueError("WeeklyHours.end must be after start (use time(0) for midnight)")

    def offsets(self) -> tuple[timedelta, timedelta]:
        """Start and end as offsets from local midnight, in wall-clock time."""

        def offset(t: time) -> timedelta:
            return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)

        end = offset(self.end)
        return offset(self.start), end if end else _DAY


@dataclass(frozen=True, slots=True)
class ClinicianCalendar:
    clinician_id: int
    weekly_hours: tuple[WeeklyHours, ...]
    busy: tuple[Interval, ...] = ()  # appointments incl. their buffers, holds, time off


@dataclass(frozen=True, slots=True)
class RoomCalendar:
    room_id: int
    busy: tuple[Interval, ...] = ()  # appointments incl. their buffers, holds


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    needs_room: bool = True

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError("duration must be positive")
        if self.buffer_before < timedelta(0) or self.buffer_after < timedelta(0):
            raise ValueError("buffers must not be negative")

    def blocked(self, start: datetime) -> Interval:
        """The busy interval an appointment of this service starting at ``start`` occupies."""
        return Interval(start - self.buffer_before, start + self.duration + self.buffer_after)


@dataclass(frozen=True, slots=True)
class BookingPolicy:
    notice: timedelta = timedelta(hours=24)  # earliest start: now + notice (inclusive)
    horizon: timedelta = timedelta(days=90)  # latest start: before now + horizon
    step: timedelta = timedelta(minutes=15)
    buffers_inside_hours: bool = False  # True: buffers must fit in working/opening hours too

    def __post_init__(self) -> None:
        if self.notice < timedelta(0):
            raise ValueError("notice must not be negative")
        if self.horizon <= timedelta(0):
            raise ValueError("horizon must be positive")
        if self.step <= timedelta(0):
            raise ValueError("step must be positive")


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime  # aware UTC
    end: datetime  # start + duration; buffers excluded
    clinician_id: int
    room_id: int | None


@dataclass(frozen=True, slots=True)
class SlotCheck:
    ok: bool
    reason: SlotProblem | None
    slot: Slot | None  # the confirmed slot, with its room, when ok


# Most specific first: when no clinician fits, report the reason of the one that came closest.
_CLINICIAN_PROBLEMS: tuple[SlotProblem, ...] = ("no_room", "taken", "off_grid", "outside_hours")

_Hours = dict[int, list[tuple[timedelta, timedelta]]]  # weekday -> merged wall-clock offsets
_Busy = tuple[list[int], list[int]]  # merged busy intervals: sorted starts, matching ends


def _merge_hours(hours: Iterable[WeeklyHours]) -> _Hours:
    by_day: _Hours = {d: [] for d in range(7)}
    for h in hours:
        by_day[h.weekday].append(h.offsets())
    for day, spans in by_day.items():
        merged: list[tuple[timedelta, timedelta]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        by_day[day] = merged
    return by_day


def _intersect_hours(hours: _Hours, bound: _Hours | None) -> _Hours:
    if bound is None:
        return hours
    result: _Hours = {}
    for day, spans in hours.items():
        result[day] = [
            (max(s, bs), min(e, be))
            for s, e in spans
            for bs, be in bound[day]
            if max(s, bs) < min(e, be)
        ]
    return result


def _merge_busy(busy: Iterable[Interval]) -> _Busy:
    starts: list[int] = []
    ends: list[int] = []
    # Sorting already-sorted input is linear, so callers need not promise an order.
    for s, e in sorted((_ticks(b.start), _ticks(b.end)) for b in busy):
        if ends and s <= ends[-1]:
            if e > ends[-1]:
                ends[-1] = e
        else:
            starts.append(s)
            ends.append(e)
    return starts, ends


def _free_starts(busy: _Busy, a: int, b: int, before: int, after: int) -> Iterator[tuple[int, int]]:
    """Closed ranges [p, q] within [a, b] of starts s whose need [s - before, s + after) is free.

    Busy interval k blocks exactly the starts in the open range (start_k - after, end_k + before).
    """
    starts, ends = busy
    n = len(starts)
    k = bisect_right(ends, a - before)  # earlier intervals cannot block any start >= a
    p = a
    while p <= b:
        if k == n:
            yield p, b
            return
        last_free = starts[k] - after
        if last_free >= p:
            yield p, min(b, last_free)
        p = max(p, ends[k] + before)
        k += 1


def _is_free(busy: _Busy, lo: int, hi: int) -> bool:
    starts, ends = busy
    k = bisect_right(ends, lo)
    return k == len(starts) or starts[k] >= hi


def _wall_ticks(wall: datetime) -> int:
    return (wall - _NAIVE_EPOCH) // _TICK


class _Context:
    """State shared by free_slots and check_slot, so both apply exactly the same rules."""

    def __init__(
        self,
        *,
        service: ServiceSpec,
        tz: ZoneInfo,
        now: datetime,
        policy: BookingPolicy,
        opening_hours: Sequence[WeeklyHours] | None,
        closures: Collection[date],
        within: Interval | Window | None,
    ) -> None:
        _require_aware(now, "now")
        self.tz = tz
        self.step = policy.step // _TICK
        self.duration = service.duration // _TICK
        self.before = service.buffer_before // _TICK
        self.after = service.buffer_after // _TICK
        self.needs_room = service.needs_room
        self.buffers_inside_hours = policy.buffers_inside_hours
        self.opening = None if opening_hours is None else _merge_hours(opening_hours)
        self.closures = frozenset(closures)
        # Start bounds: lo inclusive, hi exclusive.
        self.lo = _ticks(now + policy.notice)
        self.hi = _ticks(now + policy.horizon)
        self.window_lo: int | None = None
        self.window_hi: int | None = None
        if within is not None:
            if not isinstance(within, Interval):
                within = Interval(*within.bounds_utc(tz))
            self.window_lo, self.window_hi = _ticks(within.start), _ticks(within.end)
        self._grids: dict[tuple[date, timedelta, timedelta], tuple[int, int, list[int]]] = {}

    @property
    def start_lo(self) -> int:
        return self.lo if self.window_lo is None else max(self.lo, self.window_lo)

    @property
    def start_hi(self) -> int:
        return self.hi if self.window_hi is None else min(self.hi, self.window_hi)

    def hours(self, calendar: ClinicianCalendar) -> _Hours:
        return _intersect_hours(_merge_hours(calendar.weekly_hours), self.opening)

    def _resolve(self, wall: datetime) -> tuple[int, ...]:
        """UTC ticks of a local wall time: none if skipped, two if repeated, else one."""
        early = self.tz.utcoffset(wall)  # naive wall time has fold=0
        late = self.tz.utcoffset(wall.replace(fold=1))
        base = _wall_ticks(wall)
        if early == late:
            return (base - early // _TICK,)
        if early < late:  # the wall time falls in a spring-forward gap
            return ()
        return (base - early // _TICK, base - late // _TICK)

    def _boundary(self, wall: datetime) -> int:
        """UTC ticks of a working-interval boundary: the first occurrence of a repeated wall
        time, and for a skipped one the instant the clocks jump (where that time would be)."""
        resolved = self._resolve(wall)
        if resolved:
            return resolved[0]
        # In a gap the fold=1 reading lies before the jump and the fold=0 one after it;
        # bisect the whole seconds in between for the first instant with the new offset.
        base = _wall_ticks(wall)
        late = self.tz.utcoffset(wall.replace(fold=1))
        lo = (base - late // _TICK) // 1_000_000
        hi = -(-(base - self.tz.utcoffset(wall) // _TICK) // 1_000_000)
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            if _instant(mid * 1_000_000).astimezone(self.tz).utcoffset() == late:
                hi = mid
            else:
                lo = mid
        return hi * 1_000_000

    def grid(self, day: date, start: timedelta, end: timedelta) -> tuple[int, int, list[int]]:
        """UTC bounds of a local working interval and its step grid of candidate starts."""
        key = (day, start, end)
        cached = self._grids.get(key)
        if cached is not None:
            return cached
        midnight = datetime.combine(day, time())
        first, last = midnight + start, midnight + end
        start_ticks, end_ticks = self._boundary(first), self._boundary(last)
        offsets = {self.tz.utcoffset(wall.replace(fold=f)) for wall in (first, last) for f in (0, 1)}
        if len(offsets) == 1:
            # No offset change inside the interval: the wall grid is an arithmetic UTC grid.
            grid = list(range(start_ticks, end_ticks, self.step))
        else:
            grid = []
            wall, step = first, timedelta(microseconds=self.step)
            while wall < last:
                grid.extend(self._resolve(wall))
                wall += step
            grid.sort()
        result = (start_ticks, end_ticks, grid)
        self._grids[key] = result
        return result

    def start_range(self, start_ticks: int, end_ticks: int) -> tuple[int, int]:
        """Closed range of starts that keep the appointment inside [start_ticks, end_ticks)."""
        if self.buffers_inside_hours:
            return start_ticks + self.before, end_ticks - self.duration - self.after
        return start_ticks, end_ticks - self.duration


def _room_timeline(
    rooms: Sequence[RoomCalendar], ctx: _Context, a: int, b: int
) -> tuple[list[int], list[int], list[int]]:
    """Segments [start, end] of starts in [a, b] labelled with the lowest-id free room."""
    events: list[tuple[int, int, int]] = []
    need_after = ctx.duration + ctx.after
    for room in rooms:
        for p, q in _free_starts(_merge_busy(room.busy), a, b, ctx.before, need_after):
            events.append((p, 1, room.room_id))
            events.append((q + 1, -1, room.room_id))
    events.sort()
    seg_starts: list[int] = []
    seg_ends: list[int] = []
    seg_rooms: list[int] = []
    free: Counter[int] = Counter()
    i, n = 0, len(events)
    while i < n:
        x = events[i][0]
        while i < n and events[i][0] == x:
            _, delta, room_id = events[i]
            free[room_id] += delta
            i += 1
        if i == n:
            break
        room_ids = [r for r, count in free.items() if count > 0]
        if not room_ids:
            continue
        lowest, seg_end = min(room_ids), events[i][0] - 1
        if seg_rooms and seg_rooms[-1] == lowest and seg_ends[-1] == x - 1:
            seg_ends[-1] = seg_end
        else:
            seg_starts.append(x)
            seg_ends.append(seg_end)
            seg_rooms.append(lowest)
    return seg_starts, seg_ends, seg_rooms


def free_slots(
    *,
    service: ServiceSpec,
    clinicians: Sequence[ClinicianCalendar],
    rooms: Sequence[RoomCalendar] = (),
    tz: ZoneInfo,
    first_day: date,
    last_day: date,
    now: datetime,
    policy: BookingPolicy = BookingPolicy(),
    opening_hours: Sequence[WeeklyHours] | None = None,
    closures: Collection[date] = (),
    within: Interval | Window | None = None,
    limit: int | None = None,
) -> list[Slot]:
    """Free slots starting on local dates first_day..last_day, sorted by start then clinician id.

    ``opening_hours=None`` means the clinic imposes no hours of its own; an empty sequence means
    it is never open. ``within`` (an Interval or a spacing Window) bounds slot starts to
    [start, end). ``limit`` stops after that many slots (e.g. "next available").
    A service that needs a room gets the free room with the lowest id.
    """
    ctx = _Context(
        service=service,
        tz=tz,
        now=now,
        policy=policy,
        opening_hours=opening_hours,
        closures=closures,
        within=within,
    )
    lo, hi = ctx.start_lo, ctx.start_hi - 1  # closed range of allowed starts
    if lo > hi or first_day > last_day:
        return []
    # Skip days that cannot hold an allowed start; a day of margin covers odd offsets.
    first_day = max(first_day, _instant(lo).astimezone(tz).date() - _DAY)
    last_day = min(last_day, _instant(hi).astimezone(tz).date() + _DAY)

    calendars = sorted(clinicians, key=lambda c: c.clinician_id)
    hours = [ctx.hours(c) for c in calendars]
    busy = [_merge_busy(c.busy) for c in calendars]
    need_after = ctx.duration + ctx.after
    if ctx.needs_room:
        span_lo = max(lo, _ticks(datetime.combine(first_day, time(), tzinfo=tz)))
        span_hi = min(hi, _ticks(datetime.combine(last_day + _DAY, time(), tzinfo=tz)))
        room_starts, room_ends, room_ids = _room_timeline(
            sorted(rooms, key=lambda r: r.room_id), ctx, span_lo, span_hi
        )

    result: list[Slot] = []
    instants: dict[int, datetime] = {}
    day = first_day
    while day <= last_day:
        if day in ctx.closures:
            day += _DAY
            continue
        weekday = day.weekday()
        found: list[tuple[int, int, int | None]] = []
        for calendar, clinician_hours, clinician_busy in zip(calendars, hours, busy):
            clinician_id = calendar.clinician_id
            for start, end in clinician_hours[weekday]:
                start_ticks, end_ticks, grid = ctx.grid(day, start, end)
                first, last = ctx.start_range(start_ticks, end_ticks)
                first, last = max(first, lo), min(last, hi)
                for p, q in _free_starts(clinician_busy, first, last, ctx.before, need_after):
                    if not ctx.needs_room:
                        found.extend(
                            (s, clinician_id, None)
                            for s in grid[bisect_left(grid, p) : bisect_right(grid, q)]
                        )
                        continue
                    k = bisect_left(room_ends, p)
                    while k < len(room_starts) and room_starts[k] <= q:
                        room_id = room_ids[k]
                        i = bisect_left(grid, max(p, room_starts[k]))
                        j = bisect_right(grid, min(q, room_ends[k]))
                        found.extend((s, clinician_id, room_id) for s in grid[i:j])
                        k += 1
        found.sort()  # one row per (start, clinician), so room ids are never compared
        for s, clinician_id, room_id in found:
            start_dt = instants.get(s)
            if start_dt is None:
                start_dt = instants[s] = _instant(s)
            end_dt = instants.get(s + ctx.duration)
            if end_dt is None:
                end_dt = instants[s + ctx.duration] = _instant(s + ctx.duration)
            result.append(Slot(start_dt, end_dt, clinician_id, room_id))
            if limit is not None and len(result) >= limit:
                return result
        day += _DAY
    return result


def check_slot(
    *,
    start: datetime,
    clinician_id: int | None,
    service: ServiceSpec,
    clinicians: Sequence[ClinicianCalendar],
    rooms: Sequence[RoomCalendar] = (),
    tz: ZoneInfo,
    now: datetime,
    policy: BookingPolicy = BookingPolicy(),
    opening_hours: Sequence[WeeklyHours] | None = None,
    closures: Collection[date] = (),
    within: Interval | Window | None = None,
) -> SlotCheck:
    """Server-side re-check of a chosen (possibly tampered) slot start.

    Same rules as free_slots. ``clinician_id=None`` means any clinician: the first by id that fits
    wins. The room is always chosen here (lowest free id), never taken from the request; the end
    is recomputed from the service. Pass the busy intervals as they are now, under the booking lock.
    """
    _require_aware(start, "start")
    ctx = _Context(
        service=service,
        tz=tz,
        now=now,
        policy=policy,
        opening_hours=opening_hours,
        closures=closures,
        within=within,
    )
    s = _ticks(start)
    day = start.astimezone(tz).date()
    if day in ctx.closures:
        return SlotCheck(False, "closed", None)
    if s < ctx.lo:
        return SlotCheck(False, "too_soon", None)
    if s >= ctx.hi:
        return SlotCheck(False, "too_far", None)
    if (ctx.window_lo is not None and s < ctx.window_lo) or (
        ctx.window_hi is not None and s >= ctx.window_hi
    ):
        return SlotCheck(False, "outside_window", None)

    candidates = sorted(
        (c for c in clinicians if clinician_id is None or c.clinician_id == clinician_id),
        key=lambda c: c.clinician_id,
    )
    if not candidates:
        return SlotCheck(False, "unknown_clinician", None)
    need_lo, need_hi = s - ctx.before, s + ctx.duration + ctx.after
    problems: set[SlotProblem] = set()
    for calendar in candidates:
        fitting: list[list[int]] = []
        for span_start, span_end in ctx.hours(calendar)[day.weekday()]:
            start_ticks, end_ticks, grid = ctx.grid(day, span_start, span_end)
            first, last = ctx.start_range(start_ticks, end_ticks)
            if first <= s <= last:
                fitting.append(grid)
        if not fitting:
            problems.add("outside_hours")
            continue
        if not any(bisect_right(grid, s) > bisect_left(grid, s) for grid in fitting):
            problems.add("off_grid")
            continue
        if not _is_free(_merge_busy(calendar.busy), need_lo, need_hi):
            problems.add("taken")
            continue
        room_id = None
        if ctx.needs_room:
            room_id = next(
                (
                    room.room_id
                    for room in sorted(rooms, key=lambda r: r.room_id)
                    if _is_free(_merge_busy(room.busy), need_lo, need_hi)
                ),
                None,
            )
            if room_id is None:
                problems.add("no_room")
                continue
        slot = Slot(_instant(s), _instant(s + ctx.duration), calendar.clinician_id, room_id)
        return SlotCheck(True, None, slot)
    reason = next(p for p in _CLINICIAN_PROBLEMS if p in problems)
    return SlotCheck(False, reason, None)


def first_per_start(slots: Iterable[Slot]) -> list[Slot]:
    """The "any clinician" view: one slot per start time, the first seen (lowest clinician id
    when the input comes from free_slots)."""
    seen: set[datetime] = set()
    result = []
    for slot in slots:
        if slot.start not in seen:
            seen.add(slot.start)
            result.append(slot)
    return result


def nearest_free(slots: Sequence[Slot], target: datetime, n: int = 3) -> list[Slot]:
    """The ``n`` slots whose starts are closest to ``target``, in chronological order.

    ``slots`` must be sorted by start (as free_slots returns them); ties go to the earlier slot.
    For the any-clinician view pass ``first_per_start(slots)`` so one time is not listed twice.
    """
    _require_aware(target, "target")
    right = bisect_left(slots, target, key=lambda slot: slot.start)
    left = right - 1
    picked: list[Slot] = []
    while len(picked) < n and (left >= 0 or right < len(slots)):
        take_left = right >= len(slots) or (
            left >= 0 and target - slots[left].start <= slots[right].start - target
        )
        if take_left:
            picked.append(slots[left])
            left -= 1
        else:
            picked.append(slots[right])
            right += 1
    return sorted(picked, key=lambda slot: (slot.start, slot.clinician_id))
