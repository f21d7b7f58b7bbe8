"""One mail path: every e-mail and text leaves through the outbox (clinic/outbox.py), never from a
web request, with its delivery log, retries and the problems list."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail

from tests.services import ROOT

# Sending mail or texts directly. Only the outbox's sender may do it, and the stall alarm, which
# by design does not wait in the outbox it reports on (clinic/health.py).
DIRECT = re.compile(r"(?<!def )\bsend_mail\(|\bsend_mass_mail\(|\bEmailMessage\(|\bEmailMultiAlternatives\(|\.send\(\s*to=")
ALLOWED = {
    "clinic/delivery.py": "the outbox's own sender",
    "clinic/health.py": "the stall alarm: the outbox is what stalled",
    "clinic/sms.py": "the text-message backends the sender calls",
}


def test_no_code_sends_mail_or_texts_except_through_the_outbox():
    offenders = []
    for app in ("clinic", "intake", "booking", "aftercare", "treatment"):
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "migrations" in relative or relative in ALLOWED:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if DIRECT.search(line):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_the_scan_would_catch_a_direct_send(tmp_path):
    assert DIRECT.search('    send_mail("Hi", body, None, [patient.email])')
    assert DIRECT.search("    message = EmailMessage(subject=s, body=b, to=[to])")


@pytest.mark.django_db
def test_every_message_of_a_booking_s_life_goes_through_the_outbox_once(django_capture_on_commit_callbacks):
    """Confirmation and reminder, cancellation, waiting-list offer: none leaves from the change
    itself; each is a row of the outbox, sent once by the dispatcher and a worker, in the log."""
    import time_machine

    from booking.services import appointment_book, appointment_cancel, waitlist_join
    from clinic.models import DeliveryAttempt, MessageStatus, OutboxMessage
    from tests.booking.conftest import NOW
    from tests.booking.factories import Calendar, local
    from tests.factories import PatientFactory
    from tests.outbox import drain

    with time_machine.travel(NOW, tick=False) as clock:
        cal = Calendar()
        cal.clinicians[1].working_hours.all().delete()
        alice, bob = PatientFactory(), PatientFactory()
        day = date(2026, 3, 4)
        with django_capture_on_commit_callbacks(execute=True):
            visit = appointment_book(patient=alice, service=cal.consultation, start=local(day, "10:00"), by=alice.user)
            waitlist_join(patient=bob, service=cal.consultation, earliest=day, latest=day + timedelta(days=2), by=bob.user)
            appointment_cancel(appointment=visit, by=alice.user)
        assert mail.outbox == []  # nothing from the request or the service
        kinds = set(OutboxMessage.objects.values_list("kind", flat=True))
        assert {"booking.cancelled", "booking.waitlist_offer", "booking_confirmation", "appointment_reminder"} <= kinds
        clock.move_to(NOW + timedelta(minutes=5))
        sent = drain()
    rows = {m.pk: m for m in OutboxMessage.objects.all()}
    for message_id, status in sent.items():
        if status == MessageStatus.SENT:
            assert DeliveryAttempt.objects.filter(message_id=message_id, outcome="sent").count() == 1
    references = [m.extra_headers["X-Clinic-Message"] for m in mail.outbox]
    assert len(references) == len(set(references)) == sum(s == MessageStatus.SENT for s in sent.values())
    assert {rows[int(r.removeprefix("msg-"))].kind for r in references} == {"booking.cancelled", "booking.waitlist_offer"}
    # The cancelled visit's confirmation was withdrawn with it, never sent.
    assert OutboxMessage.objects.get(kind="booking_confirmation").status == MessageStatus.CANCELLED
