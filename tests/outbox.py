"""What the beat's dispatcher and a worker do, run in the test's own process."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from clinic import delivery


def drain(now=None) -> dict[int, str]:
    """Dispatch what is due at `now` (default: the clock) and send each message; returns id -> status."""
    now = now or timezone.now()
    ids = delivery.dispatch_due(now=now)
    return delivery.send_messages(ids) if ids else {}


def drain_at(at) -> dict[int, str]:
    with time_machine.travel(at, tick=False):
        return drain(at)


def calendar_part(email):
    """The text/calendar MIME part an outbox e-mail carries (a Django EmailMessage from mail.outbox)."""
    for part in email.message().walk():
        if part.get_content_type() == "text/calendar":
            return part
    raise AssertionError("no calendar attached")


def calendar_text(email) -> str:
    return calendar_part(email).get_payload(decode=True).decode("utf-8")


def due_confirmations(make_appointment, count) -> int:
    """`count` consultations booked just now, only their confirmations left and due at once."""
    from booking import events
    from booking.models import Appointment
    from clinic.models import OutboxMessage
    from tests.factories import PatientFactory

    first = timezone.now() + timedelta(days=20)
    for n in range(count):
        appointment = make_appointment(PatientFactory(), service="consultation", start=first + timedelta(hours=n))
        events.appointment_booked.send(sender=Appointment, appointment=appointment)
    OutboxMessage.objects.exclude(kind="booking_confirmation").delete()
    OutboxMessage.objects.update(send_at=timezone.now() - timedelta(minutes=1))
    return OutboxMessage.objects.count()
