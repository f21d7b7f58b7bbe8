"""Booking's messages (cancellation, waiting-list offer) and the calendar file (.ics) of a visit.

Both messages go through the clinic's outbox (clinic/outbox.py): booking's services ask for them
inside their transaction with ``outbox.enqueue("booking.cancelled", ...)``, and the renderers
below word them when a worker sends them, from the rows as they are then. A mail server that is
down never undoes a booking: the message waits, is retried and, failing that, shows on the
problems list. Confirmations of a new or moved visit are reminders like any other (aftercare),
with ``ics_attachment`` attached.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from email.utils import parseaddr

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from icalendar import Calendar, Event, vCalAddress, vText

from clinic import outbox
from clinic.models import Clinic

from .links import manage_url
from .models import Appointment, Status, WaitlistEntry, WaitlistStatus

PRODID = "-//Vein clinic//Booking//EN"
# Calendar UIDs are made from this, the visit's id and when it was created: the same visit keeps
# the same UID across moves and cancellation, whatever address the site is served on.
UID_NAMESPACE = uuid.UUID("5b0e4bb4-5d0c-4d36-9a8e-8f1f7c7b6a21")

CANCELLED = "booking.cancelled"
WAITLIST_OFFER = "booking.waitlist_offer"


def calendar_uid(appointment: Appointment) -> str:
    return f"{uuid.uuid5(UID_NAMESPACE, f'appointment:{appointment.pk}:{appointment.created_at.isoformat()}')}@vein-clinic"


def _organizer(clinic: Clinic | None) -> vCalAddress:
    """The clinic, always the same address for one visit's PUBLISH and CANCEL (iTIP needs one)."""
    address = clinic.email if clinic and clinic.email else parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = vText(clinic.name if clinic else "Clinic")
    return organizer


def ics_for(appointments: Iterable[Appointment], *, clinic: Clinic | None, cancel: bool = False, now=None) -> bytes:
    """A calendar with one event per appointment (CRLF line ends, UTF-8).

    The UID stays the same for the life of the visit and the SEQUENCE grows with every move (and
    once more for the cancellation), so calendar apps update the event instead of adding a second
    one. METHOD is PUBLISH for a booked visit, CANCEL for a cancelled one; both carry the clinic as
    ORGANIZER, and CANCEL names the patient as ATTENDEE, as iTIP (RFC 5546) asks.
    """
    now = now or timezone.now()
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancel else "PUBLISH")
    for a in appointments:
        event = Event()
        event.add("uid", calendar_uid(a))
        event.add("sequence", a.version + (1 if cancel else 0))
        event.add("dtstamp", now)
        event.add("dtstart", a.start)
        event.add("dtend", a.end)
        event.add("summary", f"{a.service.name} at {clinic.name}" if clinic else a.service.name)
        event.add("organizer", _organizer(clinic))
        if cancel:
            event.add("attendee", vCalAddress(f"mailto:{a.patient.email}"))
        if clinic:
            event.add("location", clinic.address.replace("\n", ", "))
        event.add("description", f"With {a.clinician}. Change or cancel: {manage_url(a)}")
        event.add("status", "CANCELLED" if cancel else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()


def ics_attachment(appointment: Appointment, *, clinic: Clinic | None, cancel: bool = False) -> tuple[str, bytes, str]:
    """(filename, content, mimetype) for an outbox message; the outbox names the charset."""
    method = "CANCEL" if cancel else "PUBLISH"
    return "appointment.ics", ics_for([appointment], clinic=clinic, cancel=cancel), f"text/calendar; method={method}"


def _body(template: str, context: dict, clinic: Clinic | None) -> str:
    with timezone.override(clinic.tzinfo if clinic else None):  # times as the clinic shows them
        return render_to_string(template, {**context, "clinic": clinic, "site_url": settings.SITE_URL})


def render_cancelled(request: outbox.Request) -> outbox.Rendered | None:
    a = (
        Appointment.objects.select_related("service", "clinician__staff__user", "patient")
        .filter(pk=request.object_id).first()
    )
    if a is None or a.status != Status.CANCELLED:
        raise outbox.Skip("the visit is no longer cancelled")
    if not a.patient.email:
        raise outbox.Skip("the patient has no e-mail address")
    clinic = Clinic.objects.current()
    body = _body("booking/emails/cancelled.txt", {
        "appointment": a, "patient": a.patient, "book_url": settings.SITE_URL + reverse("booking:start"),
    }, clinic)
    return outbox.Rendered(to=a.patient.email, subject=f"Cancelled: {a.service.name}", body=body,
                           attachments=(ics_attachment(a, clinic=clinic, cancel=True),))


def cancelled_still_due(kind: str):
    """A cancellation notice goes only while the visit is cancelled (checked by the database at hand-over)."""
    return Exists(Appointment.objects.filter(pk=OuterRef("about_id"), status=Status.CANCELLED))


def render_waitlist_offer(request: outbox.Request) -> outbox.Rendered | None:
    entry = WaitlistEntry.objects.select_related("patient", "service").filter(pk=request.object_id).first()
    if entry is None or entry.status != WaitlistStatus.WAITING:
        raise outbox.Skip("the patient is no longer on the waiting list")
    day = date.fromisoformat(request.params["day"])
    url = settings.SITE_URL + reverse("booking:service", args=[entry.service.slug]) + f"?day={day.isoformat()}"
    body = _body("booking/emails/waitlist_offer.txt", {"entry": entry, "day": day, "url": url, "patient": entry.patient},
                 Clinic.objects.current())
    return outbox.Rendered(to=entry.patient.email, subject=f"An earlier time is free: {entry.service.name}", body=body)


def register() -> None:
    outbox.register(CANCELLED, render_cancelled, label=_("Cancellation"), still_due=cancelled_still_due)
    outbox.register(WAITLIST_OFFER, render_waitlist_offer, label=_("Waiting list: a time is free"))
