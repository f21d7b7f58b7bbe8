"""The reminder outbox: planned with booking events, re-planned on moves, sent at most once."""

import smtplib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from aftercare.models import ReminderTemplate
from aftercare.plan import Kind
from booking import events
from booking.models import Appointment, Status
from clinic import delivery, sms
from clinic.models import Channel, DeliveryAttempt, MessageStatus, OutboxMessage

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # Monday 2 March, 09:00 in Los Angeles
START = datetime(2026, 3, 20, 20, 0, tzinfo=UTC)  # Friday 20 March, 13:00 PDT (after the DST change)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def book(make_appointment, patient, **kwargs):
    appointment = make_appointment(patient, start=kwargs.pop("start", START), **kwargs)
    events.appointment_booked.send(sender=Appointment, appointment=appointment)
    return appointment


def shift(appointment, delta):
    """Moves the visit's row as booking would (start, end and blocked range together)."""
    for field in ("start", "end", "blocked_start", "blocked_end"):
        setattr(appointment, field, getattr(appointment, field) + delta)
    appointment.save()
    return appointment


def kinds(appointment, status=MessageStatus.PENDING):
    return sorted(appointment.messages.filter(status=status).values_list("kind", flat=True))


def drain(now):
    """What beat and the worker do, in-process: dispatch what is due, send each one."""
    return {message_id: delivery.send_message(message_id) for message_id in delivery.dispatch_due(now=now)}


def queued_confirmation(make_appointment, patient, frozen):
    """A booking whose confirmation the dispatcher has handed out; returns its id and the time."""
    book(make_appointment, patient)
    at = NOW + timedelta(minutes=5)
    frozen.move_to(at)
    [message_id] = delivery.dispatch_due(now=at)
    return message_id, at


def left_by_a_lost_worker(message_id, **fields):
    """What a killed worker had committed: its claim (and, given provider_called_at, the hand-over)."""
    OutboxMessage.objects.filter(pk=message_id).update(status=MessageStatus.SENDING, claim_token="task-1", **fields)


def test_booking_a_session_plans_the_whole_pre_treatment_timeline(make_appointment, patient):
    appointment = book(make_appointment, patient)
    assert kinds(appointment) == sorted([
        Kind.APPOINTMENT_REMINDER, Kind.BOOKING_CONFIRMATION, Kind.DAY_BEFORE_PREPARATION,
        Kind.PAUSE_MEDICINES, Kind.RECONFIRM, Kind.STOCKINGS,
    ])
    reminder = appointment.messages.get(kind=Kind.APPOINTMENT_REMINDER)
    assert reminder.send_at.astimezone(LA) == datetime(2026, 3, 19, 10, 0, tzinfo=LA)
    assert reminder.planned_for == START
    assert appointment.messages.get(kind=Kind.BOOKING_CONFIRMATION).send_at == NOW + timedelta(minutes=3)


def test_a_consultation_gets_only_the_confirmation_and_the_reminder(make_appointment, patient):
    appointment = book(make_appointment, patient, service="consultation")
    assert kinds(appointment) == [Kind.APPOINTMENT_REMINDER, Kind.BOOKING_CONFIRMATION]


def test_the_confirmation_goes_once_after_the_grace_period(make_appointment, patient, frozen):
    book(make_appointment, patient)
    assert drain(NOW + timedelta(minutes=2)) == {}
    frozen.move_to(NOW + timedelta(minutes=3))
    sent = drain(NOW + timedelta(minutes=3))
    assert list(sent.values()) == [MessageStatus.SENT]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [patient.email]
    assert "Friday 20 March at 1:00 PM" in mail.outbox[0].subject
    assert drain(NOW + timedelta(minutes=4)) == {}
    assert len(mail.outbox) == 1


def test_moving_within_the_grace_period_sends_one_confirmation_for_the_new_time(make_appointment, patient, frozen):
    appointment = book(make_appointment, patient)
    frozen.move_to(NOW + timedelta(minutes=1))
    shift(appointment, timedelta(days=2))
    events.appointment_moved.send(sender=Appointment, appointment=appointment, previous_start=START, previous_end=START)
    frozen.move_to(NOW + timedelta(minutes=10))
    drain(NOW + timedelta(minutes=10))
    assert len(mail.outbox) == 1
    assert "Sunday 22 March" in mail.outbox[0].subject
    assert appointment.messages.filter(planned_for=START, status=MessageStatus.CANCELLED).count() == 6


def test_a_message_planned_before_a_move_is_never_sent_even_if_already_queued(make_appointment, patient, frozen):
    appointment = book(make_appointment, patient)
    frozen.move_to(NOW + timedelta(minutes=5))
    [queued] = delivery.dispatch_due(now=NOW + timedelta(minutes=5))
    # The visit moves after the dispatcher handed the message to a worker but before it ran.
    shift(appointment, timedelta(days=1))
    assert delivery.send_message(queued) == MessageStatus.SKIPPED
    assert mail.outbox == []
    assert OutboxMessage.objects.get(pk=queued).last_error == "moved"


def test_cancelling_cancels_every_pending_message(make_appointment, patient, frozen):
    appointment = book(make_appointment, patient)
    appointment.status = Status.CANCELLED
    appointment.save()
    events.appointment_cancelled.send(sender=Appointment, appointment=appointment, by=None)
    assert kinds(appointment) == []
    frozen.move_to(START)
    assert drain(START) == {}
    assert mail.outbox == []


def test_a_cancelled_visit_is_rechecked_when_its_message_is_already_with_a_worker(make_appointment, patient, frozen):
    appointment = book(make_appointment, patient)
    frozen.move_to(NOW + timedelta(minutes=5))
    [queued] = delivery.dispatch_due(now=NOW + timedelta(minutes=5))
    Appointment.objects.filter(pk=appointment.pk).update(status=Status.CANCELLED)
    assert delivery.send_message(queued) == MessageStatus.SKIPPED
    assert mail.outbox == []


def test_sending_the_same_message_twice_sends_it_once(make_appointment, patient, frozen):
    book(make_appointment, patient)
    frozen.move_to(NOW + timedelta(minutes=5))
    [message_id] = delivery.dispatch_due(now=NOW + timedelta(minutes=5))
    assert delivery.send_message(message_id) == MessageStatus.SENT
    assert delivery.send_message(message_id) == MessageStatus.SENT
    assert len(mail.outbox) == 1
    assert [(a.outcome, a.detail) for a in DeliveryAttempt.objects.filter(message_id=message_id)] == [
        ("sent", patient.email)
    ]


def test_the_database_refuses_a_second_copy_of_a_message(make_appointment, patient):
    appointment = book(make_appointment, patient)
    before = appointment.messages.count()
    events.appointment_booked.send(sender=Appointment, appointment=appointment)  # a replayed event
    assert appointment.messages.count() == before


def test_a_worker_lost_mid_send_leaves_the_message_unknown_and_never_resends_it(make_appointment, patient, frozen):
    message_id, at = queued_confirmation(make_appointment, patient, frozen)
    left_by_a_lost_worker(message_id, provider_called_at=at)
    assert delivery.send_message(message_id, token="task-1") == MessageStatus.UNKNOWN  # the broker's redelivery
    assert mail.outbox == []
    assert DeliveryAttempt.objects.get(message_id=message_id).outcome == "unknown"


def test_a_worker_lost_before_reaching_the_provider_is_simply_sent_on_redelivery(make_appointment, patient, frozen):
    message_id, _ = queued_confirmation(make_appointment, patient, frozen)
    left_by_a_lost_worker(message_id)
    assert delivery.send_message(message_id, token="task-1") == MessageStatus.SENT
    assert len(mail.outbox) == 1


def test_a_claim_whose_task_was_lost_for_good_goes_back_to_the_outbox(make_appointment, patient, frozen, settings):
    message_id, at = queued_confirmation(make_appointment, patient, frozen)
    left_by_a_lost_worker(message_id)  # died before the provider call; the broker lost the task too
    later = at + timedelta(minutes=settings.REMINDER_ABANDONED_MINUTES - 1)
    frozen.move_to(later)
    assert delivery.dispatch_due(now=later) == []
    assert OutboxMessage.objects.get(pk=message_id).status == MessageStatus.SENDING  # the broker may still redeliver
    later = at + timedelta(minutes=settings.REMINDER_ABANDONED_MINUTES + 1)
    frozen.move_to(later)
    delivery.dispatch_due(now=later)
    assert OutboxMessage.objects.get(pk=message_id).status == MessageStatus.PENDING
    later += timedelta(minutes=1)
    frozen.move_to(later)
    assert drain(later) == {message_id: MessageStatus.SENT}
    assert delivery.send_message(message_id, token="task-1") == MessageStatus.SENT  # the lost task, back after all
    assert len(mail.outbox) == 1


def test_a_claim_lost_for_good_after_the_provider_call_is_shown_as_unknown(make_appointment, patient, frozen, settings):
    message_id, at = queued_confirmation(make_appointment, patient, frozen)
    left_by_a_lost_worker(message_id, provider_called_at=at)
    later = at + timedelta(minutes=settings.REMINDER_ABANDONED_MINUTES + 1)
    frozen.move_to(later)
    assert delivery.dispatch_due(now=later) == []
    message = OutboxMessage.objects.get(pk=message_id)
    assert message.status == MessageStatus.UNKNOWN
    assert [a.outcome for a in message.attempt_log.all()] == ["unknown"]
    assert mail.outbox == []


def test_a_duplicate_task_leaves_a_message_another_worker_is_sending_alone(make_appointment, patient, frozen):
    message_id, at = queued_confirmation(make_appointment, patient, frozen)
    # task-1 is alive and handing it to the provider right now.
    OutboxMessage.objects.filter(pk=message_id).update(status=MessageStatus.SENDING, claim_token="task-1", provider_called_at=at)
    assert delivery.send_message(message_id, token="task-2") == MessageStatus.SENDING
    assert mail.outbox == []


def test_a_visit_cancelled_between_the_re_check_and_the_hand_over_is_not_sent(make_appointment, patient, frozen, monkeypatch):
    appointment = book(make_appointment, patient)
    frozen.move_to(NOW + timedelta(minutes=5))
    [message_id] = delivery.dispatch_due(now=NOW + timedelta(minutes=5))
    real_claim = delivery._claim

    def claim_then_cancel(ids, token):
        claimed = real_claim(ids, token)
        Appointment.objects.filter(pk=appointment.pk).update(status=Status.CANCELLED)  # another request, just now
        return claimed

    monkeypatch.setattr(delivery, "_claim", claim_then_cancel)
    assert delivery.send_message(message_id) == MessageStatus.SKIPPED
    assert mail.outbox == []


class BrokenSMTP:
    def __init__(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_transport_errors_retry_with_backoff_then_fail_and_staff_can_resend(make_appointment, patient, frozen, settings, front_desk):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on the discard port
    book(make_appointment, patient, service="consultation")
    at = NOW + timedelta(minutes=5)
    waits = []
    for _ in range(delivery.MAX_ATTEMPTS):
        frozen.move_to(at)
        [(message_id, status)] = drain(at).items()
        message = OutboxMessage.objects.get(pk=message_id)
        if status == MessageStatus.PENDING:
            waits.append(message.send_at - at)
            at = message.send_at
    assert status == MessageStatus.FAILED
    assert waits == [timedelta(minutes=m) for m in delivery.BACKOFF_MINUTES]
    assert "ConnectionRefusedError" in message.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    delivery.message_resend(message=message, by=front_desk)
    assert drain(at) == {message_id: MessageStatus.SENT}
    assert [a.outcome for a in message.attempt_log.all()] == ["retry"] * 4 + ["failed", "resend", "sent"]
    assert OutboxMessage.objects.get(pk=message_id).status == MessageStatus.SENT


def test_only_failed_or_unknown_messages_can_be_resent(make_appointment, patient, front_desk):
    message = book(make_appointment, patient).messages.first()
    with pytest.raises(delivery.OutboxError):
        delivery.message_resend(message=message, by=front_desk)


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "clinic.sms.LocmemSMSBackend"
    sms.outbox.clear()
    return sms.outbox


def texting(patient):
    patient.phone, patient.sms_consent, patient.preferred_channel = "+12065550147", True, Channel.SMS
    patient.save()
    return patient


def test_text_messages_carry_no_health_details_and_wait_for_morning(make_appointment, patient, sms_outbox, frozen):
    late = datetime(2026, 3, 3, 6, 30, tzinfo=UTC)  # 22:30 in Los Angeles
    frozen.move_to(late)
    appointment = book(make_appointment, texting(patient))
    confirmation = appointment.messages.get(kind=Kind.BOOKING_CONFIRMATION)
    assert confirmation.channel == Channel.SMS
    assert confirmation.send_at.astimezone(LA) == datetime(2026, 3, 3, 8, 0, tzinfo=LA)
    frozen.move_to(confirmation.send_at)
    drain(confirmation.send_at)
    [text] = sms_outbox
    assert text["to"] == "+12065550147"
    body = text["body"].replace("Test Vein Clinic", "CLINIC").lower()  # the sender's name is not a health detail
    for word in ("sclero", "vein", "inject", "medicine", "aspirin", "pregnan", "treatment", "session"):
        assert word not in body


def test_a_patient_who_stops_texts_gets_email_instead(make_appointment, patient, sms_outbox, frozen):
    appointment = book(make_appointment, texting(patient))
    patient.preferred_channel, patient.sms_consent = Channel.EMAIL, False
    patient.save()
    frozen.move_to(NOW + timedelta(minutes=5))
    drain(NOW + timedelta(minutes=5))
    assert sms_outbox == []
    assert len(mail.outbox) == 1
    assert appointment.messages.get(kind=Kind.BOOKING_CONFIRMATION).channel == Channel.EMAIL


def test_a_patient_who_already_confirmed_their_health_answers_is_not_asked_again(make_appointment, patient, frozen):
    from intake.models import Reconfirmation
    from tests.intake.factories import ScreeningFactory

    screening = ScreeningFactory(patient=patient, submitted_at=NOW - timedelta(days=60))
    appointment = book(make_appointment, patient)
    reconfirm = appointment.messages.get(kind=Kind.RECONFIRM)
    asked_at = reconfirm.send_at
    # The patient confirmed on their own an hour before the reminder, inside the 7 days before the visit.
    Reconfirmation.objects.create(patient=patient, screening=screening, answers={}, changed=False,
                                  at=asked_at - timedelta(hours=1))
    frozen.move_to(asked_at)
    drain(asked_at)  # the reminder is due but not needed: the answers count for this visit
    reconfirm.refresh_from_db()
    assert (reconfirm.status, reconfirm.last_error) == (MessageStatus.SKIPPED, "health answers already confirmed for this visit")
    assert not [m for m in mail.outbox if "changed" in m.subject.lower()]


def test_a_patient_who_confirmed_only_for_an_earlier_visit_is_asked(make_appointment, patient, frozen):
    from tests.intake.factories import ScreeningFactory

    ScreeningFactory(patient=patient, submitted_at=NOW - timedelta(days=60))
    appointment = book(make_appointment, patient)
    reconfirm = appointment.messages.get(kind=Kind.RECONFIRM)
    frozen.move_to(reconfirm.send_at)
    assert drain(reconfirm.send_at)[reconfirm.pk] == MessageStatus.SENT


def test_a_reminder_switched_off_by_the_clinic_is_not_planned(make_appointment, patient):
    ReminderTemplate.objects.filter(kind=Kind.STOCKINGS).update(is_active=False)
    assert Kind.STOCKINGS not in kinds(book(make_appointment, patient))


def test_completing_a_session_plans_aftercare_check_in_and_course_messages(make_appointment, patient, course_for, frozen):
    course = course_for(patient)
    appointment = make_appointment(patient, start=NOW - timedelta(hours=1), status=Status.COMPLETED, course=course, sequence=1)
    events.appointment_completed.send(sender=Appointment, appointment=appointment)
    assert kinds(appointment) == sorted([
        Kind.AFTERCARE, Kind.CHECK_IN, Kind.NEXT_SESSION_NUDGE, Kind.OVERDUE, Kind.OVERDUE_DESK, Kind.WINDOW_CLOSING,
    ])
    overdue_desk = appointment.messages.get(kind=Kind.OVERDUE_DESK)
    frozen.move_to(overdue_desk.send_at)
    delivery.dispatch_due(now=overdue_desk.send_at)
    # Booking the next session in time makes the course messages irrelevant.
    make_appointment(patient, start=NOW + timedelta(days=20), course=course, sequence=2)
    statuses = {m.kind: delivery.send_message(m.pk) for m in appointment.messages.filter(status=MessageStatus.QUEUED)}
    assert statuses[Kind.OVERDUE_DESK] == MessageStatus.SKIPPED
    assert statuses[Kind.AFTERCARE] == MessageStatus.SENT


def test_the_last_session_of_a_course_plans_no_course_messages(make_appointment, patient, course_for):
    course = course_for(patient, planned=2)
    appointment = make_appointment(patient, start=NOW - timedelta(hours=1), status=Status.COMPLETED, course=course, sequence=2)
    events.appointment_completed.send(sender=Appointment, appointment=appointment)
    assert kinds(appointment) == [Kind.AFTERCARE, Kind.CHECK_IN]
