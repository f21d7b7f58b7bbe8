"""Booking through the services: the server-side checks every booking path relies on."""

from datetime import date, timedelta

import pytest
from django.db import transaction

from booking import events
from booking.models import Appointment, Status, TimeOff
from booking.selectors import appointment_history
from booking.services import (
    BookingError,
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_confirm,
    appointment_hold,
    appointment_mark_no_show,
    appointment_move,
    holds_expire,
)
from tests.booking.factories import appointment, local

pytestmark = pytest.mark.django_db

WED = date(2026, 3, 4)


def book(patient, service, start, **kwargs):
    kwargs.setdefault("by", patient.user)
    return appointment_book(patient=patient, service=service, start=start, **kwargs)


# --- a plain booking -------------------------------------------------------------------------


def test_alice_books_a_consultation_and_gets_a_clinician_and_a_room(cal, patient, now):
    a = book(patient, cal.consultation, local(WED, "10:00"))
    assert a.status == Status.BOOKED
    assert a.start == local(WED, "10:00") and a.end == local(WED, "10:30")
    assert a.blocked_end == local(WED, "10:35")  # the consultation's 5-minute buffer after
    assert a.clinician == cal.clinicians[0] and a.room == cal.rooms[0]
    assert a.booked_by == patient.user and a.booked_at == now
    entry = appointment_history(a).get()
    assert (entry.action, entry.patient, entry.actor) == ("booking.appointment.booked", a.patient, a.booked_by)


def test_any_clinician_gives_the_next_clinician_when_the_first_is_busy(cal, patient, other_patient, now):
    first = book(other_patient, cal.consultation, local(WED, "10:00"))
    second = book(patient, cal.consultation, local(WED, "10:00"))
    assert {first.clinician, second.clinician} == set(cal.clinicians)
    assert first.room != second.room


def test_a_chosen_clinician_who_is_busy_is_refused_with_the_nearest_free_times(cal, patient, other_patient, now):
    book(other_patient, cal.consultation, local(WED, "10:00"), clinician_id=cal.clinicians[0].pk)
    with pytest.raises(BookingError) as refused:
        book(patient, cal.consultation, local(WED, "10:15"), clinician_id=cal.clinicians[0].pk)
    assert refused.value.code == "taken"
    assert "just taken" in refused.value.message
    nearest = [s.start for s in refused.value.nearest]
    assert local(WED, "10:45") in nearest  # 10:00 + 30 min + 5 min buffer, on the 15-minute grid
    assert all(s.clinician_id == cal.clinicians[0].pk for s in refused.value.nearest)


@pytest.mark.parametrize(
    ("hhmm", "clinician", "code"),
    [
        ("10:07", 0, "off_grid"),
        ("07:00", 0, "outside_hours"),
        ("16:45", 0, "outside_hours"),  # would end after 17:00
        ("10:00", "stranger", "unknown_clinician"),
    ],
)
def test_a_tampered_slot_is_refused_server_side_and_nothing_is_written(cal, patient, now, hhmm, clinician, code):
    from clinic.models import Role
    from tests.factories import make_staff

    clinician_id = cal.clinicians[0].pk if clinician == 0 else make_staff(Role.CLINICIAN).clinician.pk
    with pytest.raises(BookingError) as refused:
        book(patient, cal.consultation, local(WED, hhmm), clinician_id=clinician_id)
    assert refused.value.code == code
    assert not Appointment.objects.exists()


def test_a_patient_cannot_book_inside_the_notice_period_but_the_desk_can(cal, patient, front_desk, now):
    tomorrow_morning = local(date(2026, 3, 3), "08:45")  # 23h45 from now
    start = local(date(2026, 3, 3), "09:00") - timedelta(minutes=15)
    assert start == tomorrow_morning
    with pytest.raises(BookingError) as refused:
        book(patient, cal.consultation, local(date(2026, 3, 2), "15:00"))
    assert refused.value.code == "too_soon"
    assert "(206) 555-0100" in refused.value.message
    a = book(patient, cal.consultation, local(date(2026, 3, 2), "15:00"), by=front_desk)
    assert a.booked_by == front_desk


def test_a_patient_cannot_book_beyond_the_horizon(cal, patient, now):
    with pytest.raises(BookingError) as refused:
        book(patient, cal.consultation, local(date(2026, 6, 1), "10:00"))  # 91 days on
    assert refused.value.code == "too_far"


def test_a_patient_with_an_unconfirmed_email_cannot_book(cal, patient, now):
    patient.user.email_verified_at = None
    patient.user.save()
    with pytest.raises(BookingError) as refused:
        book(patient, cal.consultation, local(WED, "10:00"))
    assert refused.value.code == "email_unverified"


def test_bob_cannot_book_in_alices_name(cal, patient, other_patient, now):
    with pytest.raises(BookingError) as refused:
        book(patient, cal.consultation, local(WED, "10:00"), by=other_patient.user)
    assert refused.value.code == "wrong_patient"


def test_time_off_and_a_clinic_closure_block_booking(cal, patient, now):
    from booking.models import ClinicClosure

    for clinician in cal.clinicians:
        TimeOff.objects.create(clinician=clinician, start=local(WED, "00:00"), end=local(WED, "23:59"))
    with pytest.raises(BookingError) as refused:
        book(patient, cal.consultation, local(WED, "10:00"))
    assert refused.value.code == "taken"
    ClinicClosure.objects.create(clinic=cal.clinic, date=date(2026, 3, 5))
    with pytest.raises(BookingError) as refused:
        book(patient, cal.consultation, local(date(2026, 3, 5), "10:00"))
    assert refused.value.code == "closed"


def test_a_session_needs_a_free_room_but_a_review_visit_only_a_clinician(cal, patient, cleared, now):
    from clinic.models import Role
    from tests.factories import make_staff

    third = make_staff(Role.CLINICIAN).clinician
    third.working_hours.create(weekday=WED.weekday(), starts="09:00", ends="17:00")
    for s in (cal.session, cal.review):
        s.clinicians.add(third)
    for clinician, room in zip(cal.clinicians, cal.rooms):
        appointment(service=cal.consultation, clinician=clinician, room=room, start=local(WED, "10:00"))
    with pytest.raises(BookingError) as refused:
        book(patient, cal.session, local(WED, "10:00"))
    assert refused.value.code == "no_room"
    assert book(patient, cal.review, local(WED, "10:00")).clinician == third


def test_buffers_keep_the_room_free_between_visits(cal, patient, other_patient, now):
    [room] = cal.rooms[:1]
    cal.rooms[1].is_active = False
    cal.rooms[1].save()
    appointment(service=cal.consultation, clinician=cal.clinicians[0], room=room, start=local(WED, "10:00"))
    with pytest.raises(BookingError) as refused:  # 10:30 + 5 min after-buffer overlaps 10:30 start
        book(patient, cal.consultation, local(WED, "10:30"), clinician_id=cal.clinicians[1].pk)
    assert refused.value.code == "no_room"
    assert book(patient, cal.consultation, local(WED, "10:45"), clinician_id=cal.clinicians[1].pk).room == room


# --- events ----------------------------------------------------------------------------------


def test_events_are_sent_inside_the_transaction(cal, patient, front_desk, now):
    seen = []

    def receiver(signal, sender, appointment, **kwargs):
        seen.append((signal, appointment.status, transaction.get_connection().in_atomic_block))

    signals = [events.appointment_booked, events.appointment_moved, events.appointment_cancelled,
               events.appointment_completed, events.appointment_no_show]
    for s in signals:
        s.connect(receiver, weak=False)
    try:
        a = book(patient, cal.consultation, local(WED, "10:00"))
        a = appointment_move(appointment=a, start=local(WED, "11:00"), by=patient.user)
        appointment_cancel(appointment=a, by=patient.user)
        b = book(patient, cal.consultation, local(WED, "12:00"))
        appointment_check_in(appointment=b, by=front_desk, now=b.start)
        appointment_complete(appointment=b, by=front_desk, now=b.end)
        c = book(patient, cal.consultation, local(WED, "14:00"))
        appointment_mark_no_show(appointment=c, by=front_desk, now=c.start + timedelta(minutes=15))
    finally:
        for s in signals:
            s.disconnect(receiver)
    assert [(s, st) for s, st, _ in seen] == [
        (events.appointment_booked, "booked"), (events.appointment_moved, "booked"),
        (events.appointment_cancelled, "cancelled"), (events.appointment_booked, "booked"),
        (events.appointment_completed, "completed"), (events.appointment_booked, "booked"),
        (events.appointment_no_show, "no_show"),
    ]
    assert all(in_atomic for _, _, in_atomic in seen)


def test_a_patient_cannot_mark_their_own_visit_completed(cal, patient, now):
    a = book(patient, cal.consultation, local(WED, "10:00"))
    with pytest.raises(BookingError):
        appointment_complete(appointment=a, by=patient.user)


def test_a_completed_visit_cannot_be_marked_no_show(cal, patient, front_desk, now):
    a = book(patient, cal.consultation, local(WED, "10:00"))
    appointment_complete(appointment=a, by=front_desk, now=a.end)
    with pytest.raises(BookingError) as refused:
        appointment_mark_no_show(appointment=a, by=front_desk, now=a.end)
    assert refused.value.code == "bad_transition"


# --- holds -----------------------------------------------------------------------------------


def test_a_held_slot_is_busy_for_everyone_else_until_it_expires(cal, patient, other_patient, now):
    cal.clinicians[1].working_hours.all().delete()
    hold = appointment_hold(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=patient.user)
    assert hold.status == Status.HELD and hold.hold_expires_at == now + timedelta(minutes=10)
    with pytest.raises(BookingError) as refused:
        book(other_patient, cal.consultation, local(WED, "10:00"))
    assert refused.value.code == "taken"
    later = now + timedelta(minutes=10)
    bob = book(other_patient, cal.consultation, local(WED, "10:00"), now=later)
    assert bob.status == Status.BOOKED
    hold.refresh_from_db()
    assert hold.status == Status.CANCELLED and hold.cancel_reason == "hold expired"
    with pytest.raises(BookingError) as refused:
        appointment_confirm(appointment=hold, by=patient.user, now=later)
    assert refused.value.code == "taken"


def test_confirming_a_hold_books_it(cal, patient, now):
    hold = appointment_hold(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=patient.user)
    booked = appointment_confirm(appointment=hold, by=patient.user, now=now + timedelta(minutes=3))
    assert booked.pk == hold.pk and booked.status == Status.BOOKED and booked.hold_expires_at is None


def test_an_expired_hold_whose_time_is_still_free_is_booked_on_confirm(cal, patient, now):
    hold = appointment_hold(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=patient.user)
    later = now + timedelta(minutes=30)
    assert holds_expire(now=later) == 1
    booked = appointment_confirm(appointment=hold, by=patient.user, now=later)
    assert booked.status == Status.BOOKED and booked.start == hold.start


def test_choosing_another_time_releases_the_previous_hold(cal, patient, now):
    first = appointment_hold(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=patient.user)
    appointment_hold(patient=patient, service=cal.consultation, start=local(WED, "11:00"), by=patient.user)
    first.refresh_from_db()
    assert first.status == Status.CANCELLED
    assert Appointment.objects.filter(status=Status.HELD).count() == 1


# --- DST -------------------------------------------------------------------------------------


def test_a_1pm_booking_in_the_week_clocks_change_is_stored_in_utc_and_shown_at_1pm(cal, patient, front_desk, now, client):
    # US clocks go forward on Sunday 8 March 2026: 13:00 is 21:00 UTC before, 20:00 UTC after.
    before = book(patient, cal.consultation, local(date(2026, 3, 6), "13:00"))
    after = book(patient, cal.consultation, local(date(2026, 3, 10), "13:00"))
    assert before.start.isoformat() == "2026-03-06T21:00:00+00:00"
    assert after.start.isoformat() == "2026-03-10T20:00:00+00:00"
    client.force_login(front_desk)
    page = client.get("/booking/desk/?date=2026-03-10").content.decode()
    assert "1:00 PM" in page or "13:00" in page


# --- what other apps may ask before a visit is completed -------------------------------------


def test_an_objection_registered_by_another_app_keeps_the_visit_from_being_completed(cal, patient, front_desk, now, monkeypatch):
    from booking import hooks

    monkeypatch.setattr(hooks, "_completion_checks", [])
    hooks.register_completion_check(lambda appointment: "Sign the treatment record first.")
    hooks.register_completion_check(lambda appointment: None)
    a = book(patient, cal.consultation, local(WED, "10:00"))
    with pytest.raises(BookingError) as refused:
        appointment_complete(appointment=a, by=front_desk, now=a.end)
    assert refused.value.code == "completion_blocked"
    assert "Sign the treatment record first." in refused.value.message
    a.refresh_from_db()
    assert a.status == Status.BOOKED
