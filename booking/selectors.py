"""Reads that are more than a filter: calendars for the availability engine, slot lists, day views.

``calendars_load`` is the only place that turns rows into booking/availability.py's dataclasses.
It runs a constant number of queries whatever the number of appointments (clinic, policy,
clinicians' hours, rooms, busy rows, time off, opening hours, closures), and loads only the busy
rows that touch the requested range, sorted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import OuterRef, Q, QuerySet, Subquery

from clinic import selectors as clinic_selectors
from clinic.models import AuditEvent, Clinic, OpeningHours, Room

from . import availability, spacing
from .models import (
    BLOCKING_STATUSES,
    SESSION_STATUSES,
    UPCOMING_STATUSES,
    Appointment,
    BookingPolicy,
    ClinicClosure,
    CourseStatus,
    Service,
    Status,
    TimeOff,
    TreatmentCourse,
    WorkingHours,
)

_DAY = timedelta(days=1)
# Busy rows are loaded this far beyond the requested days: a buffer or a hold that starts the
# evening before still blocks the first slot of the morning.
_MARGIN = timedelta(days=1)
STAFF_HORIZON = timedelta(days=730)


def policy_for(clinic: Clinic) -> BookingPolicy:
    policy = getattr(clinic, "_booking_policy_cache", None)
    if policy is None:
        policy, _ = BookingPolicy.objects.get_or_create(clinic=clinic)
        clinic._booking_policy_cache = policy
    return policy


def current_clinic(*, closures_on: Sequence[date] = ()) -> Clinic:
    """The clinic, with its booking policy read in the same query.

    ``closures_on``: local dates whose closures come along in that query too (the calendar),
    as ``clinic.closures_on`` = {date: reason}.
    """
    query = Clinic.objects.select_related("booking_policy").order_by("pk")
    if closures_on:
        query = query.annotate(**{
            f"closed_{n}": Subquery(ClinicClosure.objects.filter(clinic=OuterRef("pk"), date=day).values("reason")[:1])
            for n, day in enumerate(closures_on)
        })
    clinic = query.first()
    if clinic is None:
        raise LookupError("No clinic is set up yet.")
    policy = getattr(clinic, "booking_policy", None)  # None until the policy row is created
    if policy is not None:
        clinic._booking_policy_cache = policy
    clinic.closures_on = {
        day: getattr(clinic, f"closed_{n}") for n, day in enumerate(closures_on) if getattr(clinic, f"closed_{n}") is not None
    }
    return clinic


@dataclass
class Calendars:
    """Everything check_slot/free_slots need for one service over one range of days."""

    clinic: Clinic
    policy: BookingPolicy
    tz: ZoneInfo
    service: Service
    clinicians: list[availability.ClinicianCalendar]
    rooms: list[availability.RoomCalendar]
    opening_hours: list[availability.WeeklyHours] | None
    closures: set[date] = field(default_factory=set)

    def engine_args(self) -> dict:
        return {
            "service": self.service.spec,
            "clinicians": self.clinicians,
            "rooms": self.rooms,
            "tz": self.tz,
            "opening_hours": self.opening_hours,
            "closures": self.closures,
        }


def calendars_load(
    *,
    service: Service,
    start: datetime,
    end: datetime,
    now: datetime,
    clinician_id: int | None = None,
    room_id: int | None = None,
    exclude_appointment_id: int | None = None,
    online: bool = True,
    clinic: Clinic | None = None,
) -> Calendars:
    """Calendars of the clinicians who perform ``service`` (and of the active rooms) for [start, end).

    ``online=True`` leaves out clinicians not bookable online. Holds past their expiry are not
    busy (the booking transaction also marks them cancelled before it writes). The appointment
    being moved (``exclude_appointment_id``) does not block itself. ``room_id``: only that room
    may be given (the desk chose it on the calendar).
    """
    clinic = clinic or current_clinic()
    policy = policy_for(clinic)
    tz = clinic.tzinfo
    lo, hi = start - _MARGIN, end + _MARGIN

    clinicians_q = Q(clinician__services=service, clinician__staff__is_active=True)
    if online:
        clinicians_q &= Q(clinician__is_bookable=True)
    if clinician_id is not None:
        clinicians_q &= Q(clinician_id=clinician_id)
    hours: dict[int, list[availability.WeeklyHours]] = defaultdict(list)
    for cid, weekday, starts, ends in WorkingHours.objects.filter(clinicians_q).values_list(
        "clinician_id", "weekday", "starts", "ends"
    ):
        hours[cid].append(availability.WeeklyHours(weekday, starts, ends))
    clinician_ids = sorted(hours)

    room_ids: list[int] = []
    if service.needs_room:
        rooms = Room.objects.filter(clinic=clinic, is_active=True)
        if room_id is not None:
            rooms = rooms.filter(pk=room_id)
        room_ids = list(rooms.order_by("pk").values_list("pk", flat=True))

    clinician_busy: dict[int, list[availability.Interval]] = defaultdict(list)
    room_busy: dict[int, list[availability.Interval]] = defaultdict(list)
    if clinician_ids or room_ids:
        live = Q(status__in=[s for s in BLOCKING_STATUSES if s != Status.HELD]) | Q(
            status=Status.HELD, hold_expires_at__gt=now
        )
        rows = (
            Appointment.objects.filter(live, blocked_start__lt=hi, blocked_end__gt=lo)
            .filter(Q(clinician_id__in=clinician_ids) | Q(room_id__in=room_ids))
            .order_by("blocked_start")
            .values_list("clinician_id", "room_id", "blocked_start", "blocked_end")
        )
        if exclude_appointment_id is not None:
            rows = rows.exclude(pk=exclude_appointment_id)
        wanted_rooms = set(room_ids)
        for cid, rid, b_start, b_end in rows:
            interval = availability.Interval(b_start, b_end)
            clinician_busy[cid].append(interval)
            if rid in wanted_rooms:
                room_busy[rid].append(interval)
        for cid, t_start, t_end in (
            TimeOff.objects.filter(clinician_id__in=clinician_ids, start__lt=hi, end__gt=lo)
            .order_by("start")
            .values_list("clinician_id", "start", "end")
        ):
            clinician_busy[cid].append(availability.Interval(t_start, t_end))

    opening = [
        availability.WeeklyHours(weekday, opens, closes)
        for weekday, opens, closes in OpeningHours.objects.filter(clinic=clinic).values_list("weekday", "opens", "closes")
    ]
    closures = set(
        ClinicClosure.objects.filter(
            clinic=clinic, date__gte=(lo.astimezone(tz).date()), date__lte=(hi.astimezone(tz).date())
        ).values_list("date", flat=True)
    )
    return Calendars(
        clinic=clinic,
        policy=policy,
        tz=tz,
        service=service,
        clinicians=[
            availability.ClinicianCalendar(cid, tuple(hours[cid]), tuple(clinician_busy[cid])) for cid in clinician_ids
        ],
        rooms=[availability.RoomCalendar(rid, tuple(room_busy[rid])) for rid in room_ids],
        # A clinic with no opening hours entered imposes none of its own (clinicians' hours rule).
        opening_hours=opening or None,
        closures=closures,
    )


def day_bounds(first_day: date, last_day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return spacing.local_midnight_utc(first_day, tz), spacing.local_midnight_utc(last_day + _DAY, tz)


def slot_list(
    *,
    service: Service,
    first_day: date,
    last_day: date,
    now: datetime,
    clinician_id: int | None = None,
    within: spacing.Window | availability.Interval | None = None,
    limit: int | None = None,
    online: bool = True,
    staff: bool = False,
    exclude_appointment_id: int | None = None,
    room_id: int | None = None,
) -> list[availability.Slot]:
    """Free slots for ``service`` on local dates first_day..last_day, sorted by start.

    Patients (``staff=False``) see the clinic's notice and horizon; staff may book from now on.
    """
    clinic = current_clinic()
    tz = clinic.tzinfo
    start, end = day_bounds(first_day, last_day, tz)
    cal = calendars_load(
        service=service,
        start=start,
        end=end,
        now=now,
        clinician_id=clinician_id,
        room_id=room_id,
        online=online,
        clinic=clinic,
        exclude_appointment_id=exclude_appointment_id,
    )
    return availability.free_slots(
        **cal.engine_args(),
        first_day=first_day,
        last_day=last_day,
        now=now,
        policy=slot_policy(cal.policy, now=now, staff=staff, within=within, tz=tz),
        within=within,
        limit=limit,
    )


def slot_policy(
    policy: BookingPolicy,
    *,
    now: datetime,
    staff: bool,
    within: spacing.Window | availability.Interval | None = None,
    tz: ZoneInfo | None = None,
) -> availability.BookingPolicy:
    """The engine's policy: no notice for staff; a spacing window may reach past the horizon
    (session 4 of a course is up to 126 days away), so the horizon stretches to cover it."""
    horizon = timedelta(days=policy.horizon_days)
    if staff:  # the desk plans further ahead than patients may book themselves
        horizon = max(horizon, STAFF_HORIZON)
    if within is not None:
        window_end = within.end if isinstance(within, availability.Interval) else within.bounds_utc(tz)[1]
        horizon = max(horizon, window_end - now + _DAY)
    return policy.slot_policy(notice=timedelta(0) if staff else None, horizon=horizon)


def group_by_day(slots: list[availability.Slot], tz: ZoneInfo) -> dict[date, list[availability.Slot]]:
    days: dict[date, list[availability.Slot]] = {}
    for slot in slots:
        days.setdefault(slot.start.astimezone(tz).date(), []).append(slot)
    return days


# --- courses --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseState:
    course: TreatmentCourse | None
    planned: int
    starts: list[datetime | None]  # index i: start of session i+1, None when not booked
    next_sequence: int | None  # the first session number without a live appointment
    window: spacing.Window | None  # when the next session may be, None for the first


def course_active(patient, service: Service) -> TreatmentCourse | None:
    return (
        TreatmentCourse.objects.filter(patient=patient, service=service, status=CourseStatus.ACTIVE)
        .order_by("-created_at", "-pk")
        .first()
    )


def course_state(course: TreatmentCourse | None, *, policy: BookingPolicy, tz: ZoneInfo, default_planned: int | None = None) -> CourseState:
    if course is None:
        planned = default_planned or policy.course_sessions_default
        return CourseState(None, planned, [None] * planned, 1, None)
    starts: list[datetime | None] = [None] * course.planned_sessions
    # Only sessions that stand (held, booked, done): a no-show or a cancelled visit leaves its
    # number free, and the next window counts from the session before it.
    for sequence, start in course.appointments.filter(status__in=SESSION_STATUSES).values_list("sequence", "start"):
        if 1 <= sequence <= course.planned_sessions:
            starts[sequence - 1] = start
    next_sequence = next((i + 1 for i, s in enumerate(starts) if s is None), None)
    window = None
    if next_sequence is not None and next_sequence > 1:
        previous = starts[next_sequence - 2]
        window = spacing.allowed_window(previous, tz, policy.spacing_rule)
    return CourseState(course, course.planned_sessions, starts, next_sequence, window)


def window_for_sequence(state: CourseState, sequence: int, *, policy: BookingPolicy, tz: ZoneInfo) -> spacing.Window | None:
    if sequence <= 1:
        return None
    previous = state.starts[sequence - 2]
    return None if previous is None else spacing.allowed_window(previous, tz, policy.spacing_rule)


# --- lists ----------------------------------------------------------------------------------


def appointment_history(appointment: Appointment) -> QuerySet[AuditEvent]:
    """Who booked, moved, checked in or cancelled this visit, and when: its entries in the audit store."""
    return clinic_selectors.history_of(appointment)


def appointments_for_patient(patient, *, now: datetime) -> tuple[list[Appointment], list[Appointment]]:
    """(upcoming, earlier) appointments of one patient, split by the clock.

    Upcoming: booked or checked in and not over yet (its end is after ``now``), soonest first.
    Earlier: everything else, latest first, so a booked visit whose time has gone by is "earlier"
    even before anyone marks it. The state machine (booking.visits) makes sure no visit is
    completed or a no-show before it starts, so nothing in the future is "earlier" but a
    cancellation. Holds are left out.
    """
    rows = list(
        Appointment.objects.filter(patient=patient)
        .exclude(status=Status.HELD)
        .exclude(status=Status.CANCELLED, booked_at__isnull=True)  # expired holds
        .select_related("service", "clinician__staff__user", "room", "course")
        .order_by("start")
    )
    upcoming = [a for a in rows if a.end > now and a.status in UPCOMING_STATUSES]
    earlier = [a for a in reversed(rows) if not (a.end > now and a.status in UPCOMING_STATUSES)]
    return upcoming, earlier


def services_bookable_online():
    return Service.objects.filter(is_active=True, bookable_online=True).order_by("position", "name")
