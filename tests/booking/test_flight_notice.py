"""Booking uses the screening's dates (issue 13.6): a session within 3 days before the long flight the
patient told us about is flagged on the patient's pages and the desk's visit page; other sessions
get no flight advice at all."""

from datetime import date

import pytest

from booking.services import appointment_book
from intake import clearance
from tests.booking.factories import local
from tests.intake.factories import ScreeningFactory, answers_with, sign_consent

pytestmark = pytest.mark.django_db

TUE, WED, SAT = date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 7)  # she flies on Saturday 7 March


@pytest.fixture
def flyer(patient, now):
    screening = ScreeningFactory(patient=patient, answers=answers_with(long_flight_planned="yes",
                                                                       long_flight_on=SAT.isoformat()))
    sign_consent(patient)
    return screening


@pytest.mark.parametrize(
    ("session_day", "flagged"),
    [(date(2026, 3, 3), False), (date(2026, 3, 4), True), (date(2026, 3, 6), True), (SAT, True),
     (date(2026, 3, 8), False)],
)
def test_only_a_session_from_three_days_before_the_flight_to_the_flight_day_is_flagged(session_day, flagged):
    details = {"flight_on": "2026-03-07", "avoid_sessions_from": "2026-03-04", "avoid_sessions_until": "2026-03-07"}

    warning = clearance.flight_warning(details, session_day=session_day, today=date(2026, 3, 2))

    assert (warning is not None) is flagged
    if warning:
        assert (warning.flight_on, warning.avoid_from, warning.no_flying_days) == (SAT, WED, 3)


def test_a_flight_that_is_past_or_has_no_date_flags_nothing():
    details = {"flight_on": "2026-03-07", "avoid_sessions_from": "2026-03-04", "avoid_sessions_until": "2026-03-07"}
    assert clearance.flight_warning(details, session_day=SAT, today=date(2026, 3, 8)) is None
    assert clearance.flight_warning({}, session_day=SAT, today=date(2026, 3, 2)) is None


def test_alice_is_told_on_the_visit_page_of_a_session_too_close_to_her_flight_and_not_on_others(
    client, cal, patient, flyer
):
    close = appointment_book(patient=patient, service=cal.session, start=local(WED, "10:00"), by=patient.user)
    client.force_login(patient.user)

    page = client.get(f"/booking/appointments/{close.pk}/").content.decode()

    assert "You told us you fly on Saturday 7 March." in page
    assert "please don't take a long flight for 3 days" in page
    assert "choose a day before 4 March" in page


def test_a_session_four_days_before_the_flight_gets_no_flight_advice(client, cal, patient, flyer):
    fine = appointment_book(patient=patient, service=cal.session, start=local(TUE, "10:00"), by=patient.user)
    client.force_login(patient.user)

    page = client.get(f"/booking/appointments/{fine.pk}/").content.decode()

    assert "fly on" not in page
    assert "data-flight-notice" not in page


def test_the_slot_page_names_the_days_to_avoid_and_the_hold_page_flags_a_chosen_day_in_them(
    client, cal, patient, flyer
):
    client.force_login(patient.user)
    slots = client.get("/booking/sclerotherapy/").content.decode()
    assert "You told us you fly on Saturday 7 March" in slots
    assert "please pick a day before 4 March" in slots

    response = client.post("/booking/sclerotherapy/", {"start": local(WED, "10:00").isoformat()})
    hold = client.get(response["Location"]).content.decode()

    assert "Confirm booking" in hold
    assert "You told us you fly on Saturday 7 March." in hold


@pytest.mark.parametrize(("day", "flagged"), [(WED, True), (TUE, False)])
def test_the_desk_sees_the_flag_on_the_visit_page_of_a_session_too_close_only(
    client, cal, patient, flyer, front_desk, day, flagged
):
    session = appointment_book(patient=patient, service=cal.session, start=local(day, "10:00"), by=patient.user)
    client.force_login(front_desk)

    page = client.get(f"/booking/desk/appointments/{session.pk}/").content.decode()

    assert ("Long flight soon after this session." in page) is flagged
    assert ("The patient told us they fly on Saturday 7 March 2026" in page) is flagged


def test_without_a_flight_in_the_screening_no_page_mentions_one(client, cal, patient, cleared):
    session = appointment_book(patient=patient, service=cal.session, start=local(WED, "10:00"), by=patient.user)
    client.force_login(patient.user)

    assert "fly on" not in client.get(f"/booking/appointments/{session.pk}/").content.decode()
    assert "fly on" not in client.get("/booking/sclerotherapy/").content.decode()
