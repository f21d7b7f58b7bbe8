"""Treatment courses: spacing through the services, whole-course booking, moves, overrides."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from booking.models import Appointment, Status, TimeOff, TreatmentCourse
from booking.selectors import appointment_history
from booking.services import BookingError, appointment_book, appointment_cancel, appointment_move, course_book_all
from tests.booking.factories import local

pytestmark = pytest.mark.django_db

FIRST = date(2026, 3, 4)  # a Wednesday; the next session may be 18 March .. 15 April


def session(cal, patient, day, hhmm="10:00", **kwargs):
    kwargs.setdefault("by", patient.user)
    return appointment_book(patient=patient, service=cal.session, start=local(day, hhmm), **kwargs)


@pytest.mark.parametrize(
    ("days_after", "allowed"),
    [(13, False), (14, True), (42, True), (43, False)],
)
def test_the_second_session_must_be_14_to_42_days_after_the_first(cal, patient, cleared, now, days_after, allowed):
    first = session(cal, patient, FIRST)
    day = FIRST + timedelta(days=days_after)
    assert day.weekday() < 5, "FIRST must leave every boundary day on a working weekday"
    if allowed:
        second = session(cal, patient, day, "16:00")
        assert second.course == first.course and second.sequence == 2
    else:
        with pytest.raises(BookingError) as refused:
            session(cal, patient, day, "16:00")
        assert refused.value.code == "outside_window"
        assert "between Wednesday 18 March and Wednesday 15 April 2026" in refused.value.message
        assert refused.value.window.first_day == date(2026, 3, 18)
        assert all(date(2026, 3, 18) <= s.start.date() <= date(2026, 4, 16) for s in refused.value.nearest)
        assert Appointment.objects.filter(status=Status.BOOKED).count() == 1


def test_days_are_counted_as_clinic_dates_not_24_hour_periods(cal, patient, cleared, now):
    first = session(cal, patient, FIRST, "16:15")  # 00:15 UTC on 5 March
    assert first.start.date() == date(2026, 3, 5)
    second = session(cal, patient, date(2026, 3, 18), "09:00")  # 14 local dates later, < 14 x 24 h
    assert second.sequence == 2


def test_a_session_needs_a_cleared_screening_and_says_where_to_go(cal, patient, now):
    with pytest.raises(BookingError) as refused:
        session(cal, patient, FIRST)
    assert refused.value.code == "not_cleared"
    assert refused.value.action_url == "/intake/"
    assert appointment_book(patient=patient, service=cal.consultation, start=local(FIRST, "10:00"), by=patient.user)


def test_the_front_desk_is_held_to_the_screening_too(cal, patient, front_desk, now):
    with pytest.raises(BookingError) as refused:
        session(cal, patient, FIRST, by=front_desk)
    assert refused.value.code == "not_cleared"


def test_booking_the_whole_course_reserves_every_session_inside_its_window(cal, patient, cleared, now):
    course = course_book_all(patient=patient, service=cal.session, start=local(FIRST, "10:00"), by=patient.user)
    sessions = list(course.appointments.order_by("sequence"))
    assert [a.sequence for a in sessions] == [1, 2, 3]
    assert all(a.status == Status.BOOKED for a in sessions)
    tz = cal.clinic.tzinfo
    days = [a.start.astimezone(tz).date() for a in sessions]
    assert [(b - a).days for a, b in zip(days, days[1:])] == [14, 14]
    assert all(a.start.astimezone(tz).strftime("%H:%M") == "10:00" for a in sessions)  # same time of day
    assert len({a.clinician_id for a in sessions}) == 1


def test_whole_course_is_all_or_nothing_when_session_3_cannot_be_booked(cal, patient, cleared, now):
    # Session 2 lands on 18 March; its follower's window (1 April .. 29 April) is fully taken.
    for clinician in cal.clinicians:
        TimeOff.objects.create(clinician=clinician, start=local(date(2026, 3, 31), "00:00"), end=local(date(2026, 5, 1), "00:00"))
    with pytest.raises(BookingError) as refused:
        course_book_all(patient=patient, service=cal.session, start=local(FIRST, "10:00"), by=patient.user)
    assert refused.value.code == "no_slot_for_session"
    assert "session 3" in refused.value.message
    assert not Appointment.objects.exists()
    assert not TreatmentCourse.objects.exists()


def test_a_course_holds_at_most_its_planned_sessions(cal, patient, cleared, now):
    course = course_book_all(patient=patient, service=cal.session, start=local(FIRST, "10:00"), by=patient.user,
                             planned_sessions=2)
    assert course.appointments.count() == 2
    with pytest.raises(BookingError) as refused:
        session(cal, patient, date(2026, 4, 20))
    assert refused.value.code == "course_full"


def test_a_course_length_outside_2_to_4_is_refused(cal, patient, cleared, now):
    with pytest.raises(BookingError) as refused:
        course_book_all(patient=patient, service=cal.session, start=local(FIRST, "10:00"), by=patient.user, planned_sessions=5)
    assert refused.value.code == "course_length"


def test_a_clinician_may_book_outside_the_window_with_a_recorded_reason(cal, patient, cleared, clinician, front_desk, now):
    session(cal, patient, FIRST)
    too_soon = date(2026, 3, 11)
    with pytest.raises(BookingError) as refused:
        session(cal, patient, too_soon, by=front_desk, override_reason="patient travels")
    assert refused.value.code == "override_forbidden"
    second = session(cal, patient, too_soon, by=clinician, override_reason="Small residual veins, seen early")
    assert second.sequence == 2 and second.override_by == clinician
    assert second.override_reason == "Small residual veins, seen early"
    assert "Small residual veins" in appointment_history(second).get().note


# --- moves -----------------------------------------------------------------------------------


def test_moving_a_session_rechecks_its_own_window(cal, patient, cleared, now):
    first = session(cal, patient, FIRST)
    second = session(cal, patient, date(2026, 3, 18))
    with pytest.raises(BookingError) as refused:
        appointment_move(appointment=second, start=local(date(2026, 3, 17), "10:00"), by=patient.user)
    assert refused.value.code == "outside_window"
    moved = appointment_move(appointment=second, start=local(date(2026, 3, 25), "11:00"), by=patient.user)
    assert moved.start == local(date(2026, 3, 25), "11:00") and moved.version == 1
    assert first.pk != moved.pk


def test_moving_a_session_that_pushes_the_next_out_of_its_window_offers_to_move_both(cal, patient, cleared, now):
    course = course_book_all(patient=patient, service=cal.session, start=local(FIRST, "10:00"), by=patient.user)
    first, second, third = course.appointments.order_by("sequence")
    new_start = local(date(2026, 4, 15), "10:00")  # day 42 after session 1; session 3 (1 April) too soon
    with pytest.raises(BookingError) as refused:
        appointment_move(appointment=second, start=new_start, by=patient.user)
    assert refused.value.code == "following_outside_window"
    assert refused.value.following == third
    assert "Wednesday 1 April 2026" in refused.value.message
    second.refresh_from_db()
    assert second.start == local(date(2026, 3, 18), "10:00")  # nothing moved

    moved = appointment_move(appointment=second, start=new_start, by=patient.user, move_following=True)
    third.refresh_from_db()
    assert moved.start == new_start
    assert third.status == Status.BOOKED and third.start == local(date(2026, 4, 29), "10:00")


def test_moving_inside_the_notice_period_asks_the_patient_to_call(cal, patient, front_desk, now):
    a = appointment_book(patient=patient, service=cal.consultation, start=local(date(2026, 3, 2), "15:00"), by=front_desk)
    with pytest.raises(BookingError) as refused:
        appointment_move(appointment=a, start=local(FIRST, "10:00"), by=patient.user)
    assert refused.value.code == "within_notice"
    assert "call us on (206) 555-0100" in refused.value.message
    with pytest.raises(BookingError):
        appointment_cancel(appointment=a, by=patient.user)
    assert appointment_move(appointment=a, start=local(FIRST, "10:00"), by=front_desk).start == local(FIRST, "10:00")


def test_a_move_to_a_taken_time_changes_nothing(cal, patient, other_patient, now):
    cal.clinicians[1].working_hours.all().delete()
    mine = appointment_book(patient=patient, service=cal.consultation, start=local(FIRST, "10:00"), by=patient.user)
    appointment_book(patient=other_patient, service=cal.consultation, start=local(FIRST, "11:00"), by=other_patient.user)
    with pytest.raises(BookingError) as refused:
        appointment_move(appointment=mine, start=local(FIRST, "11:15"), by=patient.user)
    assert refused.value.code == "taken"
    mine.refresh_from_db()
    assert mine.start == local(FIRST, "10:00") and mine.version == 0


def test_moving_a_visit_a_little_later_may_overlap_its_own_old_time(cal, patient, now):
    cal.clinicians[1].working_hours.all().delete()
    mine = appointment_book(patient=patient, service=cal.consultation, start=local(FIRST, "10:00"), by=patient.user)
    moved = appointment_move(appointment=mine, start=local(FIRST, "10:15"), by=patient.user)
    assert moved.start == local(FIRST, "10:15")


def test_a_session_soon_after_an_old_screening_asks_for_the_anything_changed_questions(cal, patient, now):
    from tests.intake.factories import ScreeningFactory, sign_consent

    ScreeningFactory(patient=patient, submitted_at=now - timedelta(days=30))
    sign_consent(patient, at=now - timedelta(days=30))
    with pytest.raises(BookingError) as refused:
        session(cal, patient, FIRST)  # two days ahead: inside intake's re-confirmation window
    assert refused.value.code == "not_cleared"
    assert refused.value.action_url == reverse("intake:reconfirm")
    assert session(cal, patient, date(2026, 3, 20)).sequence == 1  # far enough ahead: cleared
