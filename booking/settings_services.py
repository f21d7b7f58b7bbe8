"""The clinic admin's booking settings: rules, clinicians' hours, time off and closures.

Each change enters through ``services.calendar_write`` like every booking write: it changes what
is free, so it must not interleave with a booking being checked against the old hours. Each is
recorded in the audit log (a spacing rule is a clinical decision: who changed it, from what).
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.db import IntegrityError

from clinic import audit
from clinic.models import Clinician

from .models import Appointment, BookingPolicy, ClinicClosure, Status, TimeOff, WorkingHours
from .services import BookingError, calendar_write

POLICY_FIELDS = (
    "min_days_between_sessions", "max_days_between_sessions", "course_sessions_default", "course_sessions_min",
    "course_sessions_max", "notice_hours", "horizon_days", "slot_step_minutes", "hold_minutes", "waitlist_notify_count",
)


def policy_update(*, changes: dict, by) -> BookingPolicy:
    """Saves the booking rules; the database's own limits back the form's (never a raw error)."""
    with calendar_write(by=by, perm="booking.change_bookingpolicy") as w:
        policy = BookingPolicy.objects.select_for_update().get(pk=w.policy.pk)
        before = {f: getattr(policy, f) for f in POLICY_FIELDS}
        for name in POLICY_FIELDS:
            if name in changes:
                setattr(policy, name, changes[name])
        try:
            policy.save()
        except IntegrityError:
            raise BookingError("settings_invalid") from None
        changed = {f: [before[f], getattr(policy, f)] for f in POLICY_FIELDS if before[f] != getattr(policy, f)}
        if changed:
            audit.record(actor=by, action="booking.policy.changed", obj=policy, details=changed)
    return policy


def working_week_set(*, clinician: Clinician, spans: list[tuple[int, time, time]], by) -> list[WorkingHours]:
    """Replaces a clinician's weekly hours. Booked visits outside the new hours stay (the desk
    sees them on the calendar, over the shading, and moves them)."""
    with calendar_write(by=by, perm="booking.change_workinghours"):
        WorkingHours.objects.filter(clinician=clinician).delete()
        hours = WorkingHours.objects.bulk_create(
            WorkingHours(clinician=clinician, weekday=day, starts=s, ends=e) for day, s, e in sorted(spans)
        )
        audit.record(actor=by, action="booking.working_hours.changed", obj=clinician,
                     details={"spans": [[d, s.isoformat("minutes"), e.isoformat("minutes")] for d, s, e in sorted(spans)]})
    return hours


def _visits_between(*, start: datetime, end: datetime, clinician_id: int | None = None) -> list[Appointment]:
    rows = Appointment.objects.filter(start__lt=end, end__gt=start, status__in=[Status.BOOKED, Status.CHECKED_IN])
    if clinician_id is not None:
        rows = rows.filter(clinician_id=clinician_id)
    return list(rows.select_related("patient").order_by("start"))


def time_off_add(*, clinician: Clinician, start: datetime, end: datetime, reason: str, by) -> tuple[TimeOff, list[Appointment]]:
    """Adds time off; returns it with the visits already booked in it (for the desk to move)."""
    if end <= start:
        raise BookingError("settings_invalid")
    with calendar_write(by=by, perm="booking.add_timeoff"):
        time_off = TimeOff.objects.create(clinician=clinician, start=start, end=end, reason=reason[:120])
        audit.record(actor=by, action="booking.time_off.added", obj=time_off)
        return time_off, _visits_between(start=start, end=end, clinician_id=clinician.pk)


def time_off_remove(*, time_off: TimeOff, by) -> None:
    with calendar_write(by=by, perm="booking.delete_timeoff"):
        audit.record(actor=by, action="booking.time_off.removed", obj=time_off)
        time_off.delete()


def closure_add(*, day: date, reason: str, by, tz) -> tuple[ClinicClosure, list[Appointment]]:
    """Closes the clinic for a day; returns it with the visits already booked that day."""
    from .selectors import day_bounds

    with calendar_write(by=by, perm="booking.add_clinicclosure") as w:
        closure, created = ClinicClosure.objects.get_or_create(clinic=w.clinic, date=day, defaults={"reason": reason[:120]})
        if not created:
            raise BookingError("closure_exists")
        audit.record(actor=by, action="booking.closure.added", obj=closure)
        start, end = day_bounds(day, day, tz)
        return closure, _visits_between(start=start, end=end)


def closure_remove(*, closure: ClinicClosure, by) -> None:
    with calendar_write(by=by, perm="booking.delete_clinicclosure"):
        audit.record(actor=by, action="booking.closure.removed", obj=closure)
        closure.delete()
