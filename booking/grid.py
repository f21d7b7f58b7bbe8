"""The desk's time grid: where each thing sits in a day's column. Pure Python, no Django.

A column is one clinician's (or one room's) day. The grid has a row every ``UNIT`` minutes of
local wall-clock time between the view's first and last hour (the ``Frame``, the same for every
column so rows line up). Each column is a list of ``Cell``s in time order:

- ``visit``: an appointment, spanning its blocked range (buffers included; ``before``/``after``
  say how many rows of it are buffer);
- ``free``: a bookable start on the clinic's step grid inside working hours, not busy, not past;
- ``target``: in move mode, a start where the visit being moved fits (computed by the caller
  with the availability engine) instead of the free cells;
- ``past``: a start inside working hours that has gone by;
- ``off``: outside working hours; ``timeoff``: the clinician's time off; ``closed``: a closure.

Cells come in time order, so the same list read top to bottom is the phone's day list.
Times are aware datetimes; rows are found from the local wall time, so a daylight-saving day
keeps "13:00" on the 13:00 row (the skipped or repeated night hour is outside any clinic's day).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

UNIT = 5  # minutes per grid row
DEFAULT_DAY = (8 * 60, 18 * 60)

# Within one row, what is drawn first (a visit is drawn over the shading of its rows).
_ORDER = {"closed": 0, "off": 1, "timeoff": 2, "past": 3, "free": 4, "target": 4, "visit": 5}


@dataclass(frozen=True)
class Frame:
    """The wall-clock span shown: minutes after local midnight, first included, last excluded."""

    first: int
    last: int

    @property
    def rows(self) -> int:
        return (self.last - self.first) // UNIT

    def hours(self) -> list[tuple[int, int]]:
        """(row, minute of day) of each full hour inside the frame, for the time axis."""
        first_hour = -(-self.first // 60) * 60
        return [((m - self.first) // UNIT + 1, m) for m in range(first_hour, self.last, 60)]


def frame_for(spans: Iterable[tuple[int, int]], *, default: tuple[int, int] = DEFAULT_DAY) -> Frame:
    """The whole hours covering every span (minutes of the day), or the default day if none."""
    spans = [(s, e) for s, e in spans if e > s]
    if not spans:
        return Frame(*default)
    first = min(s for s, _ in spans) // 60 * 60
    last = min(-(-max(e for _, e in spans) // 60) * 60, 24 * 60)
    return Frame(first, last)


def minutes(moment: datetime, tz: ZoneInfo, day: date) -> int:
    """Minutes after the local midnight of ``day`` (negative before it, beyond 1440 after it)."""
    local = moment.astimezone(tz)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute


def _minute_reader(day: date, tz: ZoneInfo, frame: Frame):
    """``minutes`` for one day's column, fast: when the clock does not change inside the frame
    (every day but two a year), a minute is plain arithmetic from the frame's first instant."""
    first, last = at(day, frame.first, tz), at(day, min(frame.last, 1439), tz)
    if first.utcoffset() != last.utcoffset():
        return lambda moment: minutes(moment, tz, day)
    base = first.timestamp()
    return lambda moment: frame.first + int((moment.timestamp() - base) // 60)


def at(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The instant of a wall-clock minute of ``day`` (0..1439; the first, if it happens twice)."""
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)


@dataclass(frozen=True)
class Visit:
    """An appointment as the grid needs it; ``payload`` is handed back on its cell."""

    start: datetime
    end: datetime
    blocked_start: datetime
    blocked_end: datetime
    payload: Any = None


@dataclass(frozen=True)
class Away:
    """Time the column cannot be booked (a clinician's time off), with a label for staff."""

    start: datetime
    end: datetime
    label: str = ""


@dataclass(frozen=True, slots=True)
class Cell:
    kind: str
    row: int  # 1-based first row
    span: int  # rows
    start: datetime | None = None  # free/target/past cells and visits: the instant it starts
    label: str = ""
    payload: Any = None
    before: int = 0  # visit: rows of buffer before the visit itself
    after: int = 0  # visit: rows of buffer after it
    minute: int = 0  # wall-clock minute of the day it starts (free, past, target, visit)
    end_minute: int = 0  # visit: wall-clock minute it ends


def _row(minute: int, frame: Frame) -> int:
    """1-based row of a minute of the day, clamped to the frame (rows + 1 is "after the end")."""
    return min(max((minute - frame.first) // UNIT, 0), frame.rows) + 1


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _overlaps(s: int, e: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(a < e and s < b for a, b in spans)


def column(
    *,
    day: date,
    tz: ZoneInfo,
    frame: Frame,
    step: int,
    open_spans: Sequence[tuple[int, int]],
    away: Sequence[Away] = (),
    closed: str | None = None,
    visits: Sequence[Visit] = (),
    busy: Sequence[tuple[datetime, datetime]] = (),
    now: datetime,
    targets: Sequence[Any] | None = None,
) -> list[Cell]:
    """The cells of one column for one local ``day``.

    ``open_spans``: bookable wall-clock spans (minutes of the day: working hours within opening
    hours). ``busy``: other blocked ranges that are not drawn as visits (live holds are drawn;
    this is for anything else that takes the time). ``closed``: the closure's label, or None.
    ``targets``: in move mode, objects with ``.start`` where the moved visit fits; free cells are
    then left out. Starts step from the beginning of each open span, like the availability engine.
    """
    cells: list[Cell] = []
    rows = frame.rows
    minute_of = _minute_reader(day, tz, frame)

    def span_rows(s: int, e: int) -> tuple[int, int]:
        first, last = _row(s, frame), _row(e + UNIT - 1, frame) if e > s else _row(s, frame) + 1
        return first, max(1, last - first)

    visit_minutes = [tuple(minute_of(x) for x in (v.blocked_start, v.start, v.end, v.blocked_end)) for v in visits]
    taken = [(bs, be) for bs, _s, _e, be in visit_minutes]
    taken += [(minute_of(s), minute_of(e)) for s, e in busy]
    away_spans = [(minute_of(a.start), minute_of(a.end), a.label) for a in away]
    open_merged = _merge(open_spans)

    if closed is not None:
        cells.append(Cell("closed", 1, rows, label=closed))
    else:
        # Shading: the frame minus the open spans is "off"; time off is drawn over it.
        cursor = frame.first
        for s, e in open_merged + [(frame.last, frame.last)]:
            if s > cursor:
                first, span = span_rows(cursor, min(s, frame.last))
                cells.append(Cell("off", first, span))
            cursor = max(cursor, e)
        for s, e, label in away_spans:
            s, e = max(s, frame.first), min(e, frame.last)
            if e > s:
                first, span = span_rows(s, e)
                cells.append(Cell("timeoff", first, span, label=label))
        blocked = _merge(taken + [(s, e) for s, e, _ in away_spans])
        now_minute = minute_of(now)
        if targets is None:
            k = 0  # walks the sorted blocked spans once: starts only grow
            for s, e in open_merged:
                for t in range(s, e, step):
                    end = min(t + step, e)
                    while k < len(blocked) and blocked[k][1] <= t:
                        k += 1
                    if (k < len(blocked) and blocked[k][0] < end) or not frame.first <= t < frame.last:
                        continue
                    first, span = span_rows(t, end)
                    kind = "free" if t > now_minute else "past"
                    cells.append(Cell(kind, first, span, start=at(day, t, tz), minute=t))
        else:
            for target in targets:
                t = minute_of(target.start)
                first, span = span_rows(t, t + step)
                cells.append(Cell("target", first, span, start=target.start, payload=target, minute=t))

    for v, (bs, s, e, be) in zip(visits, visit_minutes):
        first, span = span_rows(bs, be)
        before = min(max(0, (s - bs) // UNIT), span - 1)
        after = min(max(0, (be - e) // UNIT), span - 1 - before)
        cells.append(Cell("visit", first, span, start=v.start, payload=v.payload, before=before, after=after, minute=s,
                          end_minute=e))

    cells.sort(key=lambda c: (c.row, _ORDER[c.kind]))
    return cells


def now_row(now: datetime, tz: ZoneInfo, day: date, frame: Frame) -> float | None:
    """Where the current-time line sits (rows from the top, fractional), or None off this day."""
    m = minutes(now, tz, day)
    if not frame.first <= m < frame.last or now.astimezone(tz).date() != day:
        return None
    local = now.astimezone(tz)
    return (m - frame.first + local.second / 60) / UNIT
