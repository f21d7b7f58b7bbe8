"""Reads for the front desk: the calendar grid (day and week), the day sheet and the worklist.

Every function here runs a fixed number of queries, whatever the number of clinicians,
appointments, courses or waiting patients (tests/booking/test_desk_queries.py holds the budgets).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery, Window

from clinic.models import Clinic, Clinician, OpeningHours, Room
from intake import selectors as intake_selectors

from . import availability, grid, selectors, spacing
from .models import (
    BLOCKING_STATUSES,
    Appointment,
    BookingPolicy,
    ClinicClosure,
    ContactChannel,
    CourseContact,
    CourseStatus,
    ServiceKind,
    Status,
    TimeOff,
    TreatmentCourse,
    WaitlistEntry,
    WaitlistStatus,
    WorkingHours,
)

BY_CLINICIAN = "clinician"
BY_ROOM = "room"


def clinician_label(first: str, last: str, email: str, title: str) -> str:
    """A clinician's name as clinic.models.Clinician.__str__ writes it, from plain values."""
    name = f"{first} {last}".strip() or email
    return f"{name}, {title}" if title else name


def first_resource(by: str) -> int | None:
    """The first clinician (by name) or room, as the calendar lists them."""
    if by == BY_ROOM:
        return Room.objects.filter(is_active=True).order_by("name", "pk").values_list("pk", flat=True).first()
    return (
        Clinician.objects.filter(staff__is_active=True)
        .order_by("staff__user__last_name", "staff__user__first_name", "pk")
        .values_list("pk", flat=True)
        .first()
    )


def _minutes_of(t) -> int:
    return t.hour * 60 + t.minute


def _spans_for(weekly: list[tuple[int, object, object]], weekday: int) -> list[tuple[int, int]]:
    """Wall-clock spans (minutes of the day) of one weekday from (weekday, starts, ends) rows."""
    return [(_minutes_of(s), _minutes_of(e) or 1440) for wd, s, e in weekly if wd == weekday]


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]] | None) -> list[tuple[int, int]]:
    if b is None:  # the clinic has no opening hours of its own
        return a
    return [(max(s, bs), min(e, be)) for s, e in a for bs, be in b if max(s, bs) < min(e, be)]


@dataclass
class Resource:
    """A column's owner: a clinician or a room."""

    pk: int
    name: str
    weekly: list[tuple[int, object, object]] = field(default_factory=list)  # clinicians' hours


@dataclass
class GridColumn:
    resource: Resource
    day: date
    cells: list[grid.Cell]
    closed: str | None = None
    now_row: float | None = None
    room_view: bool = False

    @property
    def clinician_id(self) -> int | None:
        return None if self.room_view else self.resource.pk

    @property
    def room_id(self) -> int | None:
        return self.resource.pk if self.room_view else None

    @property
    def param(self) -> str:
        """The booking page's query parameter that names this column's owner."""
        return "room" if self.room_view else "clinician"


@dataclass
class DeskGrid:
    clinic: Clinic
    policy: BookingPolicy
    tz: ZoneInfo
    days: list[date]
    by: str
    frame: grid.Frame
    columns: list[GridColumn]
    resources: list[Resource]  # every clinician (or room), for the week view's picker
    appointments: list[VisitRow]
    moving: Appointment | None = None

    @property
    def is_week(self) -> bool:
        return len(self.days) > 1


@dataclass(slots=True)
class VisitRow:
    """One appointment as the desk's pages draw it: plain values from one query, no model objects
    (400 visits on a busy day; building model instances for them cost more than the page)."""

    pk: int
    status: str
    start: datetime
    end: datetime
    blocked_start: datetime
    blocked_end: datetime
    status_changed_at: datetime | None
    checked_in_at: datetime | None
    clinician_id: int
    room_id: int | None
    patient_name: str
    service_name: str
    sequence: int | None
    planned: int | None
    room_name: str | None
    clinician_name: str

    @property
    def status_label(self) -> str:
        return Status(self.status).label


_VISIT_VALUES = (
    "pk", "status", "start", "end", "blocked_start", "blocked_end", "status_changed_at", "checked_in_at", "clinician_id",
    "room_id", "patient__first_name", "patient__last_name", "service__name", "sequence", "course__planned_sessions",
    "room__name", "clinician__staff__user__first_name", "clinician__staff__user__last_name", "clinician__staff__user__email",
    "clinician__title",
)


def _visit_row(values: tuple) -> VisitRow:
    """A VisitRow from the first len(_VISIT_VALUES) values of a values_list row."""
    (pk, status, start, end, bs, be, changed, checked, cid, rid, first, last, service, seq, planned, room,
     cf, cl, ce, ct) = values[: len(_VISIT_VALUES)]
    return VisitRow(pk, status, start, end, bs, be, changed, checked, cid, rid, f"{first} {last}", service, seq, planned, room,
                    clinician_label(cf, cl, ce, ct))


def visit_rows(*, lo: datetime, hi: datetime, now: datetime, **only) -> list[VisitRow]:
    """The visits touching [lo, hi), cancelled ones and expired holds left out, by start."""
    live = ~Q(status=Status.CANCELLED) & ~Q(status=Status.HELD, hold_expires_at__lte=now)
    rows = Appointment.objects.filter(live, blocked_start__lt=hi, blocked_end__gt=lo, **only).order_by("start", "pk")
    return [_visit_row(values) for values in rows.values_list(*_VISIT_VALUES)]


@dataclass
class _Loaded:
    """The rows one view of the calendar needs, read once."""

    clinic: Clinic
    policy: BookingPolicy
    tz: ZoneInfo
    resources: list[Resource]
    opening: list[tuple[int, object, object]] | None
    closures: dict[date, str]
    appointments: list[VisitRow]
    time_off: list[TimeOff]


def _load(*, days: list[date], by: str, only: int | None, now: datetime) -> _Loaded:
    clinic = selectors.current_clinic(closures_on=days)
    policy = selectors.policy_for(clinic)
    tz = clinic.tzinfo
    lo, hi = selectors.day_bounds(days[0], days[-1], tz)
    if by == BY_ROOM:
        resources = [Resource(pk, name) for pk, name in Room.objects.filter(clinic=clinic, is_active=True)
                     .order_by("name", "pk").values_list("pk", "name")]
    else:
        # One query for the clinicians and their weekly hours (a LEFT JOIN: no hours, no rows).
        by_pk: dict[int, Resource] = {}
        rows = (
            Clinician.objects.filter(staff__is_active=True)
            .order_by("staff__user__last_name", "staff__user__first_name", "pk")
            .values_list("pk", "staff__user__first_name", "staff__user__last_name", "staff__user__email", "title",
                         "working_hours__weekday", "working_hours__starts", "working_hours__ends")
        )
        for pk, first, last, email, title, weekday, starts, ends in rows:
            resource = by_pk.setdefault(pk, Resource(pk, clinician_label(first, last, email, title)))
            if weekday is not None:
                resource.weekly.append((weekday, starts, ends))
        resources = list(by_pk.values())
    appointments = visit_rows(lo=lo, hi=hi, now=now, **({f"{by}_id": only} if only is not None else {}))
    time_off = []
    if by == BY_CLINICIAN:
        time_off = TimeOff.objects.filter(start__lt=hi, end__gt=lo)
        if only is not None:
            time_off = time_off.filter(clinician_id=only)
        time_off = list(time_off.order_by("start"))
    opening = list(OpeningHours.objects.filter(clinic=clinic).values_list("weekday", "opens", "closes"))
    return _Loaded(clinic, policy, tz, resources, opening or None, clinic.closures_on, appointments, time_off)


def _by_day(data: _Loaded, days: list[date]) -> dict[date, list[VisitRow]]:
    """The visits of each local day (by their start), found by comparing instants with each day's
    bounds rather than converting 400 starts to the clinic's zone."""
    bounds = [(day, *selectors.day_bounds(day, day, data.tz)) for day in days]
    found: dict[date, list[VisitRow]] = {day: [] for day in days}
    for a in data.appointments:
        for day, lo, hi in bounds:
            if lo <= a.start < hi:
                found[day].append(a)
                break
    return found


def _frame(data: _Loaded, by_day: dict[date, list[VisitRow]], columns_spans: list[list[tuple[int, int]]]) -> grid.Frame:
    """The hours every column shows: working and opening hours, stretched to any visit outside them."""
    spans = [s for spans in columns_spans for s in spans]
    for day, visits in by_day.items():
        if data.opening is not None:
            spans += _spans_for(data.opening, day.weekday())
        if visits:
            earliest = min(a.blocked_start for a in visits)
            latest = max(a.blocked_end for a in visits)
            spans.append((grid.minutes(earliest, data.tz, day), grid.minutes(latest, data.tz, day)))
    return grid.frame_for([(max(0, s), min(1440, e)) for s, e in spans])


def desk_grid(
    *,
    days: list[date],
    by: str,
    now: datetime,
    only: int | None = None,
    moving: Appointment | None = None,
) -> DeskGrid:
    """The calendar for ``days`` (one day: every clinician or room; a week: the one ``only``).

    ``moving``: an appointment being moved; its free cells are replaced by the times where it
    fits (the availability engine, fed from the rows already read).
    """
    data = _load(days=days, by=by, only=only, now=now)
    tz = data.tz
    step = data.policy.slot_step_minutes
    room_view = by == BY_ROOM
    resources = data.resources if only is None else [r for r in data.resources if r.pk == only]
    pairs = [(r, d) for d in days for r in resources] if len(days) == 1 else [(r, d) for r in resources for d in days]

    by_day = _by_day(data, days)
    visits_by: dict[tuple[int | None, date], list[VisitRow]] = defaultdict(list)
    for day, visits in by_day.items():
        for a in visits:
            visits_by[(a.room_id if room_view else a.clinician_id, day)].append(a)
    away_by: dict[int, list[TimeOff]] = defaultdict(list)
    for t in data.time_off:
        away_by[t.clinician_id].append(t)

    def open_spans(resource: Resource, day: date) -> list[tuple[int, int]]:
        opening = _spans_for(data.opening, day.weekday()) if data.opening is not None else None
        if room_view:  # a room is open when the clinic is (all day when it sets no hours)
            return opening if opening is not None else [grid.DEFAULT_DAY]
        return _intersect(_spans_for(resource.weekly, day.weekday()), opening)

    spans = {(r.pk, d): open_spans(r, d) for r, d in pairs}
    frame = _frame(data, by_day, list(spans.values()))
    targets = _move_targets(data, days, moving, now) if moving is not None else None

    columns = []
    for resource, day in pairs:
        closed = data.closures.get(day)
        if closed is not None and not closed:
            closed = "Clinic closed"
        column_visits = visits_by.get((resource.pk, day), [])
        cells = grid.column(
            day=day, tz=tz, frame=frame, step=step, open_spans=spans[(resource.pk, day)],
            away=[grid.Away(t.start, t.end, t.reason or "Time off") for t in away_by.get(resource.pk, [])],
            closed=closed,
            visits=[grid.Visit(a.start, a.end, a.blocked_start, a.blocked_end, a) for a in column_visits],
            now=now,
            targets=None if targets is None else targets.get((resource.pk, day), []),
        )
        columns.append(GridColumn(resource, day, cells, closed, grid.now_row(now, tz, day, frame), room_view))
    return DeskGrid(data.clinic, data.policy, tz, days, by, frame, columns, data.resources, data.appointments, moving)


def _move_targets(data: _Loaded, days: list[date], moving: Appointment, now: datetime) -> dict:
    """Where ``moving`` fits on these days, by (clinician, day): the engine, fed the rows read.

    Two more queries (the service's clinicians, the rooms); the moved visit does not block
    itself, and a course session stays inside its spacing window.
    """
    service = moving.service
    tz = data.tz
    clinician_ids = set(service.clinicians.filter(staff__is_active=True).values_list("pk", flat=True))
    room_ids = list(Room.objects.filter(clinic=data.clinic, is_active=True).order_by("pk").values_list("pk", flat=True)) \
        if service.needs_room else []
    clinician_busy: dict[int, list[availability.Interval]] = defaultdict(list)
    room_busy: dict[int, list[availability.Interval]] = defaultdict(list)
    for a in data.appointments:
        if a.pk == moving.pk or a.status == Status.CANCELLED:
            continue
        interval = availability.Interval(a.blocked_start, a.blocked_end)
        clinician_busy[a.clinician_id].append(interval)
        if a.room_id is not None:
            room_busy[a.room_id].append(interval)
    for t in data.time_off:
        clinician_busy[t.clinician_id].append(availability.Interval(t.start, t.end))
    calendars = [
        availability.ClinicianCalendar(
            r.pk,
            tuple(availability.WeeklyHours(wd, s, e) for wd, s, e in r.weekly),
            tuple(clinician_busy[r.pk]),
        )
        for r in data.resources if r.pk in clinician_ids
    ]
    window = None
    if moving.course_id and moving.sequence and moving.sequence > 1:
        state = selectors.course_state(moving.course, policy=data.policy, tz=tz)
        window = selectors.window_for_sequence(state, moving.sequence, policy=data.policy, tz=tz)
    slots = availability.free_slots(
        service=service.spec,
        clinicians=calendars,
        rooms=[availability.RoomCalendar(rid, tuple(room_busy[rid])) for rid in room_ids],
        tz=tz,
        first_day=days[0],
        last_day=days[-1],
        now=now,
        policy=selectors.slot_policy(data.policy, now=now, staff=True, within=window, tz=tz),
        opening_hours=[availability.WeeklyHours(wd, s, e) for wd, s, e in data.opening] if data.opening else None,
        closures=set(data.closures),
        within=window,
    )
    targets: dict[tuple[int, date], list[availability.Slot]] = defaultdict(list)
    for slot in slots:
        targets[(slot.clinician_id, slot.start.astimezone(tz).date())].append(slot)
    return targets


def day_sheet(*, day: date, clinician_id: int | None, now: datetime) -> tuple[Clinic, list[tuple[Resource, list[Appointment]]]]:
    """Each clinician's visits of one day, in time order, for printing."""
    data = _load(days=[day], by=BY_CLINICIAN, only=clinician_id, now=now)
    lo, hi = selectors.day_bounds(day, day, data.tz)
    rows = Appointment.objects.filter(start__gte=lo, start__lt=hi).exclude(status__in=[Status.CANCELLED, Status.HELD])
    if clinician_id is not None:
        rows = rows.filter(clinician_id=clinician_id)
    by_clinician: dict[int, list[Appointment]] = defaultdict(list)
    for a in rows.select_related("patient", "service", "course", "room").order_by("start", "pk"):
        by_clinician[a.clinician_id].append(a)
    resources = data.resources if clinician_id is None else [r for r in data.resources if r.pk == clinician_id]
    return data.clinic, [(r, by_clinician[r.pk]) for r in resources if by_clinician[r.pk] or clinician_id is not None]


# --- the worklist --------------------------------------------------------------------------------


ARRIVALS_SHOWN = 12


def arrivals(*, day: date, tz: ZoneInfo, limit: int = ARRIVALS_SHOWN) -> tuple[list[VisitRow], int]:
    """The day's visits still to come or in the clinic (booked or checked in), in time order: the
    first ``limit`` of them and how many there are in all (one query: a window count).

    A booked visit whose time has passed stays here until someone marks it completed or a
    no-show; visits already settled are on the calendar.
    """
    lo, hi = selectors.day_bounds(day, day, tz)
    rows = list(
        Appointment.objects.filter(start__gte=lo, start__lt=hi, status__in=[Status.BOOKED, Status.CHECKED_IN])
        .annotate(total=Window(Count("pk")))
        .order_by("start", "pk")
        .values_list(*_VISIT_VALUES, "total")[:limit]
    )
    return [_visit_row(values) for values in rows], rows[0][-1] if rows else 0


@dataclass(slots=True)
class Contactable:
    """A worklist line about one patient that the desk resolves by calling or writing."""

    pk: int  # the appointment, or the course
    patient_pk: int
    patient_name: str
    phone: object  # a PhoneNumber, or "" when there is none
    email: str
    when: datetime  # the session (re-confirmation) or the last completed session (overdue)
    extra: dict = field(default_factory=dict)


def reconfirmations_missing(*, now: datetime, days_ahead: int = 7) -> list[Contactable]:
    """Treatment sessions in the next ``days_ahead`` days whose patient has not confirmed
    "anything changed?" within the clinic's re-confirmation days before the session (a new
    screening counts too). One query: intake's confirmation times come in as subqueries.
    """
    rows = (
        Appointment.objects.filter(
            service__kind=ServiceKind.SESSION, service__needs_screening=True, status=Status.BOOKED,
            start__gt=now, start__lte=now + timedelta(days=days_ahead),
        )
        .annotate(**intake_selectors.confirmation_annotations("patient"))
        .order_by("start", "pk")
        .values_list("pk", "patient_id", "patient__first_name", "patient__last_name", "patient__phone", "patient__email",
                     "start", "last_reconfirmed", "last_screened", "reconfirm_days")
    )
    missing = []
    for pk, patient_pk, first, last, phone, email, start, reconfirmed, screened, days in rows:
        confirmed = max((t for t in (reconfirmed, screened) if t is not None), default=None)
        if confirmed is None or confirmed < start - timedelta(days=days):
            missing.append(Contactable(pk, patient_pk, f"{first} {last}", phone, email, start))
    return missing


@dataclass
class OverdueCourse:
    course: Contactable  # pk: the course's; when: its last completed session
    window: spacing.Window
    days_overdue: int


def overdue_courses(*, today: date, tz: ZoneInfo, rule: spacing.SpacingRule, limit: int = 50) -> list[OverdueCourse]:
    """Active courses past the spacing ceiling with no next session, longest overdue first.

    Overdue: the window after the last completed session has closed (the session was before
    local midnight of ``today - max_days``), sessions remain, and nothing is booked. A no-show
    does not count, so a course whose next visit was missed is overdue again. One query, with the
    latest contact note as subqueries (``extra``: service, done, planned and the last contact).
    """
    cutoff = spacing.local_midnight_utc(today - timedelta(days=rule.max_days), tz)
    waiting = Appointment.objects.filter(course=OuterRef("pk"), status__in=[Status.HELD, Status.BOOKED, Status.CHECKED_IN])
    latest_contact = CourseContact.objects.filter(course=OuterRef("pk")).order_by("-at", "-pk")
    rows = (
        TreatmentCourse.objects.filter(status=CourseStatus.ACTIVE)
        .annotate(
            last_done=Max("appointments__start", filter=Q(appointments__status=Status.COMPLETED)),
            done=Count("appointments", filter=Q(appointments__status=Status.COMPLETED)),
            has_next=Exists(waiting),
            last_contact_at=Subquery(latest_contact.values("at")[:1]),
            last_contact_channel=Subquery(latest_contact.values("channel")[:1]),
            last_contact_note=Subquery(latest_contact.values("note")[:1]),
        )
        .filter(last_done__lt=cutoff, has_next=False, done__lt=F("planned_sessions"))
        .order_by("last_done", "pk")
        .values_list("pk", "patient_id", "patient__first_name", "patient__last_name", "patient__phone", "patient__email",
                     "last_done", "service__name", "service__slug", "done", "planned_sessions", "last_contact_at",
                     "last_contact_channel", "last_contact_note")[:limit]
    )
    result = []
    for pk, patient_pk, first, last, phone, email, last_done, service, slug, done, planned, at, channel, note in rows:
        line = Contactable(pk, patient_pk, f"{first} {last}", phone, email, last_done, {
            "service_name": service, "service_slug": slug, "done": done, "planned": planned, "last_contact_at": at,
            "last_contact_channel": ContactChannel(channel).label if channel else "", "last_contact_note": note,
        })
        window = spacing.allowed_window(last_done, tz, rule)
        result.append(OverdueCourse(line, window, (today - window.last_day).days))
    return result


@dataclass
class WaitlistMatch:
    entry: WaitlistEntry
    first: availability.Slot | None  # the first free time in the entry's dates (within the look-ahead)


def waitlist_with_matches(*, now: datetime, look_ahead_days: int = 14, only_matching: bool = False) -> list[WaitlistMatch]:
    """Waiting patients and the first free time that matches each (service, dates, clinician).

    The calendar is read once for every service and the whole look-ahead (a fixed number of
    queries), then the availability engine runs per entry over its own dates.
    """
    clinic = selectors.current_clinic()
    policy = selectors.policy_for(clinic)
    tz = clinic.tzinfo
    today = now.astimezone(tz).date()
    entries = list(
        WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING, latest__gte=today)
        .select_related("patient", "service", "clinician__staff__user")
        .order_by("created_at", "pk")
    )
    if not entries:
        return []
    last = today + timedelta(days=look_ahead_days - 1)
    lo, hi = selectors.day_bounds(today, last, tz)
    lo, hi = lo - selectors._MARGIN, hi + selectors._MARGIN
    services = {e.service_id: e.service for e in entries}
    performers: dict[int, set[int]] = defaultdict(set)
    for service_id, clinician_id in Clinician.services.through.objects.filter(
        service_id__in=list(services), clinician__staff__is_active=True
    ).values_list("service_id", "clinician_id"):
        performers[service_id].add(clinician_id)
    hours: dict[int, list[availability.WeeklyHours]] = defaultdict(list)
    for cid, wd, s, e in WorkingHours.objects.filter(clinician__staff__is_active=True).values_list(
        "clinician_id", "weekday", "starts", "ends"
    ):
        hours[cid].append(availability.WeeklyHours(wd, s, e))
    room_ids = list(Room.objects.filter(clinic=clinic, is_active=True).order_by("pk").values_list("pk", flat=True))
    live = Q(status__in=[s for s in BLOCKING_STATUSES if s != Status.HELD]) | Q(status=Status.HELD, hold_expires_at__gt=now)
    clinician_busy: dict[int, list[availability.Interval]] = defaultdict(list)
    room_busy: dict[int, list[availability.Interval]] = defaultdict(list)
    for cid, rid, s, e in Appointment.objects.filter(live, blocked_start__lt=hi, blocked_end__gt=lo).values_list(
        "clinician_id", "room_id", "blocked_start", "blocked_end"
    ):
        clinician_busy[cid].append(availability.Interval(s, e))
        if rid is not None:
            room_busy[rid].append(availability.Interval(s, e))
    for cid, s, e in TimeOff.objects.filter(start__lt=hi, end__gt=lo).values_list("clinician_id", "start", "end"):
        clinician_busy[cid].append(availability.Interval(s, e))
    opening = [availability.WeeklyHours(wd, o, c) for wd, o, c in OpeningHours.objects.filter(clinic=clinic)
               .values_list("weekday", "opens", "closes")]
    closures = set(ClinicClosure.objects.filter(clinic=clinic, date__gte=today, date__lte=last).values_list("date", flat=True))
    rooms = [availability.RoomCalendar(rid, tuple(room_busy[rid])) for rid in room_ids]
    engine_policy = selectors.slot_policy(policy, now=now, staff=True, tz=tz)
    result = []
    for entry in entries:
        wanted = performers[entry.service_id]
        if entry.clinician_id is not None:
            wanted = wanted & {entry.clinician_id}
        calendars = [availability.ClinicianCalendar(cid, tuple(hours[cid]), tuple(clinician_busy[cid])) for cid in sorted(wanted)]
        first_day, last_day = max(entry.earliest, today), min(entry.latest, last)
        slots = []
        if first_day <= last_day and calendars:
            slots = availability.free_slots(
                service=entry.service.spec, clinicians=calendars, rooms=rooms if entry.service.needs_room else (),
                tz=tz, first_day=first_day, last_day=last_day, now=now, policy=engine_policy,
                opening_hours=opening or None, closures=closures, limit=1,
            )
        match = WaitlistMatch(entry, slots[0] if slots else None)
        if match.first is not None or not only_matching:
            result.append(match)
    return result
