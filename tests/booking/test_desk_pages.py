"""The desk's pages: the grid's contents, booking and moving from it, bad input, the worklist."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from booking.models import Appointment, ClinicClosure, ContactChannel, CourseContact, Status, TimeOff, WaitlistEntry
from booking.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
    course_contact_record,
    waitlist_join,
    waitlist_matches_refresh,
)
from clinic.models import Patient
from tests.booking.factories import appointment as make_appointment
from tests.booking.factories import local
from tests.factories import PatientFactory
from tests.outbox import drain

pytestmark = pytest.mark.django_db

WED = date(2026, 3, 4)


def grid(client, **params):
    response = client.get(reverse("booking:desk_calendar"), params)
    assert response.status_code == 200
    return response


def column_of(response, name):
    return next(c for c in response.context["desk"].columns if c.resource.name.startswith(name))


# --- the grid ------------------------------------------------------------------------------------


def test_the_day_grid_has_a_column_per_clinician_with_visits_statuses_and_sessions(client, cal, patient, cleared, front_desk, now):
    a = appointment_book(patient=patient, service=cal.session, start=local(WED, "10:00"), by=front_desk, planned_sessions=3,
                         clinician_id=cal.clinicians[0].pk)
    b = make_appointment(service=cal.consultation, clinician=cal.clinicians[1], room=cal.rooms[1], start=local(WED, "11:00"),
                         status=Status.NO_SHOW)
    client.force_login(front_desk)
    response = grid(client, date="2026-03-04")
    body = response.content.decode()
    assert [c.resource.name for c in response.context["desk"].columns] == ["Doc1 Vein", "Doc2 Vein"]
    visit = next(c for c in column_of(response, "Doc1").cells if c.kind == "visit")
    assert visit.payload.pk == a.pk and (visit.before, visit.after) == (1, 2)  # the session's 5 and 10 buffer minutes
    assert 'class="cell cell-visit st-booked"' in body and 'class="cell cell-visit st-no_show"' in body
    assert "Alice Walker" in body and "Sclerotherapy session 1/3" in body and b.patient.full_name in body
    assert f'href="/booking/desk/appointments/{a.pk}/"' in body


def test_the_grid_shades_hours_off_time_off_and_closures(client, cal, front_desk, now):
    TimeOff.objects.create(clinician=cal.clinicians[0], start=local(WED, "14:00"), end=local(WED, "15:30"), reason="Training")
    client.force_login(front_desk)
    doc1 = column_of(grid(client, date="2026-03-04"), "Doc1")
    kinds = {c.kind for c in doc1.cells}
    assert {"off", "timeoff", "free"} <= kinds
    assert next(c for c in doc1.cells if c.kind == "timeoff").label == "Training"
    free = {c.start for c in doc1.cells if c.kind == "free"}
    assert local(WED, "13:45") in free and local(WED, "14:00") not in free and local(WED, "15:30") in free
    ClinicClosure.objects.create(clinic=cal.clinic, date=WED, reason="Staff training day")
    body = grid(client, date="2026-03-04").content.decode()
    assert body.count("Staff training day") == 2 and "cell-free" not in body


def test_the_current_time_line_is_on_today_only(client, cal, front_desk, now):
    client.force_login(front_desk)
    assert 'class="cal-now"' in grid(client).content.decode()  # Monday 2 March, 09:00
    assert 'class="cal-now"' not in grid(client, date="2026-03-04").content.decode()


def test_the_room_view_has_a_column_per_room_and_books_into_that_room(client, cal, patient, front_desk, now):
    make_appointment(service=cal.consultation, clinician=cal.clinicians[0], room=cal.rooms[0], start=local(WED, "10:00"))
    client.force_login(front_desk)
    response = grid(client, date="2026-03-04", by="room")
    assert [c.resource.name for c in response.context["desk"].columns] == ["Room 1", "Room 2"]
    body = response.content.decode()
    assert f"room={cal.rooms[1].pk}" in body
    start = local(WED, "10:00").isoformat()
    client.post(f"/booking/desk/book/?patient={patient.pk}&service=consultation&room={cal.rooms[1].pk}",
                {"start": start, "room": cal.rooms[1].pk})
    assert Appointment.objects.get(patient=patient).room == cal.rooms[1]


def test_the_week_view_shows_seven_days_of_one_clinician(client, cal, front_desk, now):
    client.force_login(front_desk)
    response = client.get(reverse("booking:desk_calendar"), {"date": "2026-03-04", "view": "week"})
    assert response.status_code == 302 and f"who={cal.clinicians[0].pk}" in response["Location"]
    response = grid(client, date="2026-03-04", view="week", who=cal.clinicians[1].pk)
    columns = response.context["desk"].columns
    assert [c.day for c in columns] == [date(2026, 3, 2) + timedelta(days=n) for n in range(7)]
    assert {c.resource.name for c in columns} == {"Doc2 Vein"}
    assert all(c.kind == "off" for c in columns[6].cells)  # Sunday: nobody works


def test_previous_next_and_today_keep_the_view(client, cal, front_desk, now):
    client.force_login(front_desk)
    links = grid(client, date="2026-03-04", view="week", by="room", who=cal.rooms[0].pk).context["links"]
    assert "date=2026-02-25" in links["previous"] and "view=week" in links["previous"] and "by=room" in links["previous"]
    assert "date=2026-03-11" in links["next"] and "date=2026-03-02" in links["today"]


# --- booking from the grid -----------------------------------------------------------------------


def test_a_free_time_on_the_grid_opens_the_booking_for_that_clinician_and_time(client, cal, patient, front_desk, now):
    client.force_login(front_desk)
    body = grid(client, date="2026-03-04").content.decode()
    link = re.search(r'href="(/booking/desk/book/\?start=[^"]+)"', body).group(1).replace("&amp;", "&")
    assert "clinician=" in link
    page = client.get(link + f"&patient={patient.pk}&service=consultation")
    assert page.context["start"] == local(WED, "09:00") and page.context["chosen_fits"]
    assert page.context["clinician"] == cal.clinicians[0]
    assert "9:00 AM" in page.content.decode() and "Book it" in page.content.decode()


def test_the_booking_page_shows_the_services_free_times_and_says_when_the_click_does_not_fit(client, cal, patient, front_desk, now):
    make_appointment(service=cal.consultation, clinician=cal.clinicians[0], room=cal.rooms[0], start=local(WED, "10:30"))
    client.force_login(front_desk)
    # 10:00 is free for 15 minutes, but a 45-minute session would run into the 10:30 visit.
    start = local(WED, "10:00").isoformat()
    page = client.get(reverse("booking:desk_book"), {"patient": patient.pk, "service": "review", "start": start,
                                                     "clinician": cal.clinicians[0].pk})
    assert page.context["chosen_fits"]
    page = client.get(reverse("booking:desk_book"), {"patient": patient.pk, "service": "consultation", "start": start,
                                                     "clinician": cal.clinicians[0].pk})
    assert not page.context["chosen_fits"] and "does not fit at 10:00 AM" in page.content.decode()
    times = [s.start for s in page.context["day_slots"]]
    assert local(WED, "09:00") in times and local(WED, "10:00") not in times and local(WED, "11:15") in times


def test_a_time_taken_meanwhile_is_refused_with_the_nearest_free_times(client, cal, patient, other_patient, front_desk, now):
    cal.clinicians[1].working_hours.all().delete()
    client.force_login(front_desk)
    url = f"/booking/desk/book/?patient={patient.pk}&service=consultation&clinician={cal.clinicians[0].pk}"
    make_appointment(patient=other_patient, service=cal.consultation, clinician=cal.clinicians[0], room=cal.rooms[0],
                     start=local(WED, "10:00"))
    response = client.post(url, {"start": local(WED, "10:00").isoformat(), "clinician": cal.clinicians[0].pk})
    assert response.status_code == 200 and response.context["error"].code == "taken"
    assert "just taken" in response.content.decode() and response.context["error"].nearest
    assert Appointment.objects.filter(patient=patient).count() == 0


def test_the_desk_is_held_to_the_screening(client, cal, patient, front_desk, now):
    client.force_login(front_desk)
    response = client.post(f"/booking/desk/book/?patient={patient.pk}&service=sclerotherapy",
                           {"start": local(WED, "10:00").isoformat()})
    assert response.context["error"].code == "not_cleared"
    assert "answer our health questions" in response.content.decode()
    assert not Appointment.objects.exists()


def test_spacing_applies_from_the_grid_and_only_a_clinician_overrides_it_with_a_reason(
    client, cal, patient, cleared, front_desk, clinician, now
):
    appointment_book(patient=patient, service=cal.session, start=local(WED, "10:00"), by=front_desk)
    url = f"/booking/desk/book/?patient={patient.pk}&service=sclerotherapy"
    too_soon = {"start": local(date(2026, 3, 11), "10:00").isoformat()}
    client.force_login(front_desk)
    page = client.get(url)
    assert "This session must be between" in page.content.decode() and "override_reason" not in page.context["form"].fields
    response = client.post(url, {**too_soon, "override_reason": "please"})
    assert response.context["error"].code == "outside_window"
    client.force_login(clinician)
    assert "override_reason" in client.get(url).context["form"].fields
    response = client.post(url, {**too_soon, "override_reason": "Small area left from session one"})
    second = Appointment.objects.get(sequence=2)
    assert response["Location"] == f"/booking/desk/appointments/{second.pk}/"
    assert second.override_by == clinician and "Small area" in second.override_reason


def test_the_whole_course_can_be_booked_from_the_desk(client, cal, patient, cleared, front_desk, now):
    client.force_login(front_desk)
    client.post(f"/booking/desk/book/?patient={patient.pk}&service=sclerotherapy",
                {"start": local(WED, "10:00").isoformat(), "whole_course": "on", "planned_sessions": "3"})
    assert list(Appointment.objects.order_by("sequence").values_list("sequence", flat=True)) == [1, 2, 3]


def test_a_new_patient_is_added_in_place_and_the_booking_goes_on(client, cal, front_desk, now):
    client.force_login(front_desk)
    start = local(WED, "10:00").isoformat()
    data = {"new-first_name": "Zoe", "new-last_name": "Quinn", "new-email": "zoe@example.org", "new-date_of_birth": "1980-05-05",
            "new-phone": "(206) 555-0188", "new-preferred_channel": "email", "start": start, "clinician": cal.clinicians[0].pk}
    response = client.post(reverse("booking:desk_patient_new"), data)
    zoe = Patient.objects.get(email="zoe@example.org")
    assert zoe.user is None and str(zoe.phone) == "+12065550188"
    assert response["Location"].startswith(f"/booking/desk/book/?patient={zoe.pk}")
    assert "start=" in response["Location"] and f"clinician={cal.clinicians[0].pk}" in response["Location"]
    again = client.post(reverse("booking:desk_patient_new"), data)
    assert again.status_code == 200 and "is already on file" in again.content.decode()
    assert Patient.objects.filter(email="zoe@example.org").count() == 1


def test_a_new_patient_form_with_mistakes_keeps_what_was_typed(client, cal, front_desk, now):
    client.force_login(front_desk)
    response = client.post(reverse("booking:desk_patient_new"), {"new-first_name": "Zoe", "new-last_name": "", "new-email": "zoe@",
                                                                 "new-date_of_birth": "9999-12-31", "new-preferred_channel": "email"})
    body = response.content.decode()
    assert response.status_code == 200 and 'value="Zoe"' in body
    assert "cannot be in the future" in body and "valid email" in body.lower()


# --- moving on the grid ----------------------------------------------------------------------------


def test_move_mode_shows_where_the_visit_fits_and_a_click_moves_it(client, cal, patient, front_desk, now):
    cal.clinicians[1].working_hours.all().delete()
    a = appointment_book(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=front_desk)
    make_appointment(service=cal.consultation, clinician=cal.clinicians[0], room=cal.rooms[0], start=local(WED, "11:00"))
    client.force_login(front_desk)
    assert client.get(f"/booking/desk/appointments/{a.pk}/move/")["Location"] == f"/booking/desk/?date=2026-03-04&move={a.pk}"
    response = grid(client, date="2026-03-04", move=a.pk)
    targets = {c.start for c in column_of(response, "Doc1").cells if c.kind == "target"}
    assert local(WED, "10:00") in targets and local(WED, "10:15") in targets  # its own time counts as free
    assert local(WED, "10:30") not in targets and local(WED, "11:00") not in targets  # the 11:00 visit and its buffer
    assert not any(c.kind == "free" for c in column_of(response, "Doc1").cells)
    confirm = client.get(f"/booking/desk/appointments/{a.pk}/move/", {"start": local(WED, "14:00").isoformat(),
                                                                     "clinician": cal.clinicians[0].pk})
    assert "To: Wednesday 4 March, 2:00 PM" in confirm.content.decode()
    response = client.post(f"/booking/desk/appointments/{a.pk}/move/?start=x",
                           {"start": local(WED, "14:00").isoformat(), "clinician": cal.clinicians[0].pk})
    a.refresh_from_db()
    assert response["Location"] == f"/booking/desk/appointments/{a.pk}/" and a.start == local(WED, "14:00")


def test_moving_onto_a_taken_time_is_refused_and_changes_nothing(client, cal, patient, front_desk, now):
    cal.clinicians[1].working_hours.all().delete()
    a = appointment_book(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=front_desk)
    make_appointment(service=cal.consultation, clinician=cal.clinicians[0], room=cal.rooms[0], start=local(WED, "14:00"))
    client.force_login(front_desk)
    response = client.post(f"/booking/desk/appointments/{a.pk}/move/", {"start": local(WED, "14:15").isoformat()})
    assert response.status_code == 200 and response.context["error"].code == "taken"
    a.refresh_from_db()
    assert a.start == local(WED, "10:00")


# --- statuses through the pages --------------------------------------------------------------------


def test_the_visit_page_offers_only_what_the_clock_allows_and_says_why(client, cal, patient, front_desk, now):
    a = appointment_book(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=front_desk)
    client.force_login(front_desk)
    page = client.get(f"/booking/desk/appointments/{a.pk}/")
    body = page.content.decode()
    assert page.context["actions"] == {"check_in": "check_in_not_today", "complete": "not_started_yet",
                                       "no_show": "not_started_yet", "cancel": None}
    assert "on the day of the visit" in body and "once the visit has started" in body
    client.post(f"/booking/desk/appointments/{a.pk}/check_in/")
    a.refresh_from_db()
    assert a.status == Status.BOOKED  # refused on Monday


def test_the_worklist_checks_in_with_one_click_and_redraws_the_arrivals(client, cal, patient, front_desk):
    with time_machine.travel(local(WED, "09:30"), tick=False):
        a = appointment_book(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=front_desk)
        client.force_login(front_desk)
        home = client.get(reverse("staff_home")).content.decode()
        assert "Alice Walker" in home and "Check in" in home
        response = client.post(f"/booking/desk/appointments/{a.pk}/check_in/", {"next": "/staff/"},
                               headers={"HX-Request": "true", "HX-Target": "wl-arrivals-card"})
        body = response.content.decode()
        assert response.status_code == 200 and body.lstrip().startswith("<section") and 'id="wl-arrivals-card"' in body
        assert "Alice Walker is checked in." in body and "Checked in" in body
        a.refresh_from_db()
        assert a.status == Status.CHECKED_IN


def test_undo_through_the_page_needs_a_reason(client, cal, patient, front_desk):
    with time_machine.travel(local(WED, "10:20"), tick=False):
        a = make_appointment(patient=patient, service=cal.consultation, clinician=cal.clinicians[0], start=local(WED, "10:00"))
        client.force_login(front_desk)
        client.post(f"/booking/desk/appointments/{a.pk}/no_show/")
        page = client.post(f"/booking/desk/appointments/{a.pk}/undo/", {"reason": ""}, follow=True).content.decode()
        assert "Please say why you are undoing this." in page
        client.post(f"/booking/desk/appointments/{a.pk}/undo/", {"reason": "She was in the waiting room"})
        a.refresh_from_db()
        assert a.status == Status.BOOKED
        page = client.get(f"/booking/desk/appointments/{a.pk}/").content.decode()
        assert "no-show undone" in page and "She was in the waiting room" in page


# --- the day sheet -----------------------------------------------------------------------------------


def test_the_day_sheet_lists_each_clinicians_day_for_printing(client, cal, patient, front_desk, now):
    appointment_book(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=front_desk,
                     clinician_id=cal.clinicians[0].pk)
    client.force_login(front_desk)
    body = client.get(reverse("booking:desk_sheet"), {"date": "2026-03-04"}).content.decode()
    assert "Doc1 Vein · Wednesday 4 March 2026" in body and "Alice Walker" in body and "15 Jun 1985" in body
    assert "Doc2 Vein" not in body  # nothing booked
    assert "data-print" in body and "css/desk.css" in body


# --- bad input never gives an error page ------------------------------------------------------------


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "2026-02-30", "yesterday", "1" * 40])
def test_a_date_out_of_range_in_the_calendar_is_a_form_error(client, cal, front_desk, now, value):
    client.force_login(front_desk)
    response = grid(client, date=value, who="99999999999999999999", move="x")
    assert response.context["day"] == date(2026, 3, 2)
    assert "Choose a date between 2000 and 2100." in response.content.decode() or "Enter a valid date" in response.content.decode()


@pytest.mark.parametrize("value", ["9999-12-31T10:00:00+00:00", "0001-01-01T00:00:00+00:00", "nonsense"])
def test_a_start_out_of_range_in_the_desk_forms_is_a_form_error(client, cal, patient, front_desk, now, value):
    a = appointment_book(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=front_desk)
    client.force_login(front_desk)
    for url in (f"/booking/desk/book/?patient={patient.pk}&service=consultation", f"/booking/desk/appointments/{a.pk}/move/"):
        response = client.post(url, {"start": value})
        assert response.status_code == 200 and response.context["form"].errors["start"]
        assert client.get(url, {"start": value, "day": value[:10], "from": value[:10]}).status_code in (200, 302)
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_dates_out_of_range_elsewhere_are_refused_politely(client, cal, patient, front_desk, clinic_admin, now, value):
    client.force_login(patient.user)
    assert client.get("/booking/consultation/", {"day": value, "from": value}).status_code == 200
    assert client.post("/booking/consultation/", {"start": f"{value}T10:00:00+00:00"}).status_code == 200
    assert client.post("/booking/consultation/waitlist/", {"earliest": value, "latest": value}).status_code == 302
    assert not WaitlistEntry.objects.exists()
    client.force_login(front_desk)
    assert client.get(reverse("booking:desk_sheet"), {"date": value}).status_code == 200
    client.force_login(clinic_admin)
    response = client.post(reverse("booking:settings_time_off"), {"form": "time_off", "off-clinician": cal.clinicians[0].pk,
                                                                   "off-first_day": value, "off-last_day": value})
    assert response.status_code == 200 and "Choose a date between 2000 and 2100." in response.content.decode()
    response = client.post(reverse("booking:settings_time_off"), {"form": "closure", "closed-date": value})
    assert response.status_code == 200 and "Choose a date between 2000 and 2100." in response.content.decode()


def test_wrong_methods_get_405(client, cal, patient, front_desk, now):
    a = appointment_book(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=front_desk)
    client.force_login(front_desk)
    assert client.post(reverse("booking:desk_calendar")).status_code == 405
    assert client.post(reverse("booking:desk_sheet")).status_code == 405
    assert client.get(f"/booking/desk/appointments/{a.pk}/check_in/").status_code == 405
    assert client.get(reverse("booking:desk_patient_new")).status_code == 405
    assert client.put(reverse("booking:desk_book")).status_code == 405
    assert client.post(f"/booking/desk/appointments/{a.pk}/teleport/").status_code == 404


# --- the worklist -------------------------------------------------------------------------------------


def test_the_worklist_lists_sessions_whose_re_confirmation_is_missing(client, cal, patient, cleared, front_desk, now):
    from booking.seed import NOTHING_CHANGED
    from intake import services as intake_services

    # Booked far ahead (no re-confirmation needed then); now the session is 5 days away.
    session = appointment_book(patient=patient, service=cal.session, start=local(date(2026, 3, 20), "10:00"), by=front_desk)
    with time_machine.travel(local(date(2026, 3, 15), "09:00"), tick=False):
        client.force_login(front_desk)
        body = client.get(reverse("staff_home")).content.decode()
        assert re.search(r"not answered</h3>\s*<span[^>]*>1<", body)
        assert f"/booking/desk/appointments/{session.pk}/" in body and "tel:+12065550147" in body
        intake_services.reconfirmation_submit(patient=patient, changes=NOTHING_CHANGED)
        body = client.get(reverse("staff_home")).content.decode()
        assert "Everyone has answered." in body


def test_the_worklist_lists_overdue_courses_with_their_last_contact(client, cal, patient, cleared, front_desk, now, no_record_needed):
    first = appointment_book(patient=patient, service=cal.session, start=local(WED, "10:00"), by=front_desk)
    appointment_complete(appointment=first, by=front_desk, now=first.end)
    # The window after 4 March closes on 15 April; on 16 April nothing is booked.
    with time_machine.travel(local(date(2026, 4, 15), "12:00"), tick=False):
        client.force_login(front_desk)
        assert "No course is overdue." in client.get(reverse("staff_home")).content.decode()
    with time_machine.travel(local(date(2026, 4, 16), "09:00"), tick=False):
        client.force_login(front_desk)
        body = client.get(reverse("staff_home")).content.decode()
        assert "1 days past the window" in body and "Alice Walker" in body
        course_contact_record(course=first.course, channel=ContactChannel.PHONE, note="Left a voicemail", by=front_desk)
        body = client.get(reverse("staff_home")).content.decode()
        assert "Left a voicemail" in body
        page = client.get(reverse("booking:desk_overdue")).content.decode()
        assert "Left a voicemail" in page and "Book the next session" in page
        response = client.post(reverse("booking:desk_course_stop", args=[first.course.pk]), {"reason": "Happy with the result"})
        assert response.status_code == 302
        assert "No course is overdue." in client.get(reverse("staff_home")).content.decode()
    assert CourseContact.objects.filter(course=first.course).count() == 2


def test_a_missed_next_session_makes_a_course_overdue_again(client, cal, patient, cleared, front_desk, now, no_record_needed):
    first = appointment_book(patient=patient, service=cal.session, start=local(WED, "10:00"), by=front_desk)
    appointment_complete(appointment=first, by=front_desk, now=first.end)
    second = appointment_book(patient=patient, service=cal.session, start=local(date(2026, 4, 14), "10:00"), by=front_desk)
    from booking.services import appointment_mark_no_show

    appointment_mark_no_show(appointment=second, by=front_desk, now=second.start + timedelta(minutes=20))
    with time_machine.travel(local(date(2026, 4, 16), "09:00"), tick=False):
        client.force_login(front_desk)
        assert "Alice Walker" in client.get(reverse("booking:desk_overdue")).content.decode()


def test_the_worklist_shows_waiting_patients_a_freed_time_matches(client, cal, patient, other_patient, front_desk, now):
    cal.clinicians[1].working_hours.all().delete()
    # Bob's visit fills Doc1's Thursday; Alice waits for any time on Thursday.
    thursday = date(2026, 3, 5)
    busy = [appointment_book(patient=PatientFactory(), service=cal.consultation, start=local(thursday, f"{h:02d}:00"), by=front_desk)
            for h in range(9, 17)] + [appointment_book(patient=other_patient, service=cal.review, start=local(thursday, f"{h:02d}:45"),
                                                        by=front_desk) for h in range(9, 16)]
    waitlist_join(patient=patient, service=cal.consultation, earliest=thursday, latest=thursday, by=patient.user)
    assert waitlist_matches_refresh() == 0
    client.force_login(front_desk)
    assert "No waiting patient matches a free time." in client.get(reverse("staff_home")).content.decode()
    appointment_cancel(appointment=busy[2], by=front_desk, reason="Patient unwell")
    body = client.get(reverse("staff_home")).content.decode()
    assert re.search(r"a time is free</h3>\s*<span[^>]*>1<", body) and "Alice Walker" in body and "Thu 5 Mar, 11:00 AM" in body
    page = client.get(reverse("booking:desk_waitlist")).content.decode()
    assert "Free: Thu 5 Mar, 11:00 AM" in page and "E-mail the offer" in page and "Remove from the list" in page


def test_the_desk_offers_a_freed_time_and_removes_a_patient_from_the_list(client, cal, patient, front_desk, now,
                                                                         django_capture_on_commit_callbacks, mailoutbox):
    entry = waitlist_join(patient=patient, service=cal.consultation, earliest=WED, latest=WED, by=patient.user)
    client.force_login(front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("booking:desk_waitlist_offer", args=[entry.pk]), {"day": "2026-03-04"})
    drain()  # the offer waits in the outbox for the dispatcher
    assert mailoutbox[-1].to == [patient.email] and "day=2026-03-04" in mailoutbox[-1].body
    client.post(reverse("booking:desk_waitlist_remove", args=[entry.pk]))
    entry.refresh_from_db()
    assert entry.status == "left"


def test_the_reviews_line_counts_the_queue_and_says_how_long_the_oldest_waited(client, clinician, patient, cal, now):
    from intake.models import ScreeningStatus
    from tests.intake.factories import ScreeningFactory, answers_with

    ScreeningFactory(patient=patient, answers=answers_with(blood_thinners="yes"), status=ScreeningStatus.SUBMITTED)
    with time_machine.travel(now + timedelta(days=2, hours=1), tick=False):
        client.force_login(clinician)
        body = client.get(reverse("staff_home")).content.decode()
    assert re.search(r"waiting for review</h3>\s*<span[^>]*>1<", body)
    assert "The oldest has waited 2\xa0days" in body and "/intake/reviews/" in body



def test_the_desk_cancels_with_a_reason_kept_in_the_history(client, cal, patient, front_desk, now):
    a = appointment_book(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=front_desk)
    client.force_login(front_desk)
    page = client.post(f"/booking/desk/appointments/{a.pk}/cancel/", {"reason": " "}, follow=True).content.decode()
    assert "Please say why the visit is cancelled." in page
    a.refresh_from_db()
    assert a.status == Status.BOOKED
    client.post(f"/booking/desk/appointments/{a.pk}/cancel/", {"reason": "Patient has the flu"})
    a.refresh_from_db()
    assert a.status == Status.CANCELLED and a.cancel_reason == "Patient has the flu"
    page = client.get(f"/booking/desk/appointments/{a.pk}/").content.decode()
    assert "cancelled" in page and "Patient has the flu" in page
