"""Visit statuses follow the clock, can be undone the same day, and a no-show or a cancellation is
never a session of the course (DESIGN invariant 7). Aftercare follows the status."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from aftercare import services as aftercare
from clinic import delivery
from clinic.models import MessageStatus, OutboxMessage
from aftercare.plan import Kind
from booking import db_guards, selectors
from booking.models import Appointment, CourseStatus, Status
from booking.selectors import appointment_history
from booking.seed import NOTHING_CHANGED
from booking.services import (
    BookingError,
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_mark_no_show,
    appointment_mark_not_treated,
    appointment_undo,
    course_book_all,
)
from intake import services as intake_services
from tests.booking.factories import local

pytestmark = pytest.mark.django_db

WED = date(2026, 3, 4)


@pytest.fixture
def visit(cal, patient, now):
    """Alice's consultation, Wednesday 4 March 10:00-10:30 (booked on Monday 2 March)."""
    return appointment_book(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=patient.user)


def refused(func, **kwargs):
    with pytest.raises(BookingError) as error:
        func(**kwargs)
    return error.value


# --- forward, by the clock ---------------------------------------------------------------------


def test_check_in_is_refused_before_the_visits_day_and_allowed_on_it(visit, front_desk):
    error = refused(appointment_check_in, appointment=visit, by=front_desk, now=local(date(2026, 3, 3), "23:59"))
    assert error.code == "check_in_not_today" and "Wednesday 4 March" in error.message
    checked = appointment_check_in(appointment=visit, by=front_desk, now=local(WED, "08:00"))
    assert checked.status == Status.CHECKED_IN and checked.checked_in_at == local(WED, "08:00")
    assert checked.status_changed_at == local(WED, "08:00")


def test_check_in_is_refused_the_day_after(visit, front_desk):
    assert refused(appointment_check_in, appointment=visit, by=front_desk, now=local(date(2026, 3, 5), "09:00")).code == "check_in_not_today"


def test_a_visit_cannot_be_marked_completed_the_day_before_it_takes_place(visit, front_desk):
    error = refused(appointment_complete, appointment=visit, by=front_desk, now=local(date(2026, 3, 3), "10:00"))
    assert error.code == "not_started_yet" and "10:00 AM on Wednesday 4 March" in error.message
    visit.refresh_from_db()
    assert visit.status == Status.BOOKED


def test_a_no_show_cannot_be_recorded_16_days_early(visit, front_desk):
    error = refused(appointment_mark_no_show, appointment=visit, by=front_desk, now=visit.start - timedelta(days=16))
    assert error.code == "not_started_yet"


def test_completed_and_no_show_are_allowed_once_the_visit_started(cal, patient, front_desk, visit):
    assert appointment_mark_no_show(appointment=visit, by=front_desk, now=visit.start).status == Status.NO_SHOW
    other = appointment_book(patient=patient, service=cal.consultation, start=local(WED, "14:00"), by=patient.user)
    assert appointment_complete(appointment=other, by=front_desk, now=other.start + timedelta(minutes=1)).status == Status.COMPLETED


def test_a_visit_that_started_can_no_longer_be_cancelled(visit, front_desk):
    assert refused(appointment_cancel, appointment=visit, by=front_desk, now=visit.start).code == "already_started"
    assert appointment_cancel(appointment=visit, by=front_desk, now=visit.start - timedelta(minutes=1)).status == Status.CANCELLED


def test_patients_cannot_change_statuses(visit, patient):
    assert refused(appointment_check_in, appointment=visit, by=patient.user, now=visit.start).code == "wrong_patient"
    assert refused(appointment_undo, appointment=visit, by=patient.user, reason="x", now=visit.start).code == "wrong_patient"


# --- undo the same day ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "steps, back_to",
    [
        (["check_in"], Status.BOOKED),
        (["check_in", "complete"], Status.CHECKED_IN),
        (["complete"], Status.BOOKED),
        (["no_show"], Status.BOOKED),
    ],
)
def test_each_status_can_be_undone_the_same_day_with_a_reason_that_is_logged(visit, front_desk, steps, back_to):
    funcs = {"check_in": appointment_check_in, "complete": appointment_complete, "no_show": appointment_mark_no_show}
    for step in steps:
        funcs[step](appointment=visit, by=front_desk, now=local(WED, "10:05"))
    undone = appointment_undo(appointment=visit, by=front_desk, reason="Pressed the wrong button", now=local(WED, "18:00"))
    assert undone.status == back_to
    if back_to == Status.BOOKED:
        assert undone.checked_in_at is None
    entry = appointment_history(visit).last()
    assert entry.action == f"booking.appointment.{steps[-1]}.undone".replace("check_in.undone", "checked_in.undone").replace(
        "complete.undone", "completed.undone")
    assert entry.details["note"] == "Pressed the wrong button" and entry.actor == front_desk


def test_undo_is_refused_the_next_day_and_without_a_reason(visit, front_desk):
    appointment_mark_no_show(appointment=visit, by=front_desk, now=local(WED, "10:20"))
    assert refused(appointment_undo, appointment=visit, by=front_desk, reason="  ", now=local(WED, "11:00")).code == "undo_reason"
    error = refused(appointment_undo, appointment=visit, by=front_desk, reason="late", now=local(date(2026, 3, 5), "08:00"))
    assert error.code == "undo_too_late" and "Wednesday 4 March" in error.message
    visit.refresh_from_db()
    assert visit.status == Status.NO_SHOW


def test_there_is_nothing_to_undo_on_a_booked_visit(visit, front_desk):
    assert refused(appointment_undo, appointment=visit, by=front_desk, reason="why", now=visit.start).code == "bad_transition"


# --- aftercare follows ---------------------------------------------------------------------------


def session_visit(cal, patient, start):
    return appointment_book(patient=patient, service=cal.session, start=start, by=patient.user)


def test_undoing_completed_withdraws_the_aftercare_not_yet_sent(cal, patient, cleared, front_desk, now, no_record_needed):
    a = session_visit(cal, patient, local(WED, "10:00"))
    appointment_complete(appointment=a, by=front_desk, now=a.end)
    after = a.messages.filter(kind__in=[Kind.AFTERCARE, Kind.CHECK_IN])
    assert after.count() == 2 and set(after.values_list("status", flat=True)) == {MessageStatus.PENDING}
    already = after.get(kind=Kind.AFTERCARE)
    OutboxMessage.objects.filter(pk=already.pk).update(status=MessageStatus.SENT)  # one went out already
    appointment_undo(appointment=a, by=front_desk, reason="Not treated after all", now=a.end + timedelta(minutes=5))
    assert after.get(kind=Kind.CHECK_IN).status == MessageStatus.CANCELLED
    assert after.get(kind=Kind.AFTERCARE).status == MessageStatus.SENT  # what was sent stays on record


def test_aftercare_never_goes_out_before_the_visit_whatever_the_row_says(cal, patient, cleared, front_desk, now):
    """A visit marked completed in the future (an old row, a shell, a bug): its aftercare waits."""
    a = session_visit(cal, patient, local(WED, "10:00"))
    Appointment.objects.filter(pk=a.pk).update(status=Status.COMPLETED)
    a.refresh_from_db()
    aftercare.plan_after_completion(appointment=a, now=now)  # as if completed on Monday
    due = now + timedelta(minutes=10)
    with time_machine.travel(due, tick=False):
        sent = {m: delivery.send_message(m) for m in delivery.dispatch_due(now=due)}
    withheld = OutboxMessage.objects.get(pk__in=sent, kind=Kind.AFTERCARE)
    assert withheld.status == MessageStatus.SKIPPED and withheld.last_error == "the visit has not taken place yet"


def test_undoing_completed_reopens_a_course_it_had_finished(cal, patient, cleared, front_desk, now, no_record_needed):
    course = course_book_all(patient=patient, service=cal.session, start=local(WED, "10:00"), by=front_desk,
                             planned_sessions=2)
    first, second = course.appointments.order_by("sequence")
    appointment_complete(appointment=first, by=front_desk, now=first.end)
    appointment_complete(appointment=second, by=front_desk, now=second.end)
    course.refresh_from_db()
    assert course.status == CourseStatus.FINISHED
    appointment_undo(appointment=second, by=front_desk, reason="Session stopped early", now=second.end)
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


# --- a no-show or a cancellation is never a session ------------------------------------------------


def test_a_no_show_frees_its_session_number_and_the_next_window_counts_from_the_session_before(
    cal, patient, cleared, front_desk, now, no_record_needed
):
    first = session_visit(cal, patient, local(WED, "10:00"))
    appointment_complete(appointment=first, by=front_desk, now=first.end)
    missed = session_visit(cal, patient, local(date(2026, 3, 18), "10:00"))  # session 2, 14 days later
    assert missed.sequence == 2
    appointment_mark_no_show(appointment=missed, by=front_desk, now=missed.start + timedelta(minutes=20))
    state = selectors.course_state(first.course, policy=cal.policy, tz=cal.clinic.tzinfo)
    assert state.next_sequence == 2
    # The window is still counted from session 1 (4 March), not from the missed visit.
    assert (state.window.first_day, state.window.last_day) == (date(2026, 3, 18), date(2026, 4, 15))
    again = appointment_book(patient=patient, service=cal.session, start=local(date(2026, 4, 1), "10:00"), by=front_desk,
                             now=missed.start + timedelta(hours=1))
    assert again.sequence == 2
    # Session 3 is then offered from the session that stands (1 April), not from the no-show.
    state = selectors.course_state(first.course, policy=cal.policy, tz=cal.clinic.tzinfo)
    assert state.next_sequence == 3 and state.window.first_day == date(2026, 4, 15)


def test_a_no_show_keeps_its_time_on_the_calendar(cal, patient, other_patient, front_desk, now):
    cal.clinicians[1].working_hours.all().delete()
    missed = appointment_book(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=front_desk)
    appointment_mark_no_show(appointment=missed, by=front_desk, now=missed.start + timedelta(minutes=5))
    error = refused(appointment_book, patient=other_patient, service=cal.consultation, start=local(WED, "10:15"),
                    by=front_desk, now=missed.start + timedelta(minutes=6))
    assert error.code == "taken"


def test_undoing_a_no_show_is_refused_once_its_session_was_booked_again(cal, patient, cleared, front_desk, now):
    first = session_visit(cal, patient, local(WED, "10:00"))
    missed = session_visit(cal, patient, local(date(2026, 3, 18), "10:00"))
    appointment_mark_no_show(appointment=missed, by=front_desk, now=missed.start + timedelta(minutes=20))
    # She calls, confirms nothing changed, and is booked again for that afternoon.
    intake_services.reconfirmation_submit(patient=patient, changes=NOTHING_CHANGED, now=missed.start + timedelta(minutes=25))
    appointment_book(patient=patient, service=cal.session, start=local(date(2026, 3, 18), "15:00"), by=front_desk,
                     now=missed.start + timedelta(minutes=30))
    error = refused(appointment_undo, appointment=missed, by=front_desk, reason="She came late", now=missed.start + timedelta(hours=1))
    assert error.code == "session_rebooked" and "Wednesday 18 March, 3:00 PM" in error.message
    assert first.course.appointments.filter(sequence=2, status=Status.BOOKED).count() == 1


def test_the_database_allows_one_standing_session_per_number_but_any_number_of_no_shows(cal, patient, cleared, front_desk, now):
    """The unique constraint counts held, booked, checked-in and completed rows only (both databases)."""
    first = session_visit(cal, patient, local(WED, "10:00"))
    Appointment.objects.filter(pk=first.pk).update(status=Status.NO_SHOW)
    copy = Appointment.objects.get(pk=first.pk)
    copy.pk, copy.status = None, Status.NO_SHOW
    copy.start, copy.end = local(WED, "14:00"), local(WED, "14:45")
    copy.blocked_start, copy.blocked_end = local(WED, "13:55"), local(WED, "14:55")
    copy.save()  # a second no-show of session 1: allowed
    copy.pk, copy.status = None, Status.BOOKED
    copy.start, copy.end = local(WED, "16:00"), local(WED, "16:45")
    copy.blocked_start, copy.blocked_end = local(WED, "15:55"), local(WED, "16:55")
    copy.save()  # session 1 booked again: allowed, it is the only standing one
    copy.pk = None
    copy.start, copy.end = local(date(2026, 3, 5), "10:00"), local(date(2026, 3, 5), "10:45")
    copy.blocked_start, copy.blocked_end = local(date(2026, 3, 5), "09:55"), local(date(2026, 3, 5), "10:55")
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()  # a second standing session 1: refused by the database


def test_a_cancelled_session_is_not_a_session_either(cal, patient, cleared, front_desk, now):
    first = session_visit(cal, patient, local(WED, "10:00"))
    second = session_visit(cal, patient, local(date(2026, 3, 18), "10:00"))
    appointment_cancel(appointment=second, by=front_desk, reason="Patient is travelling")
    state = selectors.course_state(first.course, policy=cal.policy, tz=cal.clinic.tzinfo)
    assert state.next_sequence == 2 and state.window.first_day == date(2026, 3, 18)


# --- came, not treated: the time was used, but it is no session and no aftercare follows -----------


def test_a_session_the_patient_came_to_but_was_not_treated_at_is_no_session_of_the_course(
    cal, patient, cleared, front_desk, now, no_record_needed
):
    first = session_visit(cal, patient, local(WED, "10:00"))
    appointment_complete(appointment=first, by=front_desk, now=first.end)
    second = session_visit(cal, patient, local(date(2026, 3, 18), "10:00"))
    appointment_check_in(appointment=second, by=front_desk, now=second.start - timedelta(minutes=5))
    closed = appointment_mark_not_treated(appointment=second, by=front_desk, reason="Unwell today",
                                          now=second.start + timedelta(minutes=10))
    assert closed.status == Status.NOT_TREATED
    state = selectors.course_state(first.course, policy=cal.policy, tz=cal.clinic.tzinfo)
    assert state.next_sequence == 2  # its number is free again
    assert (state.window.first_day, state.window.last_day) == (date(2026, 3, 18), date(2026, 4, 15))
    assert not second.messages.filter(kind__in=[Kind.AFTERCARE, Kind.CHECK_IN]).exists()
    entry = appointment_history(second).last()
    assert entry.action == "booking.appointment.not_treated" and entry.details["note"] == "Unwell today"


def test_not_treated_needs_a_reason_a_started_visit_and_a_treatment_session(cal, patient, cleared, front_desk, now, visit):
    session = session_visit(cal, patient, local(date(2026, 3, 5), "10:00"))
    assert refused(appointment_mark_not_treated, appointment=session, by=front_desk, reason="  ",
                   now=session.start + timedelta(minutes=5)).code == "not_treated_reason"
    assert refused(appointment_mark_not_treated, appointment=session, by=front_desk, reason="Unwell",
                   now=session.start - timedelta(minutes=5)).code == "not_started_yet"
    assert refused(appointment_mark_not_treated, appointment=visit, by=front_desk, reason="Unwell",
                   now=visit.start + timedelta(minutes=5)).code == "not_a_session"


def test_not_treated_keeps_its_time_and_can_be_undone_the_same_day(cal, patient, cleared, front_desk, now):
    session = session_visit(cal, patient, local(WED, "10:00"))
    appointment_mark_not_treated(appointment=session, by=front_desk, reason="Unwell", now=session.start + timedelta(minutes=5))
    with connection.cursor() as cursor:  # still taken: the no-overlap guard counts it
        cursor.execute(f"SELECT status FROM booking_appointment WHERE id = %s AND status IN {db_guards.BLOCKING_SQL}",
                       [session.pk])
        assert cursor.fetchone() == ("not_treated",)
    back = appointment_undo(appointment=session, by=front_desk, reason="Treated after all", now=session.start + timedelta(hours=2))
    assert back.status == Status.BOOKED
