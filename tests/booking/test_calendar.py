"""Calendar files read right in any calendar app: checked with an independent parser (vobject)."""

from datetime import date, timedelta
from email.utils import parseaddr

import pytest
import vobject
from django.core import mail

from booking.services import appointment_book, appointment_cancel, appointment_move
from clinic.models import Clinic
from tests.booking.factories import local
from tests.outbox import calendar_part, drain_at

pytestmark = pytest.mark.django_db

WED = date(2026, 3, 4)


def sent_calendars(at):
    before = len(mail.outbox)
    drain_at(at)
    return [m for m in mail.outbox[before:] if any(p.get_content_type() == "text/calendar" for p in m.message().walk())]


def parse(email):
    part = calendar_part(email)
    raw = part.get_payload(decode=True)
    return part, raw, vobject.readOne(raw.decode("utf-8"))


def test_book_move_cancel_keeps_the_uid_and_raises_the_sequence_whatever_the_site_address(
    cal, patient, front_desk, now, settings
):
    settings.SITE_URL = "http://127.0.0.1:8000"
    visit = appointment_book(patient=patient, service=cal.consultation, start=local(WED, "10:00"), by=front_desk)
    [booked] = sent_calendars(now + timedelta(minutes=5))
    settings.SITE_URL = "https://clinic.example.org"  # the site moved to its real address meanwhile
    visit = appointment_move(appointment=visit, start=local(WED, "11:00"), by=front_desk)
    [moved] = sent_calendars(now + timedelta(minutes=10))
    appointment_cancel(appointment=visit, by=front_desk)
    [cancelled] = sent_calendars(now + timedelta(minutes=15))

    uids, sequences, stamps = set(), [], []
    organizers = set()
    for email, method in ((booked, "PUBLISH"), (moved, "PUBLISH"), (cancelled, "CANCEL")):
        part, raw, cal_ = parse(email)
        # One charset on the part's Content-Type, and its method is the calendar's METHOD.
        assert part["Content-Type"].lower().count("charset") == 1
        assert part.get_param("method") == method and cal_.method.value == method
        # CRLF on the wire: every line ends with CRLF, and no bare LF is left.
        assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
        event = cal_.vevent
        uids.add(event.uid.value)
        sequences.append(int(event.sequence.value))
        stamps.append(event.dtstamp.value)
        assert event.dtstamp.value.tzinfo is not None and event.dtstamp.value.utcoffset() == timedelta(0)
        organizers.add(event.organizer.value)  # iTIP: the organizer sends PUBLISH and CANCEL alike
        if method == "CANCEL":
            assert event.status.value == "CANCELLED"
            assert event.attendee.value == f"mailto:{patient.email}"
    assert len(uids) == 1 and "127.0.0.1" not in uids.pop()
    assert sequences == sorted(set(sequences)) and sequences[0] < sequences[-1]  # rising: 0, 1, 2
    assert stamps == sorted(stamps)
    clinic = Clinic.objects.current()
    assert organizers == {f"mailto:{clinic.email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}"}
