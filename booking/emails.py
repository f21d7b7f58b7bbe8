"""Booking e-mails (cancellation, waitlist offer) and the calendar file (.ics) of a visit.

Confirmations of a new or moved visit are reminders like any other: aftercare's outbox sends them,
once, after a short grace period, with `ics_for` attached.

Sent after the booking transaction commits (``transaction.on_commit``), reading the rows afresh
by id. A mail server that is down never undoes a booking: the failure is logged and the patient
still has the confirmation page and the "My appointments" list.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

from clinic.models import Clinic

from .links import manage_url
from .models import Appointment, WaitlistEntry

log = logging.getLogger(__name__)

PRODID = "-//Vein clinic//Booking//EN"


def ics_for(appointments: Iterable[Appointment], *, clinic: Clinic | None, cancel: bool = False) -> bytes:
    """A calendar with one event per appointment. The UID stays the same across moves and the
    SEQUENCE grows, so calendar apps update the event instead of adding a second one."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancel else "PUBLISH")
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "clinic"
    for a in appointments:
        event = Event()
        event.add("uid", f"appointment-{a.pk}@{host}")
        event.add("sequence", a.version + (1 if cancel else 0))
        event.add("dtstamp", a.updated_at)
        event.add("dtstart", a.start)
        event.add("dtend", a.end)
        event.add("summary", f"{a.service.name} at {clinic.name}" if clinic else a.service.name)
        if clinic:
            event.add("location", clinic.address.replace("\n", ", "))
            if clinic.email:
                event.add("organizer", vCalAddress(f"mailto:{clinic.email}"))
        event.add("description", f"With {a.clinician}. Change or cancel: {manage_url(a)}")
        event.add("status", "CANCELLED" if cancel else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()


def _send(*, subject: str, template: str, to: str, context: dict, ics: bytes | None = None, cancel: bool = False) -> None:
    clinic = Clinic.objects.current()
    with timezone.override(clinic.tzinfo if clinic else None):  # times as the clinic shows them
        body = render_to_string(template, {**context, "clinic": clinic, "site_url": settings.SITE_URL})
    message = EmailMessage(subject=subject, body=body, to=[to])
    if ics is not None:
        method = "CANCEL" if cancel else "PUBLISH"
        message.attach("appointment.ics", ics.decode(), f"text/calendar; method={method}; charset=utf-8")
    try:
        message.send()
    except Exception:  # the booking stands; a lost confirmation must not turn into an error page
        log.exception("booking e-mail %s to patient could not be sent", template)


def _load(ids: Iterable[int]) -> list[Appointment]:
    return list(
        Appointment.objects.filter(pk__in=list(ids))
        .select_related("service", "clinician__staff__user", "room", "patient", "course")
        .order_by("start")
    )


def send_cancelled(appointment_id: int) -> None:
    appointments = _load([appointment_id])
    if not appointments:
        return
    a = appointments[0]
    _send(
        subject=f"Cancelled: {a.service.name}",
        template="booking/emails/cancelled.txt",
        to=a.patient.email,
        context={"appointment": a, "patient": a.patient, "book_url": settings.SITE_URL + reverse("booking:start")},
        ics=ics_for([a], clinic=Clinic.objects.current(), cancel=True),
        cancel=True,
    )


def send_waitlist_offer(entry_id: int, day) -> None:
    entry = WaitlistEntry.objects.select_related("patient", "service").filter(pk=entry_id).first()
    if entry is None:
        return
    url = settings.SITE_URL + reverse("booking:service", args=[entry.service.slug]) + f"?day={day.isoformat()}"
    _send(
        subject=f"An earlier time is free: {entry.service.name}",
        template="booking/emails/waitlist_offer.txt",
        to=entry.patient.email,
        context={"entry": entry, "day": day, "url": url, "patient": entry.patient},
    )
