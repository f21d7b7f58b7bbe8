"""Booking's services and aftercare's outbox change together, in one transaction."""

from datetime import date, timedelta

import pytest

from clinic.models import MessageStatus, OutboxMessage
from aftercare.plan import Kind
from booking.emails import CANCELLED
from booking.services import (
    BookingError,
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_move,
    course_book_all,
)
from tests.booking.factories import local
from tests.treatment.helpers import sign_treatment

pytestmark = pytest.mark.django_db

FRIDAY = date(2026, 3, 20)  # after the spring DST change in Los Angeles


def pending(appointment):
    return sorted(appointment.messages.filter(status=MessageStatus.PENDING).values_list("kind", flat=True))


def test_booking_a_session_writes_its_reminders_in_the_same_transaction(cal, patient, cleared, front_desk, now):
    visit = appointment_book(patient=patient, service=cal.session, start=local(FRIDAY, "13:00"), by=front_desk)
    assert Kind.PAUSE_MEDICINES in pending(visit) and Kind.BOOKING_CONFIRMATION in pending(visit)
    assert set(visit.messages.values_list("planned_for", flat=True)) == {visit.start}


def test_a_refused_booking_leaves_no_reminder_behind(cal, patient, other_patient, front_desk, now):
    appointment_book(patient=other_patient, service=cal.consultation, start=local(FRIDAY, "10:00"), by=front_desk,
                     clinician_id=cal.clinicians[0].pk)
    before = OutboxMessage.objects.count()
    with pytest.raises(BookingError):
        appointment_book(patient=patient, service=cal.consultation, start=local(FRIDAY, "10:00"), by=front_desk,
                         clinician_id=cal.clinicians[0].pk)
    assert OutboxMessage.objects.count() == before


def test_moving_re_plans_and_cancelling_cancels(cal, patient, cleared, front_desk, now):
    visit = appointment_book(patient=patient, service=cal.session, start=local(FRIDAY, "13:00"), by=front_desk)
    old_start = visit.start
    visit = appointment_move(appointment=visit, start=local(FRIDAY + timedelta(days=3), "09:00"), by=front_desk)
    assert not visit.messages.filter(planned_for=old_start, status=MessageStatus.PENDING).exists()
    assert visit.messages.filter(planned_for=visit.start, kind=Kind.APPOINTMENT_REMINDER).exists()
    appointment_cancel(appointment=visit, by=front_desk)
    assert pending(visit) == [CANCELLED]  # only the cancellation notice waits, in the same outbox


def test_completing_a_course_session_plans_aftercare(cal, patient, cleared, clinician, front_desk, now, time_machine):
    course = course_book_all(patient=patient, service=cal.session, start=local(FRIDAY, "13:00"), by=front_desk)
    first = course.appointments.order_by("sequence").first()
    time_machine.move_to(first.start + timedelta(minutes=50))
    sign_treatment(first, by=clinician)  # a session closes with its signed treatment record
    appointment_complete(appointment=first, by=clinician)
    assert {Kind.AFTERCARE, Kind.CHECK_IN} <= set(pending(first))
    # The next session is already booked: the course nudges are planned but will be skipped at send time.
    assert Kind.NEXT_SESSION_NUDGE in pending(first)
