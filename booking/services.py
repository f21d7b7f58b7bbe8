"""Every change to the calendars: one transaction each, returning the object or raising BookingError.

The race these functions prevent: two people pick the same free time; both see it free, both
write. Every booking-side write runs as: lock the clinic's calendars, mark expired holds, re-check
the slot against the rows as they are now, write, send the event. The lock is a PostgreSQL
transaction-level advisory lock (per clinic, with a lock timeout); on SQLite the transaction
starts with BEGIN IMMEDIATE (settings), which is the database's write lock. Behind the lock the
database itself refuses overlaps (booking/db_guards.py: exclusion constraints / triggers), and an
overlap it refuses comes back as the same "just taken" answer.

Patients are held to the clinic's notice period and to online-bookable services; staff are not.
The screening clearance (intake's contract) and the course spacing are checked for everyone; only
a user with ``booking.override_spacing`` (clinicians) may book outside the window, with a reason.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from clinic import outbox
from clinic.access import is_staff_member
from clinic.models import Clinician, Patient

from . import availability, db_guards, emails, events, hooks, selectors, spacing
from .clearance import clearance_for
from .models import (
    BLOCKING_STATUSES,
    Appointment,
    AppointmentLog,
    BookingPolicy,
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
    "busy": "Many people are booking at this moment. Please try again.",
    "wrong_patient": "This is not your appointment.",
    "bad_transition": "This appointment is {status}; it cannot be marked {target}.",
    "completion_blocked": "Not marked completed yet: {objections}",
    "waitlist_dates": "Choose a date range that ends on or after it starts and is not in the past.",
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


# --- helpers ---------------------------------------------------------------------------------

_LOCK_NAMESPACE = 4_242  # first key of pg_advisory_xact_lock(int, int): "booking calendars"
_SLOT_PROBLEM_CODES = {"taken", "no_room"}


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _lock_calendars(clinic_id: int) -> None:
    """Serialise booking writers of one clinic until the transaction ends.

    PostgreSQL: an advisory lock taken inside the transaction (released at commit/rollback) with a
    lock timeout, so a stuck writer turns into a "try again" instead of a hung request. SQLite:
    nothing to do, BEGIN IMMEDIATE has already taken the database's write lock.
    """
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '10s'")
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, clinic_id])


def _overlap_is_taken(func):
    """The database's own no-overlap guard (db_guards) answers like the re-check: "just taken"."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except IntegrityError as exc:
            if not db_guards.is_overlap_error(exc):
                raise
            raise BookingError("taken", nearest=_nearest_after_failure(kwargs)) from exc

    return wrapper


def _nearest_after_failure(kwargs) -> list[availability.Slot]:
    service, start = kwargs.get("service"), kwargs.get("start")
    if service is None and kwargs.get("appointment") is not None:
        service = kwargs["appointment"].service
    if service is None or start is None:
        return []
    by = kwargs.get("by")
    return _nearest(
        service=service, start=start, clinician_id=kwargs.get("clinician_id"), now=_now(kwargs.get("now")),
        staff=is_staff_member(by) if by else False, within=None,
    )


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
    tz = clinic.tzinfo
    day = start.astimezone(tz).date()
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
    AppointmentLog.objects.create(appointment=appointment, action=f"booking.appointment.{action}", by=by, at=at, note=note)


def _is_patient_self(by, patient: Patient) -> bool:
    return by is not None and not is_staff_member(by) and patient.user_id is not None and patient.user_id == by.pk


def _actor_checks(*, by, patient: Patient, via_link: bool = False) -> bool:
    """Returns True when staff act; refuses a patient acting for someone else.

    ``via_link``: the patient acts through the signed link from their e-mail (the link is the
    proof), so patient rules apply whoever is logged in on that browser.
    """
    if via_link:
        return False
    staff = by is not None and is_staff_member(by)
    if not staff and not _is_patient_self(by, patient):
        raise BookingError("wrong_patient")
    return staff


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
        status=Status.CANCELLED, cancelled_at=now, cancel_reason="hold expired", updated_at=now
    )


@dataclass(frozen=True)
class _Placement:
    slot: availability.Slot
    course: TreatmentCourse | None
    sequence: int | None
    override_reason: str


def _check_clearance(*, patient: Patient, service: Service, start: datetime, now: datetime) -> None:
    answer = clearance_for(patient, needs_screening=service.needs_screening, starts_at=start, now=now)
    if not answer.allowed:
        raise BookingError("not_cleared", clearance_message=answer.message, action_url=answer.action_url)


def _place(
    *,
    patient: Patient,
    service: Service,
    start: datetime,
    clinician_id: int | None,
    now: datetime,
    staff: bool,
    by,
    course: TreatmentCourse | None = None,
    sequence: int | None = None,
    planned_sessions: int | None = None,
    override_reason: str = "",
    exclude_appointment: Appointment | None = None,
) -> _Placement:
    """All the checks a new time must pass, under the lock. Returns the confirmed slot."""
    clinic = selectors.current_clinic()
    policy = selectors.policy_for(clinic)
    tz = clinic.tzinfo
    if start.tzinfo is None:
        raise BookingError("off_grid")
    if start <= now:
        raise BookingError("in_the_past")
    if not service.is_active or (not staff and not service.bookable_online):
        raise BookingError("service_unavailable", phone=_phone(clinic))
    if not staff and patient.user is not None and not patient.user.email_verified:
        raise BookingError("email_unverified", email=patient.user.email)
    _check_clearance(patient=patient, service=service, start=start, now=now)

    window = None
    if service.is_course_session:
        if course is None and sequence is None:
            course = selectors.course_active(patient, service)
        state = selectors.course_state(course, policy=policy, tz=tz, default_planned=planned_sessions)
        if sequence is None:
            if state.next_sequence is None:
                raise BookingError("course_full", planned=state.planned)
            sequence = state.next_sequence
        if sequence > 1 and state.starts[sequence - 2] is None:
            raise BookingError("previous_first", previous=sequence - 1)
        move = spacing.check_move(state.starts, sequence - 1, start, tz, policy.spacing_rule)
        window = move.into.window if move.into is not None else None
        if not move.ok:
            if override_reason.strip():
                if by is None or not by.has_perm("booking.override_spacing"):
                    raise BookingError("override_forbidden")
            else:
                into_bad = move.into is not None and not move.into.ok
                code = "outside_window" if into_bad else "following_outside_window"
                nearest = []
                if into_bad:
                    nearest = _nearest(
                        service=service, start=start, clinician_id=clinician_id, now=now, staff=staff,
                        within=window, exclude_appointment_id=exclude_appointment.pk if exclude_appointment else None,
                    )
                following = None
                if not into_bad and course is not None:
                    following = course.appointments.filter(sequence=sequence + 1, status__in=BLOCKING_STATUSES).first()
                raise BookingError(code, spacing_message=move.message, window=window, nearest=nearest, following=following)
        else:
            override_reason = ""
    else:
        override_reason = ""

    day_start = start - timedelta(days=1)
    cal = selectors.calendars_load(
        service=service,
        start=day_start,
        end=start + timedelta(days=1),
        now=now,
        online=not staff,
        clinic=clinic,
        exclude_appointment_id=exclude_appointment.pk if exclude_appointment else None,
    )
    # Spacing is settled above (with its own message), so the slot check gets no window; the
    # window only stretches the horizon for later sessions of a course.
    check = availability.check_slot(
        **cal.engine_args(),
        start=start,
        clinician_id=clinician_id,
        now=now,
        policy=selectors.slot_policy(policy, now=now, staff=staff, within=window, tz=tz),
    )
    if not check.ok:
        reason = check.reason
        params = {
            "phone": _phone(clinic),
            "notice_text": _notice_text(policy),
            "horizon_days": policy.horizon_days,
        }
        nearest = []
        if reason in _SLOT_PROBLEM_CODES | {"off_grid", "outside_hours", "closed", "unknown_clinician"}:
            nearest = _nearest(
                service=service, start=start, clinician_id=clinician_id if reason != "unknown_clinician" else None,
                now=now, staff=staff, within=window if not override_reason else None,
                exclude_appointment_id=exclude_appointment.pk if exclude_appointment else None,
            )
        raise BookingError(reason, nearest=nearest, **params)
    return _Placement(check.slot, course, sequence if service.is_course_session else None, override_reason.strip())


def _ensure_course(
    placement: _Placement, *, patient: Patient, service: Service, by, planned_sessions: int | None
) -> TreatmentCourse | None:
    if not service.is_course_session:
        return None
    if placement.course is not None:
        return placement.course
    policy = selectors.policy_for(selectors.current_clinic())
    planned = planned_sessions or policy.course_sessions_default
    if not policy.course_sessions_min <= planned <= policy.course_sessions_max:
        raise BookingError("course_length", min=policy.course_sessions_min, max=policy.course_sessions_max)
    return TreatmentCourse.objects.create(patient=patient, service=service, planned_sessions=planned, created_by=by)


def _apply_slot(appointment: Appointment, service: Service, slot: availability.Slot) -> None:
    blocked = service.spec.blocked(slot.start)
    appointment.start, appointment.end = slot.start, slot.end
    appointment.blocked_start, appointment.blocked_end = blocked.start, blocked.end
    appointment.clinician_id, appointment.room_id = slot.clinician_id, slot.room_id


def _create(
    *, patient, service, placement: _Placement, course, by, now: datetime, status: str, hold_until: datetime | None = None
) -> Appointment:
    appointment = Appointment(
        patient=patient,
        service=service,
        status=status,
        hold_expires_at=hold_until,
        course=course,
        sequence=placement.sequence if course is not None else None,
        override_reason=placement.override_reason,
        override_by=by if placement.override_reason else None,
        booked_by=by,
        booked_at=now if status == Status.BOOKED else None,
    )
    _apply_slot(appointment, service, placement.slot)
    appointment.save()
    return appointment


def _announce_booked(appointment: Appointment, *, by, now: datetime) -> None:
    note = f"Outside the spacing window: {appointment.override_reason}" if appointment.override_reason else ""
    _log(appointment, "booked", by, now, note)
    WaitlistEntry.objects.filter(
        patient=appointment.patient, service=appointment.service, status=WaitlistStatus.WAITING
    ).update(status=WaitlistStatus.BOOKED)
    events.appointment_booked.send(sender=Appointment, appointment=appointment)


# --- booking ---------------------------------------------------------------------------------


@_overlap_is_taken
@transaction.atomic
def appointment_book(
    *,
    patient: Patient,
    service: Service,
    start: datetime,
    by,
    clinician_id: int | None = None,
    now: datetime | None = None,
    override_reason: str = "",
    planned_sessions: int | None = None,
) -> Appointment:
    """Books one visit at once (desk bookings, and the core of the patient's confirm step)."""
    now = _now(now)
    staff = _actor_checks(by=by, patient=patient)
    clinic = selectors.current_clinic()
    _lock_calendars(clinic.pk)
    holds_expire(now=now)
    placement = _place(
        patient=patient, service=service, start=start, clinician_id=clinician_id, now=now, staff=staff, by=by,
        override_reason=override_reason, planned_sessions=planned_sessions,
    )
    course = _ensure_course(placement, patient=patient, service=service, by=by, planned_sessions=planned_sessions)
    appointment = _create(patient=patient, service=service, placement=placement, course=course, by=by, now=now, status=Status.BOOKED)
    _announce_booked(appointment, by=by, now=now)
    return appointment


@_overlap_is_taken
@transaction.atomic
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
    now = _now(now)
    staff = _actor_checks(by=by, patient=patient)
    clinic = selectors.current_clinic()
    policy = selectors.policy_for(clinic)
    _lock_calendars(clinic.pk)
    holds_expire(now=now)
    Appointment.objects.filter(patient=patient, status=Status.HELD).update(
        status=Status.CANCELLED, cancelled_at=now, cancel_reason="released", updated_at=now
    )
    placement = _place(
        patient=patient, service=service, start=start, clinician_id=clinician_id, now=now, staff=staff, by=by,
        planned_sessions=planned_sessions,
    )
    course = _ensure_course(placement, patient=patient, service=service, by=by, planned_sessions=planned_sessions)
    return _create(
        patient=patient, service=service, placement=placement, course=course, by=by, now=now,
        status=Status.HELD, hold_until=now + policy.hold_duration,
    )


@transaction.atomic
def hold_release(*, appointment: Appointment, by, now: datetime | None = None) -> None:
    now = _now(now)
    _actor_checks(by=by, patient=appointment.patient)
    Appointment.objects.filter(pk=appointment.pk, status=Status.HELD).update(
        status=Status.CANCELLED, cancelled_at=now, cancel_reason="released", updated_at=now
    )


@_overlap_is_taken
@transaction.atomic
def appointment_confirm(*, appointment: Appointment, by, now: datetime | None = None) -> Appointment:
    """Turns the patient's hold into a booking. A hold that has expired is booked anyway when the
    time is still free (re-checked like a new booking); otherwise "just taken" with the nearest."""
    now = _now(now)
    staff = _actor_checks(by=by, patient=appointment.patient)
    clinic = selectors.current_clinic()
    _lock_calendars(clinic.pk)
    holds_expire(now=now)
    hold = Appointment.objects.select_for_update(of=("self",)).select_related("service", "patient__user", "course").get(pk=appointment.pk)
    if hold.status == Status.BOOKED and hold.booked_at is not None:
        return hold  # a double click: already confirmed
    if hold.status == Status.HELD:
        # Still held, so still free; the screening may have changed since the hold.
        _check_clearance(patient=hold.patient, service=hold.service, start=hold.start, now=now)
        hold.status, hold.hold_expires_at, hold.booked_at, hold.booked_by = Status.BOOKED, None, now, by
        hold.save(update_fields=["status", "hold_expires_at", "booked_at", "booked_by", "updated_at"])
        booked = hold
    elif hold.status == Status.CANCELLED and hold.cancel_reason == "hold expired":
        placement = _place(
            patient=hold.patient, service=hold.service, start=hold.start, clinician_id=hold.clinician_id, now=now,
            staff=staff, by=by, course=hold.course, sequence=hold.sequence,
        )
        booked = _create(
            patient=hold.patient, service=hold.service, placement=placement, course=hold.course, by=by, now=now,
            status=Status.BOOKED,
        )
    else:
        raise BookingError("hold_gone")
    _announce_booked(booked, by=by, now=now)
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


@_overlap_is_taken
@transaction.atomic
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
    now = _now(now)
    staff = _actor_checks(by=by, patient=patient)
    clinic = selectors.current_clinic()
    policy = selectors.policy_for(clinic)
    tz = clinic.tzinfo
    _lock_calendars(clinic.pk)
    holds_expire(now=now)
    if hold is not None:
        hold = Appointment.objects.select_for_update(of=("self",)).select_related("course").get(pk=hold.pk, patient=patient)
        if hold.status != Status.HELD:
            raise BookingError("hold_gone")
        # Free the held time for the re-check below; the row becomes session one again.
        start, clinician_id = hold.start, hold.clinician_id
        hold.status, hold.cancel_reason, hold.cancelled_at = Status.CANCELLED, "released", now
        hold.save(update_fields=["status", "cancel_reason", "cancelled_at", "updated_at"])
    placement = _place(
        patient=patient, service=service, start=start, clinician_id=clinician_id, now=now, staff=staff, by=by,
        course=hold.course if hold else None, sequence=hold.sequence if hold else None,
        planned_sessions=planned_sessions,
    )
    course = _ensure_course(placement, patient=patient, service=service, by=by, planned_sessions=planned_sessions)
    booked = [_create(patient=patient, service=service, placement=placement, course=course, by=by, now=now, status=Status.BOOKED)]
    state = selectors.course_state(course, policy=policy, tz=tz)
    for sequence in range(placement.sequence + 1, course.planned_sessions + 1):
        if state.starts[sequence - 1] is not None:
            continue  # already booked earlier
        previous = booked[-1]
        window = spacing.allowed_window(previous.start, tz, policy.spacing_rule)
        slots = selectors.slot_list(
            service=service, first_day=window.first_day, last_day=window.last_day, now=now, within=window,
            online=not staff, staff=staff,
        )
        slot = _pick_in_window(slots, like=booked[0].start, clinician_id=booked[0].clinician_id, tz=tz)
        if slot is None:
            raise BookingError("no_slot_for_session", sequence=sequence, window_text=window.describe(), phone=_phone(clinic))
        next_placement = _place(
            patient=patient, service=service, start=slot.start, clinician_id=slot.clinician_id, now=now, staff=staff,
            by=by, course=course, sequence=sequence,
        )
        booked.append(
            _create(patient=patient, service=service, placement=next_placement, course=course, by=by, now=now, status=Status.BOOKED)
        )
    for appointment in booked:
        _announce_booked(appointment, by=by, now=now)
    return course


# --- changes ---------------------------------------------------------------------------------


def _changeable(appointment: Appointment, *, staff: bool, now: datetime, policy: BookingPolicy, clinic) -> None:
    if appointment.status != Status.BOOKED:
        raise BookingError("not_changeable", status=appointment.get_status_display().lower())
    if not staff and appointment.start - now < policy.notice:
        raise BookingError("within_notice", notice_text=_notice_text(policy), phone=_phone(clinic))


def _move_one(
    appointment: Appointment,
    *,
    start: datetime,
    clinician_id: int | None,
    by,
    now: datetime,
    staff: bool,
    override_reason: str,
) -> Appointment:
    placement = _place(
        patient=appointment.patient, service=appointment.service, start=start, clinician_id=clinician_id, now=now,
        staff=staff, by=by, course=appointment.course, sequence=appointment.sequence,
        override_reason=override_reason, exclude_appointment=appointment,
    )
    previous_start, previous_end = appointment.start, appointment.end
    previous_clinician = appointment.clinician_id
    _apply_slot(appointment, appointment.service, placement.slot)
    appointment.version += 1
    if placement.override_reason:
        appointment.override_reason, appointment.override_by = placement.override_reason, by
    appointment.save()
    note = f"from {previous_start.isoformat()}"
    if placement.override_reason:
        note += f"; outside the spacing window: {placement.override_reason}"
    _log(appointment, "moved", by, now, note)
    events.appointment_moved.send(
        sender=Appointment, appointment=appointment, previous_start=previous_start, previous_end=previous_end
    )
    _waitlist_offer(service=appointment.service, freed_start=previous_start, clinician_id=previous_clinician, now=now)
    return appointment


@_overlap_is_taken
@transaction.atomic
def appointment_move(
    *,
    appointment: Appointment,
    start: datetime,
    by,
    clinician_id: int | None = None,
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
    now = _now(now)
    staff = _actor_checks(by=by, patient=appointment.patient, via_link=via_link)
    clinic = selectors.current_clinic()
    policy = selectors.policy_for(clinic)
    tz = clinic.tzinfo
    _lock_calendars(clinic.pk)
    holds_expire(now=now)
    appointment = Appointment.objects.select_for_update(of=("self",)).select_related("service", "patient__user", "course").get(pk=appointment.pk)
    _changeable(appointment, staff=staff, now=now, policy=policy, clinic=clinic)
    if not move_following or appointment.course is None:
        return _move_one(appointment, start=start, clinician_id=clinician_id, by=by, now=now, staff=staff, override_reason=override_reason)

    # Move this one ignoring its follower's gap, then walk the followers forward.
    following = list(
        appointment.course.appointments.filter(sequence__gt=appointment.sequence, status__in=BLOCKING_STATUSES)
        .select_related("service", "patient__user", "course")
        .order_by("sequence")
    )
    for later in following:
        _changeable(later, staff=staff, now=now, policy=policy, clinic=clinic)
    # Park the followers (cancel in this transaction) so the first move is checked against its
    # previous session only; each follower is then re-placed and re-activated.
    Appointment.objects.filter(pk__in=[a.pk for a in following]).update(status=Status.CANCELLED)
    moved = _move_one(appointment, start=start, clinician_id=clinician_id, by=by, now=now, staff=staff, override_reason=override_reason)
    previous = moved
    for later in following:
        window = spacing.allowed_window(previous.start, tz, policy.spacing_rule)
        if window.contains(later.start.astimezone(tz).date()):
            Appointment.objects.filter(pk=later.pk).update(status=Status.BOOKED)
            previous = later
            continue
        slots = selectors.slot_list(
            service=later.service, first_day=window.first_day, last_day=window.last_day, now=now, within=window,
            online=not staff, staff=staff, exclude_appointment_id=later.pk,
        )
        slot = _pick_in_window(slots, like=later.start, clinician_id=later.clinician_id, tz=tz)
        if slot is None:
            raise BookingError("no_slot_for_session", sequence=later.sequence, window_text=window.describe(), phone=_phone(clinic))
        later.status = Status.BOOKED  # saved together with its new time
        previous = _move_one(later, start=slot.start, clinician_id=slot.clinician_id, by=by, now=now, staff=staff, override_reason="")
    return moved


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, by, now: datetime | None = None, reason: str = "", via_link: bool = False
) -> Appointment:
    now = _now(now)
    staff = _actor_checks(by=by, patient=appointment.patient, via_link=via_link)
    clinic = selectors.current_clinic()
    policy = selectors.policy_for(clinic)
    _lock_calendars(clinic.pk)
    appointment = Appointment.objects.select_for_update(of=("self",)).select_related("service", "patient").get(pk=appointment.pk)
    _changeable(appointment, staff=staff, now=now, policy=policy, clinic=clinic)
    appointment.status, appointment.cancelled_at, appointment.cancelled_by = Status.CANCELLED, now, by
    appointment.cancel_reason = reason[:200]
    appointment.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "updated_at"])
    _log(appointment, "cancelled", by, now, reason)
    events.appointment_cancelled.send(sender=Appointment, appointment=appointment, by=by)
    _waitlist_offer(service=appointment.service, freed_start=appointment.start, clinician_id=appointment.clinician_id, now=now)
    outbox.enqueue(emails.CANCELLED, patient=appointment.patient, obj=appointment, planned_for=appointment.start)
    return appointment


_TRANSITIONS = {
    Status.CHECKED_IN: ((Status.BOOKED,), "checked_in", None),  # the desk's business, no event
    Status.COMPLETED: ((Status.BOOKED, Status.CHECKED_IN), "completed", events.appointment_completed),
    Status.NO_SHOW: ((Status.BOOKED,), "no_show", events.appointment_no_show),
}


@transaction.atomic
def _transition(*, appointment: Appointment, target: str, by, now: datetime | None) -> Appointment:
    now = _now(now)
    if by is None or not is_staff_member(by):
        raise BookingError("wrong_patient")
    appointment = Appointment.objects.select_for_update(of=("self",)).select_related("course").get(pk=appointment.pk)
    allowed, action, signal = _TRANSITIONS[target]
    if appointment.status not in allowed:
        raise BookingError(
            "bad_transition", status=appointment.get_status_display().lower(), target=Status(target).label.lower()
        )
    if target == Status.COMPLETED:
        objections = hooks.completion_objections(appointment)
        if objections:
            raise BookingError("completion_blocked", objections=" ".join(objections))
    appointment.status = target
    fields = ["status", "updated_at"]
    if target == Status.CHECKED_IN:
        appointment.checked_in_at = now
        fields.append("checked_in_at")
    appointment.save(update_fields=fields)
    _log(appointment, action, by, now)
    if signal is not None:
        signal.send(sender=Appointment, appointment=appointment)
    course = appointment.course
    if target == Status.COMPLETED and course is not None:
        done = course.appointments.filter(status=Status.COMPLETED).count()
        if done >= course.planned_sessions:
            TreatmentCourse.objects.filter(pk=course.pk).update(status=CourseStatus.FINISHED)
    return appointment


def appointment_check_in(*, appointment: Appointment, by, now: datetime | None = None) -> Appointment:
    return _transition(appointment=appointment, target=Status.CHECKED_IN, by=by, now=now)


def appointment_complete(*, appointment: Appointment, by, now: datetime | None = None) -> Appointment:
    return _transition(appointment=appointment, target=Status.COMPLETED, by=by, now=now)


def appointment_mark_no_show(*, appointment: Appointment, by, now: datetime | None = None) -> Appointment:
    return _transition(appointment=appointment, target=Status.NO_SHOW, by=by, now=now)


# --- waitlist --------------------------------------------------------------------------------


@transaction.atomic
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
    now = _now(now)
    _actor_checks(by=by, patient=patient)
    today = now.astimezone(selectors.current_clinic().tzinfo).date()
    if earliest > latest or latest < today:
        raise BookingError("waitlist_dates")
    entry, _ = WaitlistEntry.objects.update_or_create(
        patient=patient,
        service=service,
        status=WaitlistStatus.WAITING,
        defaults={"earliest": max(earliest, today), "latest": latest, "clinician": clinician, "created_at": now},
    )
    return entry


@transaction.atomic
def waitlist_leave(*, entry: WaitlistEntry, by) -> None:
    _actor_checks(by=by, patient=entry.patient)
    WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistStatus.WAITING).update(status=WaitlistStatus.LEFT)


def _waitlist_offer(*, service: Service, freed_start: datetime, clinician_id: int, now: datetime) -> list[WaitlistEntry]:
    """A time freed up: tell the first waiting patients whose dates match (by e-mail, through the outbox).

    Nobody gets the time reserved: whoever books first through the normal path gets it. Only when
    a slot for the service really is free that day are patients told.
    """
    clinic = selectors.current_clinic()
    policy = selectors.policy_for(clinic)
    day = freed_start.astimezone(clinic.tzinfo).date()
    if freed_start - now < policy.notice:
        return []
    entries = list(
        WaitlistEntry.objects.filter(service=service, status=WaitlistStatus.WAITING, earliest__lte=day, latest__gte=day)
        .filter(Q(clinician__isnull=True) | Q(clinician_id=clinician_id))
        .order_by("created_at", "pk")[: policy.waitlist_notify_count]
    )
    if not entries:
        return []
    if not selectors.slot_list(service=service, first_day=day, last_day=day, now=now, limit=1):
        return []
    for entry in entries:
        WaitlistEntry.objects.filter(pk=entry.pk).update(last_notified_at=now, notified_count=entry.notified_count + 1)
        outbox.enqueue(emails.WAITLIST_OFFER, patient=entry.patient, obj=entry, params={"day": day.isoformat()})
    return entries
