"""The pages: who may see and change what, tampered posts, signed links, e-mails."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail, signing
from django.utils import timezone

from booking import links
from booking.emails import calendar_uid
from booking.models import Appointment, Status, WaitlistEntry
from booking.services import appointment_book, appointment_cancel, waitlist_join
from tests.booking.factories import appointment as make_appointment
from tests.booking.factories import local
from tests.outbox import calendar_text, drain_at

pytestmark = pytest.mark.django_db

WED = date(2026, 3, 4)


def send_due_reminders(at):
    """What the beat's dispatcher and a worker do, in this process, at `at`."""
    drain_at(at)


@pytest.fixture
def alices(cal, patient, now):
    return appointment_book(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=patient.user)


# --- the patient's flow ----------------------------------------------------------------------


def test_alice_picks_a_time_holds_it_and_confirms_and_gets_an_email_with_a_calendar_file(
    client, cal, patient, now, django_capture_on_commit_callbacks
):
    client.force_login(patient.user)
    page = client.get("/booking/consultation/?day=2026-03-04")
    assert page.status_code == 200
    assert "10:00 AM" in page.content.decode()
    response = client.post("/booking/consultation/", {"start": local(WED, "10:00").isoformat()})
    hold = Appointment.objects.get(status=Status.HELD)
    assert response["Location"] == f"/booking/holds/{hold.pk}/"
    assert "Confirm booking" in client.get(response["Location"]).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/booking/holds/{hold.pk}/", {"action": "confirm"})
    assert response["Location"] == f"/booking/appointments/{hold.pk}/"
    hold.refresh_from_db()
    assert hold.status == Status.BOOKED
    assert mail.outbox == []  # the confirmation waits out the grace period in the outbox
    send_due_reminders(now + timedelta(minutes=3))
    [email] = mail.outbox
    assert email.to == [patient.email]
    assert "Wednesday 4 March at 10:00 AM" in email.body
    ics = calendar_text(email)
    assert "DTSTART:20260304T180000Z" in ics and f"UID:{calendar_uid(hold)}" in ics
    token = re.search(r"/booking/link/([^/\s]+)/", email.body).group(1)
    assert links.appointment_from_token(token, now=now) == hold
    assert client.get(f"/booking/appointments/{hold.pk}/").status_code == 200


@pytest.mark.parametrize(
    "start",
    [
        "2026-03-04T18:07:00+00:00",  # off the 15-minute grid
        "2026-03-04T05:00:00+00:00",  # 21:00 the night before, outside hours
        "2026-03-02T20:00:00+00:00",  # inside the notice period
        "not a time",
    ],
)
def test_a_tampered_slot_post_is_refused_and_nothing_is_held(client, cal, patient, now, start):
    client.force_login(patient.user)
    response = client.post("/booking/consultation/", {"start": start})
    assert response.status_code == 200
    assert response.context["error"].code in {"off_grid", "outside_hours", "too_soon"}
    assert not Appointment.objects.exists()


def test_a_post_for_a_taken_slot_shows_the_nearest_free_times(client, cal, patient, other_patient, now):
    cal.clinicians[1].working_hours.all().delete()
    make_appointment(service=cal.consultation, clinician=cal.clinicians[0], room=cal.rooms[0], start=local(WED, "10:00"))
    client.force_login(patient.user)
    response = client.post("/booking/consultation/", {"start": local(WED, "10:15").isoformat()})
    assert response.context["error"].code == "taken"
    assert response.context["nearest"]
    assert "just taken" in response.content.decode()


def test_a_post_naming_a_clinician_who_does_not_do_the_service_is_refused(client, cal, patient, now):
    cal.consultation.clinicians.remove(cal.clinicians[1])
    client.force_login(patient.user)
    response = client.post(
        "/booking/consultation/", {"start": local(WED, "10:00").isoformat(), "clinician": cal.clinicians[1].pk}
    )
    assert response.context["error"].code == "unknown_clinician"
    assert not Appointment.objects.exists()


def test_a_patient_without_a_screening_is_shown_the_way_to_the_questionnaire(client, cal, patient, now):
    client.force_login(patient.user)
    page = client.get("/booking/sclerotherapy/")
    body = page.content.decode()
    assert 'href="/intake/"' in body
    assert "Book a consultation instead" in body


def test_the_session_page_shows_the_window_and_its_first_free_times(client, cal, patient, cleared, now):
    appointment_book(patient=patient, service=cal.session, start=local(WED, "10:00"), by=patient.user)
    client.force_login(patient.user)
    page = client.get("/booking/sclerotherapy/")
    body = page.content.decode()
    assert "Session 2 of 3" in body
    assert "Wednesday 18 March" in body and "Wednesday 15 April 2026" in body
    assert page.context["selected_day"] == date(2026, 3, 18)
    assert page.context["day_slots"][0].start == local(date(2026, 3, 18), "09:00")


def test_the_patient_home_has_a_book_a_visit_section(client, alices, patient):
    client.force_login(patient.user)
    body = client.get("/me/").content.decode()
    assert "Book a visit" in body and "My appointments" in body and "Wed 4 Mar, 10:00 AM" in body


# --- permissions -----------------------------------------------------------------------------


def test_bob_cannot_see_move_or_cancel_alices_booking(client, alices, other_patient):
    client.force_login(other_patient.user)
    for url in (f"/booking/appointments/{alices.pk}/", f"/booking/appointments/{alices.pk}/move/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/booking/appointments/{alices.pk}/cancel/").status_code == 404
    alices.refresh_from_db()
    assert alices.status == Status.BOOKED


def test_bob_cannot_confirm_alices_hold(client, cal, patient, other_patient, now):
    from booking.services import appointment_hold

    hold = appointment_hold(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=patient.user)
    client.force_login(other_patient.user)
    assert client.post(f"/booking/holds/{hold.pk}/", {"action": "confirm"}).status_code == 404


@pytest.mark.parametrize("who", ["stranger", "patient"])
def test_the_desk_pages_are_closed_to_patients_and_strangers(client, alices, request, who):
    client.force_login(request.getfixturevalue(who).user if who == "patient" else request.getfixturevalue(who))
    for url in ("/booking/desk/", "/booking/desk/book/", f"/booking/desk/appointments/{alices.pk}/"):
        assert client.get(url).status_code == 403
    assert client.post(f"/booking/desk/appointments/{alices.pk}/cancel/").status_code == 403


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(client, alices):
    assert client.get("/booking/").status_code == 302
    assert client.get(f"/booking/appointments/{alices.pk}/").status_code == 302


def test_front_desk_books_for_any_patient(client, cal, front_desk, other_patient, now):
    client.force_login(front_desk)
    start = local(date(2026, 3, 2), "15:00")  # today: no notice for the desk
    response = client.post(
        f"/booking/desk/book/?patient={other_patient.pk}&service=consultation", {"start": start.isoformat()}
    )
    a = Appointment.objects.get()
    assert response["Location"] == f"/booking/desk/appointments/{a.pk}/"
    assert a.patient == other_patient and a.booked_by == front_desk
    assert a.start == start


def test_front_desk_checks_in_and_completes_and_the_calendar_shows_it(client, alices, front_desk):
    with time_machine.travel(alices.start - timedelta(minutes=10), tick=False):
        client.force_login(front_desk)  # a login lasts hours, not days
        client.post(f"/booking/desk/appointments/{alices.pk}/check_in/")
    alices.refresh_from_db()
    assert alices.status == Status.CHECKED_IN
    with time_machine.travel(alices.end, tick=False):
        client.force_login(front_desk)  # 40 minutes idle: the staff login has timed out since
        client.post(f"/booking/desk/appointments/{alices.pk}/complete/")
        body = client.get("/booking/desk/?date=2026-03-04").content.decode()
    alices.refresh_from_db()
    assert alices.status == Status.COMPLETED
    assert "Alice Walker" in body and "10:00–10:30 AM" in body and "Completed" in body
    assert "By room" in body


def test_only_a_clinician_sees_and_uses_the_override_field(client, cal, patient, cleared, clinician, front_desk, now):
    appointment_book(patient=patient, service=cal.session, start=local(WED, "10:00"), by=patient.user)
    url = f"/booking/desk/book/?patient={patient.pk}&service=sclerotherapy"
    data = {"start": local(date(2026, 3, 11), "10:00").isoformat(), "override_reason": "Early review of a small area"}
    client.force_login(front_desk)
    assert "override_reason" not in client.get(url).context["form"].fields
    response = client.post(url, data)
    assert "between Wednesday 18 March" in response.content.decode()
    client.force_login(clinician)
    client.post(url, data)
    second = Appointment.objects.get(sequence=2)
    assert second.override_by == clinician and second.override_reason == "Early review of a small area"


# --- signed links ----------------------------------------------------------------------------


def test_the_signed_link_manages_the_visit_without_logging_in(client, alices, django_capture_on_commit_callbacks):
    token = links.manage_token(alices)
    page = client.get(f"/booking/link/{token}/")
    assert page.status_code == 200 and "Cancel this visit" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/booking/link/{token}/cancel/")
    alices.refresh_from_db()
    assert alices.status == Status.CANCELLED
    assert mail.outbox == []  # never from the request: through the outbox
    send_due_reminders(timezone.now())
    assert "Cancelled" in mail.outbox[-1].subject


def test_the_visit_page_tells_how_to_get_ready_for_a_session_only(client, alices, cal, patient, cleared):
    token = links.manage_token(alices)
    assert "Getting ready for your session" not in client.get(f"/booking/link/{token}/").content.decode()
    session = appointment_book(patient=patient, service=cal.session, start=local(WED, "14:00"), by=patient.user)
    page = client.get(f"/booking/link/{links.manage_token(session)}/").content.decode()
    assert "Getting ready for your session" in page
    assert "Never stop a blood thinner on your own" in page  # what the reminder texts link to


def test_a_tampered_or_foreign_signed_link_is_refused_and_changes_nothing(client, alices, other_patient, cal):
    token = links.manage_token(alices)
    bobs = make_appointment(patient=other_patient, service=cal.consultation, clinician=cal.clinicians[1],
                            start=local(WED, "14:00"))
    forged = signing.dumps({"a": bobs.pk, "p": alices.patient_id}, salt=links.SALT, compress=True)
    wrong_key = signing.dumps({"a": alices.pk, "p": alices.patient_id}, salt=links.SALT, key="not-the-secret")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, wrong_key, "nonsense"):
        assert client.get(f"/booking/link/{bad}/").status_code == 404
        assert client.post(f"/booking/link/{bad}/cancel/").status_code == 404
        assert client.post(f"/booking/link/{bad}/move/", {"start": local(WED, "15:00").isoformat()}).status_code == 404
    alices.refresh_from_db()
    bobs.refresh_from_db()
    assert alices.status == Status.BOOKED and alices.start == local(WED, "10:00")
    assert bobs.status == Status.BOOKED


def test_a_signed_link_expires_when_the_visit_ends(client, alices):
    import time_machine

    token = links.manage_token(alices)
    with time_machine.travel(alices.end + timedelta(minutes=1), tick=False):
        assert client.get(f"/booking/link/{token}/").status_code == 404
        assert client.post(f"/booking/link/{token}/cancel/").status_code == 404
    alices.refresh_from_db()
    assert alices.status == Status.BOOKED


def test_inside_the_notice_period_the_link_page_says_to_call(client, cal, patient, front_desk, now):
    soon = appointment_book(patient=patient, service=cal.consultation, start=local(date(2026, 3, 2), "15:00"), by=front_desk)
    body = client.get(f"/booking/link/{links.manage_token(soon)}/").content.decode()
    assert "please call us on" in body and "(206) 555-0100" in body
    assert "Cancel this visit" not in body
    client.post(f"/booking/link/{links.manage_token(soon)}/cancel/")
    soon.refresh_from_db()
    assert soon.status == Status.BOOKED


def test_moving_by_link_sends_the_new_time(client, alices, django_capture_on_commit_callbacks):
    token = links.manage_token(alices)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/booking/link/{token}/move/", {"start": local(WED, "11:00").isoformat()})
    assert response.status_code == 302
    alices.refresh_from_db()
    assert alices.start == local(WED, "11:00") and alices.version == 1
    send_due_reminders(timezone.now() + timedelta(minutes=3))
    [confirmation] = [m for m in mail.outbox if "is booked" in m.subject]  # one, for the new time only
    assert "Wednesday 4 March at 11:00 AM" in confirmation.subject
    assert "SEQUENCE:1" in calendar_text(confirmation)


# --- waitlist --------------------------------------------------------------------------------


def test_a_cancellation_tells_the_first_waiting_patients_who_then_book_it_first_come_first_served(
    cal, patient, other_patient, now, django_capture_on_commit_callbacks
):
    from tests.factories import PatientFactory

    cal.clinicians[1].working_hours.all().delete()
    alices = appointment_book(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=patient.user)
    waiting = [PatientFactory() for _ in range(4)]
    for n, p in enumerate(waiting):
        waitlist_join(patient=p, service=cal.consultation, earliest=WED, latest=date(2026, 3, 6), by=p.user,
                      now=now + timedelta(minutes=n))
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=alices, by=patient.user)
    send_due_reminders(timezone.now())
    offers = [m for m in mail.outbox if "earlier time" in m.subject]
    assert sorted(m.to[0] for m in offers) == sorted(p.email for p in waiting[:3])  # three, in order of joining
    assert "/booking/consultation/?day=2026-03-04" in offers[0].body
    first = waiting[1]
    appointment_book(patient=first, service=cal.consultation, start=local(WED, "10:00"), by=first.user)
    assert WaitlistEntry.objects.get(patient=first).status == "booked"


def test_a_patient_joins_the_waiting_list_from_the_service_page(client, cal, patient, now):
    client.force_login(patient.user)
    client.post("/booking/consultation/waitlist/", {"earliest": "2026-03-03", "latest": "2026-03-10"})
    entry = WaitlistEntry.objects.get(patient=patient)
    assert (entry.earliest, entry.latest, entry.status) == (date(2026, 3, 3), date(2026, 3, 10), "waiting")
    client.post(f"/booking/waitlist/{entry.pk}/leave/")
    entry.refresh_from_db()
    assert entry.status == "left"
