"""Aftercare pages: the patient's plan and check-in, the clinician's queue, the delivery log."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from aftercare import services
from aftercare.models import CheckIn, ReminderTemplate
from booking import events
from booking.models import Appointment, Status
from clinic import delivery, tasks
from clinic.models import AuditEvent, MessageStatus, OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def done_session(make_appointment, patient):
    return make_appointment(patient, start=timezone.now() - timedelta(days=3), status=Status.COMPLETED)


def drain(handed=()) -> int:
    """Send what was handed to the workers at once (`handed`: the send tasks' batches), then
    dispatch what is due and send it, in-process, as beat and a worker would; how many went."""
    results = {}
    for batch in handed:
        results.update(delivery.send_messages(batch))
    results.update(delivery.send_messages(delivery.dispatch_due()))
    return sum(status == MessageStatus.SENT for status in results.values())


def post_check_in(client, appointment, **answers):
    data = {"redness": "none", "pain": "none", **answers}
    return client.post(reverse("aftercare:check_in", args=[appointment.pk]), data)


def test_the_aftercare_page_shows_todays_advice_from_the_last_session(client, patient, done_session):
    client.force_login(patient.user)
    page = client.get(reverse("aftercare:today")).content.decode()
    assert "day 3 after your session" in page
    assert "during the day" in page  # stockings by day from day 3
    assert "Answer the check-in" in page


def test_expected_effects_get_reassurance(client, patient, done_session):
    client.force_login(patient.user)
    response = post_check_in(client, done_session, bruising="on", itching="on", pain="mild")
    record = CheckIn.objects.get()
    assert response.url == reverse("aftercare:check_in_result", args=[record.pk])
    assert record.urgency == 0 and record.answers["bruising"] is True
    assert "normal healing" in client.get(response.url).content.decode()
    assert mail.outbox == []


@pytest.fixture
def dispatches(monkeypatch):
    """Batches handed to the workers at once, as send tasks (no worker in these tests)."""
    calls = []
    monkeypatch.setattr(tasks.send_outbox, "delay", lambda ids: calls.append(ids))
    return calls


def test_signs_of_a_clot_tell_the_patient_to_call_911_and_alert_the_clinic(
    client, patient, done_session, django_capture_on_commit_callbacks, dispatches
):
    client.force_login(patient.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_check_in(client, done_session, breathlessness="on", leg_swelling="on")
    assert "Call 911 now" in client.get(response.url).content.decode()
    alert = OutboxMessage.objects.get(kind="check_in_alert")
    assert dispatches == [[alert.pk]]  # handed to the workers at once, not at the dispatcher's next minute
    assert drain(dispatches) == 1
    [alert] = mail.outbox
    assert alert.to == ["desk@clinic.example.org"]
    assert alert.subject == f"URGENT check-in: {patient.first_name} {patient.last_name}"
    assert reverse("aftercare:check_in_queue") in alert.body
    assert "breath" not in alert.body.lower()  # the answers stay behind the login


def test_the_clinic_alert_survives_a_mail_server_that_is_down(client, patient, done_session, settings, dispatches):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on the discard port
    client.force_login(patient.user)
    post_check_in(client, done_session, chest_pain="on")
    assert drain() == 0
    alert = OutboxMessage.objects.get(kind="check_in_alert")
    assert alert.status == MessageStatus.PENDING and "ConnectionRefusedError" in alert.last_error  # tried again soon
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxMessage.objects.filter(pk=alert.pk).update(send_at=timezone.now())
    assert drain() == 1
    assert mail.outbox[0].subject.startswith("URGENT check-in")


def test_a_second_alarming_check_in_while_the_first_alert_waits_sends_one_alert(client, patient, done_session, dispatches):
    client.force_login(patient.user)
    post_check_in(client, done_session, leg_swelling="on")
    post_check_in(client, done_session, leg_swelling="on", chest_pain="on")
    assert CheckIn.objects.count() == 2  # both answers are kept
    assert drain() == 1


def test_the_clinic_alert_cannot_be_switched_off(client, patient, done_session, dispatches):
    ReminderTemplate.objects.filter(kind="check_in_alert").update(is_active=False)
    client.force_login(patient.user)
    post_check_in(client, done_session, vision_or_speech_change="on")
    assert drain() == 1
    assert mail.outbox[0].subject.startswith("URGENT check-in")


def test_a_swollen_calf_sends_the_patient_to_a_doctor_today(client, patient, done_session):
    client.force_login(patient.user)
    response = post_check_in(client, done_session, leg_swelling="on")
    assert "Please see a doctor today" in client.get(response.url).content.decode()


def test_other_concerns_go_to_the_clinicians_queue(client, patient, done_session, clinician):
    client.force_login(patient.user)
    post_check_in(client, done_session, other="A blister near my knee")
    client.force_login(clinician)
    page = client.get(reverse("aftercare:check_in_queue"))
    assert "A blister near my knee" in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0") and "no-store" in page["Cache-Control"]
    assert AuditEvent.objects.filter(action="aftercare.check_in.viewed", actor=clinician, patient=done_session.patient).exists()


def test_the_queue_shows_answers_in_plain_words_with_what_raised_the_alarm(client, patient, done_session, clinician, dispatches):
    client.force_login(patient.user)
    post_check_in(client, done_session, leg_swelling="on", bruising="on", pain="severe")
    client.force_login(clinician)
    page = client.get(reverse("aftercare:check_in_queue")).content.decode()
    assert '<li class="fw-bold text-danger">A swollen, tender or painful calf or leg</li>' in page
    assert '<li class="fw-bold text-danger">Pain: Bad, or getting worse</li>' in page
    assert "<li>Bruising</li>" in page  # expected, not alarming
    assert "leg_swelling" not in page


def test_a_clinician_marks_a_check_in_as_dealt_with(client, patient, done_session, clinician):
    client.force_login(patient.user)
    post_check_in(client, done_session, pain="severe")
    record = CheckIn.objects.get()
    client.force_login(clinician)
    client.post(reverse("aftercare:check_in_handle", args=[record.pk]), {"note": "Called her; reviewed tomorrow."})
    record.refresh_from_db()
    assert record.handled_by == clinician and record.handling_note == "Called her; reviewed tomorrow."
    assert "No open check-ins." in client.get(reverse("aftercare:check_in_queue")).content.decode()


def test_a_patient_cannot_check_in_for_another_patients_session(client, other_patient, done_session):
    client.force_login(other_patient.user)
    assert client.get(reverse("aftercare:check_in", args=[done_session.pk])).status_code == 404
    assert post_check_in(client, done_session).status_code == 404
    assert not CheckIn.objects.exists()


def test_a_patient_cannot_read_another_patients_check_in(client, patient, other_patient, done_session):
    client.force_login(patient.user)
    record_url = post_check_in(client, done_session).url
    client.force_login(other_patient.user)
    assert client.get(record_url).status_code == 404


@pytest.mark.parametrize(("persona", "status"), [("front_desk", 403), ("patient", 403), ("stranger", 403), ("clinician", 200)])
def test_only_clinicians_open_the_check_in_queue(client, request, persona, status):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    assert client.get(reverse("aftercare:check_in_queue")).status_code == status


@pytest.mark.parametrize(("persona", "status"), [("front_desk", 200), ("clinician", 200), ("patient", 403), ("other_patient", 403), ("stranger", 403)])
def test_the_delivery_log_is_for_staff(client, request, patient, persona, status):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    assert client.get(reverse("aftercare:delivery_log", args=[patient.pk])).status_code == status


def test_front_desk_sees_a_failed_message_and_sends_it_again(client, make_appointment, patient, front_desk):
    appointment = make_appointment(patient)
    events.appointment_booked.send(sender=Appointment, appointment=appointment)
    message = appointment.messages.first()
    OutboxMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED, last_error="Twilio 400 (code 21211)")
    client.force_login(front_desk)
    assert "Twilio 400" in client.get(reverse("aftercare:problems")).content.decode()
    page = client.get(reverse("aftercare:delivery_log", args=[patient.pk])).content.decode()
    assert "Send again" in page
    client.post(reverse("aftercare:resend", args=[message.pk]))
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING
    assert message.attempt_log.last().by == front_desk


def test_a_patient_cannot_resend_messages(client, make_appointment, patient):
    appointment = make_appointment(patient)
    events.appointment_booked.send(sender=Appointment, appointment=appointment)
    message = appointment.messages.first()
    OutboxMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED)
    client.force_login(patient.user)
    assert client.post(reverse("aftercare:resend", args=[message.pk])).status_code == 403
    assert OutboxMessage.objects.get(pk=message.pk).status == MessageStatus.FAILED


def test_check_in_service_keeps_every_answer_on_the_record(make_appointment, patient):
    from aftercare.checkin import CheckInAnswers

    appointment = make_appointment(patient, start=timezone.now() - timedelta(days=4), status=Status.COMPLETED)
    services.check_in_submit(appointment=appointment, answers=CheckInAnswers(lumps=True), by=patient.user)
    services.check_in_submit(appointment=appointment, answers=CheckInAnswers(fever=True), by=patient.user)
    assert list(CheckIn.objects.filter(patient=patient).order_by("submitted_at").values_list("urgency", flat=True)) == [0, 1]
