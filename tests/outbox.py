"""What the beat's dispatcher and a worker do, run in the test's own process."""

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
