"""Every change to the calendars: one transaction each, returning the object or raising BookingError.

The race these functions prevent: two people pick the same free time; both see it free, both
write. Every booking-side write enters through ``calendar_write`` (the one entry sequence): check
who is acting, lock the clinic's calendars, mark expired holds, then run the change, which
re-checks the slot against the rows as they are now and writes. The lock is a PostgreSQL
transaction-level advisory lock (per clinic, with a lock timeout that becomes "busy, try again");
on SQLite the transaction starts with BEGIN IMMEDIATE (settings), which is the database's write
lock. Behind the lock the database itself refuses overlaps (booking/db_guards.py: exclusion
constraints / triggers), and an overlap it refuses comes back as the same "just taken" answer.

Patients are held to the clinic's notice period and to online-bookable services; staff are not.
The screening clearance (intake's contract) and the course spacing are checked for everyone; only
a user with ``booking.override_spacing`` (clinicians) may book outside the window, with a reason.
A visit's status follows the clock (booking/visits.py, the state machine).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from clinic import audit, outbox
from clinic.access import is_staff_member
from clinic.models import Clinic, Clinician, Patient

from . import availability, db_guards, emails, events, hooks, selectors, spacing, visits
from .clearance import clearance_for
from .models import (
    LAST_DATE,
    SESSION_STATUSES,
    Appointment,
    BookingPolicy,
    ContactChannel,
    CourseContact,
    CourseStatus,
    Service,
    Status,
    TreatmentCourse,
    WaitlistEntry,
    WaitlistStatus,
)

MESSAGES = {
    "taken": "Sorry, that time was just taken. Here are the nearest free times.",
    "no_room": "Sorry, no treatment room is free at that time any more. Here are the nearest free times.",
    "too_soon": "Online bookings start {notice_text} from now. For an earlier visit, please call us on {phone}.",
    "too_far": "We book up to {horizon_days} days ahead. Please choose an earlier day.",
    "closed": "The clinic is closed that day. Please choose another day.",
    "outside_hours": "That time is outside our hours. Please choose one of the times offered.",
    "off_grid": "Please choose one of the times offered.",
    "unknown_clinician": "That clinician does not offer this service. Please choose one of the times offered.",
    "outside_window": "{spacing_message}",
    "in_the_past": "That time has already passed.",
    "service_unavailable": "This service cannot be booked online. Please call us on {phone}.",
    "email_unverified": "Please confirm your e-mail address before booking: open the link we sent to {email}.",
    "not_cleared": "{clearance_message}",
    "within_notice": "Your visit is less than {notice_text} away, so it can no longer be changed online. "
    "Please call us on {phone}.",
    "not_changeable": "This appointment is {status} and can no longer be changed.",
    "hold_gone": "That time is no longer held for you. Please choose a time again.",
    "course_full": "All {planned} sessions of your course are booked. To change one, move it from My appointments.",
    "course_length": "A course has {min} to {max} sessions.",
    "previous_first": "Please book session {previous} first.",
    "override_forbidden": "Only a clinician may book a session outside its spacing window.",
    "no_slot_for_session": "We found no free time for session {sequence} {window_text}. Nothing was booked: "
    "please choose another first session or call us on {phone}.",
    "following_outside_window": "{spacing_message}",
    "busy": "Many people are booking at this moment. Nothing was changed: please try again.",
    "wrong_patient": "This is not your appointment.",
    "not_allowed": "You are not allowed to change this.",
    # The visit state machine's refusals (booking/visits.py).
    "bad_transition": "This visit is {status}; it cannot be {target}.",
    "check_in_not_today": "A patient can be checked in only on the day of the visit ({day}).",
    "not_started_yet": "This visit starts at {time} on {day}; it can be {target} only once it has started.",
    "already_started": "This visit has already started: mark it as a no-show or as completed instead.",
    "undo_too_late": "A status can be undone only on the day it was recorded ({day}).",
    "undo_unknown_time": "This status was recorded before the clinic kept the time of changes, so it cannot "
    "be undone here.",
    "undo_reason": "Please say why you are undoing this.",
    "not_treated_reason": "Please say why the patient was not treated, e.g. \"unwell today\".",
    "not_a_session": "Only a treatment session can be marked as not treated; mark this visit completed instead.",
    "cancel_reason": "Please say why the visit is cancelled.",
    "session_rebooked": "Session {sequence} of this course has been booked again since, on {when}. Cancel that "
    "visit first if this one really went ahead.",
    "completion_blocked": "Not marked completed yet: {objections}",
    "waitlist_dates": "Choose a date range that ends on or after it starts and is not in the past.",
    "waitlist_not_waiting": "This patient is no longer on the waiting list.",
    "contact_note": "Please note what was said or left.",
    "contact_channel": "Please choose how the patient was contacted.",
    "course_not_active": "This course is already {status}.",
    "settings_invalid": "These values do not fit together. Please check them and save again.",
    "closure_exists": "The clinic is already closed that day.",
}

# How each action reads in a sentence: "it cannot be checked in", "only once it has started".
_ACTION_WORDS = {
    visits.Action.CHECK_IN: "checked in",
    visits.Action.COMPLETE: "marked completed",
    visits.Action.NO_SHOW: "marked as a no-show",
    visits.Action.NOT_TREATED: "marked as not treated",
    visits.Action.CANCEL: "cancelled",
    visits.Action.UNDO: "undone",
}


class BookingError(Exception):
    """A refusal fit to show the person who asked, with what they can do next.

    ``nearest``: free slots close to the refused time; ``window``: the allowed spacing window;
    ``action_url``: where to go (e.g. the questionnaire); ``following``: the appointment that
    would fall out of its window after a move (offer to move it too).
    """

    def __init__(
        self,
        code: str,
        *,
        nearest: list[availability.Slot] | None = None,
        window: spacing.Window | None = None,
        action_url: str | None = None,
        following: Appointment | None = None,
        **params,
    ):
        self.code = code
        self.params = params
        self.nearest = nearest or []
        self.window = window
        self.action_url = action_url
        self.following = following
        self.message = MESSAGES[code].format(**params)
        super().__init__(self.message)


# --- the one entry sequence --------------------------------------------------------------------

_LOCK_NAMESPACE = 4_242  # first key of pg_advisory_xact_lock(int, int): "booking calendars"
LOCK_TIMEOUT = "10s"  # how long a writer waits for another before answering "busy"
_PG_LOCK_NOT_AVAILABLE = "55P03"
_SLOT_PROBLEM_CODES = {"taken", "no_room"}


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


@dataclass
class Write:
    """What a write knows once it is inside: who acts, when, and the clinic's rules."""

    now: datetime
    staff: bool
    by: object
    clinic: Clinic
    policy: BookingPolicy
    tz: ZoneInfo
    # The time being placed, so that an overlap the database refuses can offer the nearest ones.
    attempt: tuple[Service, datetime, int | None] | None = field(default=None)

    def nearest_to_attempt(self) -> list[availability.Slot]:
        if self.attempt is None:
            return []
        service, start, clinician_id = self.attempt
        return _nearest(
            service=service, start=start, clinician_id=clinician_id, now=self.now, staff=self.staff, within=None
        )


def _lock_calendars(clinic_id: int) -> None:
    """Serialise booking writers of one clinic until the transaction ends.

    PostgreSQL: an advisory lock taken inside the transaction (released at commit/rollback) with a
    lock timeout, so a stuck writer turns into "busy, try again" instead of a hung request. SQLite:
    nothing to do, BEGIN IMMEDIATE has already taken the database's write lock.
    Called from calendar_write only: the one place a booking lock is taken.
    """
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, clinic_id])


def _is_lock_timeout(exc: OperationalError) -> bool:
    """PostgreSQL's lock_timeout (any lock in the transaction), or SQLite's busy timeout."""
    return getattr(exc.__cause__, "pgcode", None) == _PG_LOCK_NOT_AVAILABLE or "database is locked" in str(exc)


def _actor(*, by, patient: Patient | None, via_link: bool, staff_only: bool, perm: str | None, system: bool) -> bool:
    """True when staff act. A patient may act only for themself (or through their signed link,
    which is the proof); some writes are for staff alone, or need a permission. ``system``: the
    application itself (a beat task), with nobody logged in."""
    if system:
        return True
    staff = by is not None and is_staff_member(by)
    if perm is not None and not (staff and by.has_perm(perm)):
        raise BookingError("not_allowed")
    if via_link:
        return False
    if staff_only and not staff:
        raise BookingError("wrong_patient")
    if not staff and (patient is None or not _is_patient_self(by, patient)):
        raise BookingError("wrong_patient")
    return staff


def _is_patient_self(by, patient: Patient) -> bool:
    return by is not None and not is_staff_member(by) and patient.user_id is not None and patient.user_id == by.pk


@contextmanager
def calendar_write(
    *,
    by,
    now: datetime | None = None,
    patient: Patient | None = None,
    via_link: bool = False,
    staff_only: bool = False,
    perm: str | None = None,
    system: bool = False,
) -> Iterator[Write]:
    """The entry of every booking write: check the actor, take the lock, expire holds, then run.

    One transaction. An overlap the database refuses becomes "just taken" (with the nearest free
    times to ``write.attempt``), a lock that cannot be had in time becomes "busy": never an error
    page.
    """
    now = _now(now)
    staff = _actor(by=by, patient=patient, via_link=via_link, staff_only=staff_only, perm=perm, system=system)
    write = None
    try:
        with transaction.atomic():
            clinic = selectors.current_clinic()
            _lock_calendars(clinic.pk)
            holds_expire(now=now)
            write = Write(now=now, staff=staff, by=by, clinic=clinic, policy=selectors.policy_for(clinic), tz=clinic.tzinfo)
            yield write
    except IntegrityError as exc:
        if not db_guards.is_overlap_error(exc):
            raise
        raise BookingError("taken", nearest=write.nearest_to_attempt() if write else []) from exc
    except OperationalError as exc:
        if not _is_lock_timeout(exc):
            raise
        raise BookingError("busy") from exc


# --- small helpers -----------------------------------------------------------------------------


def _nearest(
    *,
    service: Service,
    start: datetime,
    clinician_id: int | None,
    now: datetime,
    staff: bool,
    within,
    exclude_appointment_id: int | None = None,
    n: int = 3,
) -> list[availability.Slot]:
    clinic = selectors.current_clinic()
    day = start.astimezone(clinic.tzinfo).date()
    slots = selectors.slot_list(
        service=service,
        first_day=day - timedelta(days=3),
        last_day=day + timedelta(days=7),
        now=now,
        clinician_id=clinician_id,
        within=within,
        online=not staff,
        staff=staff,
        exclude_appointment_id=exclude_appointment_id,
    )
    if clinician_id is None:
        slots = availability.first_per_start(slots)
    return availability.nearest_free(slots, start, n)


def _log(appointment: Appointment, action: str, by, at: datetime, note: str = "") -> None:
    """The visit's history, in the one audit store (booking.selectors.appointment_history reads it)."""
    audit.record(actor=by, action=f"booking.appointment.{action}", patient=appointment.patient, obj=appointment,
                 details={"note": note} if note else {}, at=at)


def _phone(clinic) -> str:
    return clinic.phone.as_national if clinic and clinic.phone else "the clinic"


def _notice_text(policy: BookingPolicy) -> str:
    hours = policy.notice_hours
    return f"{hours // 24} day{'s' if hours != 24 else ''}" if hours % 24 == 0 and hours else f"{hours} hours"


@transaction.atomic
def holds_expire(*, now: datetime | None = None) -> int:
    """Marks holds past their expiry as cancelled, so the database stops counting them as busy.

    Runs first in every booking transaction (so an expired hold never makes a free time look
    taken to the constraint) and every minute from Celery beat (booking.tasks).
    """
    now = _now(now)
    return Appointment.objects.filter(status=Status.HELD, hold_expires_at__lte=now).update(
        status=Status.CANCELLED, cancelled_at=now, cancel_reason="hold expired", status_changed_at=now, updated_at=now
    )


# --- placing a time: every check a new time must pass, under the lock --------------------------


@dataclass(frozen=True)
class _Placement:
    slot: availability.Slot
    course: TreatmentCourse | None
    sequence: int | None
    override_reason: str


def _check_start(w: Write, start: datetime) -> None:
    if start.tzinfo is None:
        raise BookingError("off_grid")
    if start <= w.now:
        raise BookingError("in_the_past")
    if start.date() > LAST_DATE:
        raise BookingError("too_far", horizon_days=w.policy.horizon_days)


def _check_service_open(w: Write, service: Service) -> None:
    if not service.is_active or (not w.staff and not service.bookable_online):
        raise BookingError("service_unavailable", phone=_phone(w.clinic))


def _check_email_verified(w: Write, patient: Patient) -> None:
    if not w.staff and patient.user is not None and not patient.user.email_verified:
        raise BookingError("email_unverified", email=patient.user.email)


def _check_clearance(*, patient: Patient, service: Service, start: datetime, now: datetime) -> None:
    answer = clearance_for(patient, needs_screening=service.needs_screening, starts_at=start, now=now)
    if not answer.allowed:
        raise BookingError("not_cleared", clearance_message=answer.message, action_url=answer.action_url)


@dataclass(frozen=True)
class _CourseFit:
    course: TreatmentCourse | None
    sequence: int | None
    window: spacing.Window | None  # the window this session must fall in (None: the first)
    override_reason: str  # kept only when it was needed and allowed


def _check_course(
    w: Write,
    *,
    patient: Patient,
    service: Service,
    start: datetime,
    clinician_id: int | None,
    course: TreatmentCourse | None,
    sequence: int | None,
    planned_sessions: int | None,
    override_reason: str,
    exclude: Appointment | None,
) -> _CourseFit:
    """Which session of the course this is, and whether it keeps both its gaps in the window.

    Counted from the sessions that stand (booked or done); a no-show or a cancelled visit is not
    one. Outside the window only with a reason from a clinician allowed to override.
    """
    if not service.is_course_session:
        return _CourseFit(None, None, None, "")
    if course is None and sequence is None:
        course = selectors.course_active(patient, service)
    state = selectors.course_state(course, policy=w.policy, tz=w.tz, default_planned=planned_sessions)
    if sequence is None:
        if state.next_sequence is None:
            raise BookingError("course_full", planned=state.planned)
        sequence = state.next_sequence
    if sequence > 1 and state.starts[sequence - 2] is None:
        raise BookingError("previous_first", previous=sequence - 1)
    move = spacing.check_move(state.starts, sequence - 1, start, w.tz, w.policy.spacing_rule)
    window = move.into.window if move.into is not None else None
    if move.ok:
        return _CourseFit(course, sequence, window, "")
    if override_reason.strip():
        if w.by is None or not w.by.has_perm("booking.override_spacing"):
            raise BookingError("override_forbidden")
        return _CourseFit(course, sequence, window, override_reason.strip())
    into_bad = move.into is not None and not move.into.ok
    nearest, following = [], None
    if into_bad:
        nearest = _nearest(
            service=service, start=start, clinician_id=clinician_id, now=w.now, staff=w.staff, within=window,
            exclude_appointment_id=exclude.pk if exclude else None,
        )
    elif course is not None:
        following = course.appointments.filter(sequence=sequence + 1, status__in=SESSION_STATUSES).first()
    raise BookingError(
        "outside_window" if into_bad else "following_outside_window",
        spacing_message=move.message, window=window, nearest=nearest, following=following,
    )


def _check_slot(
    w: Write,
    *,
    service: Service,
    start: datetime,
    clinician_id: int | None,
    room_id: int | None,
    fit: _CourseFit,
    exclude: Appointment | None,
) -> availability.Slot:
    """The time itself: hours, closures, grid, notice, horizon, free clinician and room."""
    cal = selectors.calendars_load(
        service=service,
        start=start - timedelta(days=1),
        end=start + timedelta(days=1),
        now=w.now,
        online=not w.staff,
        clinic=w.clinic,
        room_id=room_id,
        exclude_appointment_id=exclude.pk if exclude else None,
    )
    # Spacing is settled by _check_course (with its own message), so the slot check gets no
    # window; the window only stretches the horizon for later sessions of a course.
    check = availability.check_slot(
        **cal.engine_args(),
        start=start,
        clinician_id=clinician_id,
        now=w.now,
        policy=selectors.slot_policy(w.policy, now=w.now, staff=w.staff, within=fit.window, tz=w.tz),
    )
    if check.ok:
        return check.slot
    reason = check.reason
    nearest = []
    if reason in _SLOT_PROBLEM_CODES | {"off_grid", "outside_hours", "closed", "unknown_clinician"}:
        nearest = _nearest(
            service=service, start=start, clinician_id=clinician_id if reason != "unknown_clinician" else None,
            now=w.now, staff=w.staff, within=fit.window if not fit.override_reason else None,
            exclude_appointment_id=exclude.pk if exclude else None,
        )
    raise BookingError(
        reason, nearest=nearest, phone=_phone(w.clinic), notice_text=_notice_text(w.policy),
        horizon_days=w.policy.horizon_days,
    )


def _place(
    w: Write,
    *,
    patient: Patient,
    service: Service,
    start: datetime,
    clinician_id: int | None,
    room_id: int | None = None,
    course: TreatmentCourse | None = None,
    sequence: int | None = None,
    planned_sessions: int | None = None,
    override_reason: str = "",
    exclude: Appointment | None = None,
) -> _Placement:
    """Every check a new time must pass, in order; the first refusal is raised."""
    w.attempt = (service, start, clinician_id)
    _check_start(w, start)
    _check_service_open(w, service)
    _check_email_verified(w, patient)
    _check_clearance(patient=patient, service=service, start=start, now=w.now)
    fit = _check_course(
        w, patient=patient, service=service, start=start, clinician_id=clinician_id, course=course,
        sequence=sequence, planned_sessions=planned_sessions, override_reason=override_reason, exclude=exclude,
    )
    slot = _check_slot(w, service=service, start=start, clinician_id=clinician_id, room_id=room_id, fit=fit, exclude=exclude)
    return _Placement(slot, fit.course, fit.sequence, fit.override_reason)


def _ensure_course(
    w: Write, placement: _Placement, *, patient: Patient, service: Service, planned_sessions: int | None
) -> TreatmentCourse | None:
    if not service.is_course_session:
        return None
    if placement.course is not None:
        return placement.course
    policy = w.policy
    planned = planned_sessions or policy.course_sessions_default
    if not policy.course_sessions_min <= planned <= policy.course_sessions_max:
        raise BookingError("course_length", min=policy.course_sessions_min, max=policy.course_sessions_max)
    return TreatmentCourse.objects.create(patient=patient, service=service, planned_sessions=planned, created_by=w.by)


def _apply_slot(appointment: Appointment, service: Service, slot: availability.Slot) -> None:
    blocked = service.spec.blocked(slot.start)
    appointment.start, appointment.end = slot.start, slot.end
    appointment.blocked_start, appointment.blocked_end = blocked.start, blocked.end
    appointment.clinician_id, appointment.room_id = slot.clinician_id, slot.room_id


def _create(
    w: Write, *, patient, service, placement: _Placement, course, status: str, hold_until: datetime | None = None
) -> Appointment:
    appointment = Appointment(
        patient=patient,
        service=service,
        status=status,
        hold_expires_at=hold_until,
        course=course,
        sequence=placement.sequence if course is not None else None,
        override_reason=placement.override_reason,
        override_by=w.by if placement.override_reason else None,
        booked_by=w.by,
        booked_at=w.now if status == Status.BOOKED else None,
    )
    _apply_slot(appointment, service, placement.slot)
    appointment.save()
    return appointment


def _announce_booked(w: Write, appointment: Appointment) -> None:
    note = f"Outside the spacing window: {appointment.override_reason}" if appointment.override_reason else ""
    _log(appointment, "booked", w.by, w.now, note)
    WaitlistEntry.objects.filter(
        patient=appointment.patient, service=appointment.service, status=WaitlistStatus.WAITING
    ).update(status=WaitlistStatus.BOOKED)
    events.appointment_booked.send(sender=Appointment, appointment=appointment)


# --- booking ---------------------------------------------------------------------------------


def appointment_book(
    *,
    patient: Patient,
    service: Service,
    start: datetime,
    by,
    clinician_id: int | None = None,
    room_id: int | None = None,
    now: datetime | None = None,
    override_reason: str = "",
    planned_sessions: int | None = None,
) -> Appointment:
    """Books one visit at once (desk bookings, and the core of the patient's confirm step).

    ``room_id``: the desk chose the room on the calendar; otherwise the lowest free room is taken.
    """
    with calendar_write(by=by, patient=patient, now=now) as w:
        placement = _place(
            w, patient=patient, service=service, start=start, clinician_id=clinician_id, room_id=room_id,
            override_reason=override_reason, planned_sessions=planned_sessions,
        )
        course = _ensure_course(w, placement, patient=patient, service=service, planned_sessions=planned_sessions)
        appointment = _create(w, patient=patient, service=service, placement=placement, course=course, status=Status.BOOKED)
        _announce_booked(w, appointment)
    return appointment


def appointment_hold(
    *,
    patient: Patient,
    service: Service,
    start: datetime,
    by,
    clinician_id: int | None = None,
    now: datetime | None = None,
    planned_sessions: int | None = None,
) -> Appointment:
    """Holds a chosen time for the clinic's hold minutes while the patient confirms.

    A held row is busy for everyone else (the slot pages and the database constraint both count
    it) until it is confirmed, released, or expires. One hold per patient: choosing another time
    releases the previous hold.
    """
    with calendar_write(by=by, patient=patient, now=now) as w:
        Appointment.objects.filter(patient=patient, status=Status.HELD).update(
            status=Status.CANCELLED, cancelled_at=w.now, cancel_reason="released", status_changed_at=w.now,
            updated_at=w.now,
        )
        placement = _place(
            w, patient=patient, service=service, start=start, clinician_id=clinician_id,
            planned_sessions=planned_sessions,
        )
        course = _ensure_course(w, placement, patient=patient, service=service, planned_sessions=planned_sessions)
        return _create(
            w, patient=patient, service=service, placement=placement, course=course, status=Status.HELD,
            hold_until=w.now + w.policy.hold_duration,
        )


def hold_release(*, appointment: Appointment, by, now: datetime | None = None) -> None:
    with calendar_write(by=by, patient=appointment.patient, now=now) as w:
        Appointment.objects.filter(pk=appointment.pk, status=Status.HELD).update(
            status=Status.CANCELLED, cancelled_at=w.now, cancel_reason="released", status_changed_at=w.now,
            updated_at=w.now,
        )


def appointment_confirm(*, appointment: Appointment, by, now: datetime | None = None) -> Appointment:
    """Turns the patient's hold into a booking. A hold that has expired is booked anyway when the
    time is still free (re-checked like a new booking); otherwise "just taken" with the nearest."""
    with calendar_write(by=by, patient=appointment.patient, now=now) as w:
        hold = Appointment.objects.select_for_update(of=("self",)).select_related("service", "patient__user", "course").get(pk=appointment.pk)
        if hold.status == Status.BOOKED and hold.booked_at is not None:
            return hold  # a double click: already confirmed
        if hold.status == Status.HELD:
            # Still held, so still free; the screening may have changed since the hold.
            _check_clearance(patient=hold.patient, service=hold.service, start=hold.start, now=w.now)
            hold.status, hold.hold_expires_at, hold.booked_at, hold.booked_by = Status.BOOKED, None, w.now, by
            hold.save(update_fields=["status", "hold_expires_at", "booked_at", "booked_by", "updated_at"])
            booked = hold
        elif hold.status == Status.CANCELLED and hold.cancel_reason == "hold expired":
            placement = _place(
                w, patient=hold.patient, service=hold.service, start=hold.start, clinician_id=hold.clinician_id,
                course=hold.course, sequence=hold.sequence,
            )
            booked = _create(w, patient=hold.patient, service=hold.service, placement=placement, course=hold.course,
                             status=Status.BOOKED)
        else:
            raise BookingError("hold_gone")
        _announce_booked(w, booked)
    return booked


def _pick_in_window(slots: list[availability.Slot], *, like: datetime, clinician_id: int, tz) -> availability.Slot | None:
    """Prefer the same clinician at the same time of day, then the same clinician, then anyone."""
    if not slots:
        return None
    wall = like.astimezone(tz).time()
    for same_time in (True, False):
        for same_clinician in (True, False):
            for slot in slots:
                if same_clinician and slot.clinician_id != clinician_id:
                    continue
                if same_time and slot.start.astimezone(tz).time() != wall:
                    continue
                return slot
    return None


def course_book_all(
    *,
    patient: Patient,
    service: Service,
    start: datetime,
    by,
    clinician_id: int | None = None,
    planned_sessions: int | None = None,
    hold: Appointment | None = None,
    now: datetime | None = None,
) -> TreatmentCourse:
    """Books every remaining session of a course in one go, all or nothing.

    The first (next) session is at ``start`` (or the patient's ``hold``); each following one goes
    to the first free time in its window, preferring the same clinician and time of day. If any
    session finds no free time, nothing is booked and the hold stays as it was.
    """
    with calendar_write(by=by, patient=patient, now=now) as w:
        if hold is not None:
            hold = Appointment.objects.select_for_update(of=("self",)).select_related("course").get(pk=hold.pk, patient=patient)
            if hold.status != Status.HELD:
                raise BookingError("hold_gone")
            # Free the held time for the re-check below; the row becomes session one again.
            start, clinician_id = hold.start, hold.clinician_id
            hold.status, hold.cancel_reason, hold.cancelled_at, hold.status_changed_at = Status.CANCELLED, "released", w.now, w.now
            hold.save(update_fields=["status", "cancel_reason", "cancelled_at", "status_changed_at", "updated_at"])
        placement = _place(
            w, patient=patient, service=service, start=start, clinician_id=clinician_id,
            course=hold.course if hold else None, sequence=hold.sequence if hold else None,
            planned_sessions=planned_sessions,
        )
        course = _ensure_course(w, placement, patient=patient, service=service, planned_sessions=planned_sessions)
        booked = [_create(w, patient=patient, service=service, placement=placement, course=course, status=Status.BOOKED)]
        state = selectors.course_state(course, policy=w.policy, tz=w.tz)
        for sequence in range(placement.sequence + 1, course.planned_sessions + 1):
            if state.starts[sequence - 1] is not None:
                continue  # already booked earlier
            window = spacing.allowed_window(booked[-1].start, w.tz, w.policy.spacing_rule)
            slots = selectors.slot_list(
                service=service, first_day=window.first_day, last_day=window.last_day, now=w.now, within=window,
                online=not w.staff, staff=w.staff,
            )
            slot = _pick_in_window(slots, like=booked[0].start, clinician_id=booked[0].clinician_id, tz=w.tz)
            if slot is None:
                raise BookingError("no_slot_for_session", sequence=sequence, window_text=window.describe(), phone=_phone(w.clinic))
            next_placement = _place(
                w, patient=patient, service=service, start=slot.start, clinician_id=slot.clinician_id,
                course=course, sequence=sequence,
            )
            booked.append(_create(w, patient=patient, service=service, placement=next_placement, course=course, status=Status.BOOKED))
        for appointment in booked:
            _announce_booked(w, appointment)
    return course


# --- moves and cancellations -------------------------------------------------------------------


def _lock_appointment(pk: int) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("service", "patient__user", "course", "clinician__staff__user")
        .get(pk=pk)
    )


def _changeable(w: Write, appointment: Appointment) -> None:
    if appointment.status != Status.BOOKED:
        raise BookingError("not_changeable", status=appointment.get_status_display().lower())
    if not w.staff and appointment.start - w.now < w.policy.notice:
        raise BookingError("within_notice", notice_text=_notice_text(w.policy), phone=_phone(w.clinic))


def _move_one(
    w: Write,
    appointment: Appointment,
    *,
    start: datetime,
    clinician_id: int | None,
    room_id: int | None,
    override_reason: str,
) -> Appointment:
    placement = _place(
        w, patient=appointment.patient, service=appointment.service, start=start, clinician_id=clinician_id,
        room_id=room_id, course=appointment.course, sequence=appointment.sequence, override_reason=override_reason,
        exclude=appointment,
    )
    previous_start, previous_end = appointment.start, appointment.end
    previous_clinician = appointment.clinician_id
    _apply_slot(appointment, appointment.service, placement.slot)
    appointment.version += 1
    if placement.override_reason:
        appointment.override_reason, appointment.override_by = placement.override_reason, w.by
    appointment.save()
    note = f"from {date_format(previous_start.astimezone(w.tz), 'D j M Y, g:i A')}"
    if placement.override_reason:
        note += f"; outside the spacing window: {placement.override_reason}"
    _log(appointment, "moved", w.by, w.now, note)
    events.appointment_moved.send(
        sender=Appointment, appointment=appointment, previous_start=previous_start, previous_end=previous_end
    )
    _waitlist_offer(w, service=appointment.service, freed_start=previous_start, clinician_id=previous_clinician)
    return appointment


def appointment_move(
    *,
    appointment: Appointment,
    start: datetime,
    by,
    clinician_id: int | None = None,
    room_id: int | None = None,
    now: datetime | None = None,
    override_reason: str = "",
    move_following: bool = False,
    via_link: bool = False,
) -> Appointment:
    """Moves a booked visit, re-checking slot, screening and course spacing.

    When the move would push the next session of the course out of its window, the answer is
    BookingError("following_outside_window", following=...) unless ``move_following``: then the
    following sessions move too, each to the first free time in its new window (all or nothing).
    """
    with calendar_write(by=by, patient=appointment.patient, now=now, via_link=via_link) as w:
        appointment = _lock_appointment(appointment.pk)
        _changeable(w, appointment)
        if not move_following or appointment.course is None:
            return _move_one(w, appointment, start=start, clinician_id=clinician_id, room_id=room_id,
                             override_reason=override_reason)

        # Move this one ignoring its follower's gap, then walk the followers forward.
        following = list(
            appointment.course.appointments.filter(sequence__gt=appointment.sequence, status__in=SESSION_STATUSES)
            .select_related("service", "patient__user", "course")
            .order_by("sequence")
        )
        for later in following:
            _changeable(w, later)
        # Park the followers (cancel in this transaction) so the first move is checked against its
        # previous session only; each follower is then re-placed and re-activated.
        Appointment.objects.filter(pk__in=[a.pk for a in following]).update(status=Status.CANCELLED)
        moved = _move_one(w, appointment, start=start, clinician_id=clinician_id, room_id=room_id,
                          override_reason=override_reason)
        previous = moved
        for later in following:
            window = spacing.allowed_window(previous.start, w.tz, w.policy.spacing_rule)
            if window.contains(later.start.astimezone(w.tz).date()):
                Appointment.objects.filter(pk=later.pk).update(status=Status.BOOKED)
                previous = later
                continue
            slots = selectors.slot_list(
                service=later.service, first_day=window.first_day, last_day=window.last_day, now=w.now, within=window,
                online=not w.staff, staff=w.staff, exclude_appointment_id=later.pk,
            )
            slot = _pick_in_window(slots, like=later.start, clinician_id=later.clinician_id, tz=w.tz)
            if slot is None:
                raise BookingError("no_slot_for_session", sequence=later.sequence, window_text=window.describe(),
                                   phone=_phone(w.clinic))
            later.status = Status.BOOKED  # saved together with its new time
            previous = _move_one(w, later, start=slot.start, clinician_id=slot.clinician_id, room_id=None,
                                 override_reason="")
        return moved


def appointment_cancel(
    *, appointment: Appointment, by, now: datetime | None = None, reason: str = "", via_link: bool = False
) -> Appointment:
    """Cancels a booked visit before it starts (afterwards it is a no-show or it took place)."""
    with calendar_write(by=by, patient=appointment.patient, now=now, via_link=via_link) as w:
        appointment = _lock_appointment(appointment.pk)
        _changeable(w, appointment)
        _check_visit_action(w, appointment, visits.Action.CANCEL)
        appointment.status, appointment.cancelled_at, appointment.cancelled_by = Status.CANCELLED, w.now, by
        appointment.status_changed_at = w.now
        appointment.cancel_reason = reason[:200]
        appointment.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "status_changed_at", "updated_at"])
        _log(appointment, "cancelled", by, w.now, reason)
        events.appointment_cancelled.send(sender=Appointment, appointment=appointment, by=by)
        _waitlist_offer(w, service=appointment.service, freed_start=appointment.start, clinician_id=appointment.clinician_id)
        outbox.enqueue(emails.CANCELLED, patient=appointment.patient, obj=appointment, planned_for=appointment.start)
    return appointment


# --- the visit's status: the clock decides (booking/visits.py) -----------------------------------


def _visit(appointment: Appointment) -> visits.Visit:
    return visits.Visit(
        status=appointment.status, start=appointment.start, status_changed_at=appointment.status_changed_at,
        checked_in_at=appointment.checked_in_at,
    )


def _check_visit_action(w: Write, appointment: Appointment, action: visits.Action) -> None:
    refusal = visits.refusal(action, _visit(appointment), now=w.now, tz=w.tz)
    if refusal is None:
        return
    local = appointment.start.astimezone(w.tz)
    if refusal == visits.Refusal.UNDO_TOO_LATE:  # the day the status was recorded, not the visit's
        local = appointment.status_changed_at.astimezone(w.tz)
    raise BookingError(
        refusal.value,
        status=appointment.get_status_display().lower(),
        target=_ACTION_WORDS[action],
        day=date_format(local, "l j F"),
        time=date_format(local, "g:i A"),
    )


_FORWARD = {
    visits.Action.CHECK_IN: ("checked_in", None),  # the desk's business, no event
    visits.Action.COMPLETE: ("completed", events.appointment_completed),
    visits.Action.NO_SHOW: ("no_show", events.appointment_no_show),
    visits.Action.NOT_TREATED: ("not_treated", events.appointment_not_treated),
}


def _status_forward(
    *, appointment: Appointment, action: visits.Action, by, now: datetime | None, reason: str = ""
) -> Appointment:
    with calendar_write(by=by, patient=appointment.patient, now=now, staff_only=True) as w:
        appointment = _lock_appointment(appointment.pk)
        _check_visit_action(w, appointment, action)
        if action == visits.Action.COMPLETE:
            objections = hooks.completion_objections(appointment)
            if objections:
                raise BookingError("completion_blocked", objections=" ".join(objections))
        log_action, signal = _FORWARD[action]
        appointment.status = visits.target(action, _visit(appointment))
        appointment.status_changed_at = w.now
        if action == visits.Action.CHECK_IN:
            appointment.checked_in_at = w.now
        appointment.save(update_fields=["status", "status_changed_at", "checked_in_at", "updated_at"])
        _log(appointment, log_action, by, w.now, reason)
        if signal is not None:
            signal.send(sender=Appointment, appointment=appointment, reason=reason)
        course = appointment.course
        if action == visits.Action.COMPLETE and course is not None:
            done = course.appointments.filter(status=Status.COMPLETED).count()
            if done >= course.planned_sessions:
                TreatmentCourse.objects.filter(pk=course.pk).update(status=CourseStatus.FINISHED)
    return appointment


def appointment_check_in(*, appointment: Appointment, by, now: datetime | None = None) -> Appointment:
    return _status_forward(appointment=appointment, action=visits.Action.CHECK_IN, by=by, now=now)


def appointment_complete(*, appointment: Appointment, by, now: datetime | None = None) -> Appointment:
    return _status_forward(appointment=appointment, action=visits.Action.COMPLETE, by=by, now=now)


def appointment_mark_no_show(*, appointment: Appointment, by, now: datetime | None = None) -> Appointment:
    return _status_forward(appointment=appointment, action=visits.Action.NO_SHOW, by=by, now=now)


def appointment_mark_not_treated(*, appointment: Appointment, by, reason: str, now: datetime | None = None) -> Appointment:
    """The patient came but was not treated (unwell, a new contraindication, ...), with the reason.

    The time was used, so it stays taken on the calendar; but it is no session of the course (its
    number is free to book again and the next window counts from the session before) and no
    aftercare follows. Only once the visit has started, like a completion.
    """
    reason = reason.strip()
    if not reason:
        raise BookingError("not_treated_reason")
    if not appointment.service.is_course_session:
        raise BookingError("not_a_session")
    return _status_forward(appointment=appointment, action=visits.Action.NOT_TREATED, by=by, now=now,
                           reason=reason[:200])


def appointment_undo(*, appointment: Appointment, by, reason: str, now: datetime | None = None) -> Appointment:
    """Takes back today's check-in, completion or no-show, with a reason kept in the history.

    Undoing a completion withdraws its aftercare (events.appointment_reverted: aftercare cancels
    what has not gone out) and re-opens a course that it had finished. Undoing a no-show makes
    the visit a session of its course again, unless that session number was booked since.
    """
    reason = reason.strip()
    if not reason:
        raise BookingError("undo_reason")
    with calendar_write(by=by, patient=appointment.patient, now=now, staff_only=True) as w:
        appointment = _lock_appointment(appointment.pk)
        _check_visit_action(w, appointment, visits.Action.UNDO)
        undone = appointment.status
        if undone in (Status.NO_SHOW, Status.NOT_TREATED) and appointment.course_id is not None:
            since = (
                Appointment.objects.filter(course_id=appointment.course_id, sequence=appointment.sequence,
                                           status__in=SESSION_STATUSES)
                .exclude(pk=appointment.pk).first()
            )
            if since is not None:
                raise BookingError("session_rebooked", sequence=appointment.sequence,
                                   when=date_format(since.start.astimezone(w.tz), "l j F, g:i A"))
        back = visits.target(visits.Action.UNDO, _visit(appointment))
        appointment.status, appointment.status_changed_at = back, w.now
        if back == Status.BOOKED:
            appointment.checked_in_at = None
        appointment.save(update_fields=["status", "status_changed_at", "checked_in_at", "updated_at"])
        _log(appointment, f"{undone}.undone", by, w.now, reason)
        if undone == Status.COMPLETED and appointment.course_id is not None:
            TreatmentCourse.objects.filter(pk=appointment.course_id, status=CourseStatus.FINISHED).update(
                status=CourseStatus.ACTIVE
            )
        events.appointment_reverted.send(sender=Appointment, appointment=appointment, undone=undone)
    return appointment


# --- courses: the desk's follow-up ---------------------------------------------------------------


def course_contact_record(
    *, course: TreatmentCourse, channel: str, note: str, by, now: datetime | None = None
) -> CourseContact:
    """The desk called, e-mailed or texted about an overdue course: what was said is kept."""
    note = note.strip()
    if not note:
        raise BookingError("contact_note")
    if channel not in ContactChannel.values:
        raise BookingError("contact_channel")
    with calendar_write(by=by, patient=course.patient, now=now, staff_only=True) as w:
        return CourseContact.objects.create(course=course, at=w.now, by=by, channel=channel, note=note[:300])


def course_stop(*, course: TreatmentCourse, by, reason: str, now: datetime | None = None) -> TreatmentCourse:
    """The patient does not want to go on: the course leaves the overdue list, with the reason noted."""
    reason = reason.strip()
    if not reason:
        raise BookingError("contact_note")
    with calendar_write(by=by, patient=course.patient, now=now, staff_only=True) as w:
        course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
        if course.status != CourseStatus.ACTIVE:
            raise BookingError("course_not_active", status=course.get_status_display().lower())
        course.status = CourseStatus.STOPPED
        course.save(update_fields=["status"])
        CourseContact.objects.create(course=course, at=w.now, by=by, channel=ContactChannel.PHONE,
                                     note=f"Course stopped: {reason}"[:300])
    return course


# --- waitlist --------------------------------------------------------------------------------


def waitlist_join(
    *,
    patient: Patient,
    service: Service,
    earliest: date,
    latest: date,
    by,
    clinician: Clinician | None = None,
    now: datetime | None = None,
) -> WaitlistEntry:
    """Asks to be told when a time frees up between two local dates (one entry per service)."""
    with calendar_write(by=by, patient=patient, now=now) as w:
        today = w.now.astimezone(w.tz).date()
        if earliest > latest or latest < today:
            raise BookingError("waitlist_dates")
        entry, _ = WaitlistEntry.objects.update_or_create(
            patient=patient,
            service=service,
            status=WaitlistStatus.WAITING,
            defaults={"earliest": max(earliest, today), "latest": latest, "clinician": clinician, "created_at": w.now},
        )
    return entry


def waitlist_leave(*, entry: WaitlistEntry, by, now: datetime | None = None) -> None:
    """The patient leaves the list, or the desk removes them from it."""
    with calendar_write(by=by, patient=entry.patient, now=now):
        WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistStatus.WAITING).update(status=WaitlistStatus.LEFT)


def waitlist_offer(*, entry: WaitlistEntry, day: date, by, now: datetime | None = None) -> WaitlistEntry:
    """The desk tells one waiting patient that a time is free on ``day`` (e-mailed through the outbox).

    Nothing is reserved: the patient books it through the normal path, or calls.
    """
    with calendar_write(by=by, patient=entry.patient, now=now, staff_only=True) as w:
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status != WaitlistStatus.WAITING:
            raise BookingError("waitlist_not_waiting")
        _notify(w, [entry], day)
    return entry


def waitlist_matches_refresh(*, now: datetime | None = None) -> int:
    """Works out again, for every waiting patient, the first free time that matches (Celery beat).

    The engine runs before the lock (a read); only the short write of the results takes it.
    Returns how many entries have a match.
    """
    from .desk_selectors import waitlist_with_matches

    now = _now(now)
    matches = waitlist_with_matches(now=now)
    with calendar_write(by=None, now=now, system=True):
        entries = []
        for match in matches:
            entry = match.entry
            entry.match_start = match.first.start if match.first else None
            entry.match_clinician_id = match.first.clinician_id if match.first else None
            entry.match_checked_at = now
            entries.append(entry)
        WaitlistEntry.objects.bulk_update(entries, ["match_start", "match_clinician", "match_checked_at"])
    return sum(1 for m in matches if m.first is not None)


def _notify(w: Write, entries: list[WaitlistEntry], day: date) -> None:
    for entry in entries:
        WaitlistEntry.objects.filter(pk=entry.pk).update(last_notified_at=w.now, notified_count=entry.notified_count + 1)
        outbox.enqueue(emails.WAITLIST_OFFER, patient=entry.patient, obj=entry, params={"day": day.isoformat()})


def _waitlist_offer(w: Write, *, service: Service, freed_start: datetime, clinician_id: int) -> list[WaitlistEntry]:
    """A time freed up: tell the first waiting patients whose dates match (by e-mail, through the outbox).

    Nobody gets the time reserved: whoever books first through the normal path gets it. Only when
    a slot for the service really is free that day are patients told.
    """
    day = freed_start.astimezone(w.tz).date()
    if freed_start - w.now < w.policy.notice:
        return []
    entries = list(
        WaitlistEntry.objects.filter(service=service, status=WaitlistStatus.WAITING, earliest__lte=day, latest__gte=day)
        .filter(Q(clinician__isnull=True) | Q(clinician_id=clinician_id))
        .order_by("created_at", "pk")[: w.policy.waitlist_notify_count]
    )
    if not entries:
        return []
    free = selectors.slot_list(service=service, first_day=day, last_day=day, now=w.now, limit=1)
    if not free:
        return []
    # The desk's worklist shows these as matched at once, before beat's next refresh.
    WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
        match_start=free[0].start, match_clinician=free[0].clinician_id, match_checked_at=w.now
    )
    _notify(w, entries, day)
    return entries
