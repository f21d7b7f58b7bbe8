"""Signed links to manage one appointment without logging in (e-mails carry them).

The token is ``django.core.signing`` over the appointment id and its patient id, so it cannot be
forged or pointed at someone else's booking without SECRET_KEY. It expires when the appointment
ends: the end is read from the database, so a moved appointment's link follows it.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.urls import reverse

from .models import Appointment

SALT = "booking.links.manage"


class LinkExpired(Exception):
    def __init__(self, appointment: Appointment):
        super().__init__("This link has expired.")
        self.appointment = appointment


def manage_token(appointment: Appointment) -> str:
    return signing.dumps({"a": appointment.pk, "p": appointment.patient_id}, salt=SALT, compress=True)


def manage_path(appointment: Appointment) -> str:
    return reverse("booking:link_manage", args=[manage_token(appointment)])


def manage_url(appointment: Appointment) -> str:
    return f"{settings.SITE_URL}{manage_path(appointment)}"


def appointment_from_token(token: str, *, now: datetime) -> Appointment:
    """The appointment a token names. 404 for anything tampered with; LinkExpired after it ended."""
    try:
        data = signing.loads(token, salt=SALT)
        pk, patient_id = int(data["a"]), int(data["p"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Http404("Unknown link") from None
    appointment = (
        Appointment.objects.select_related("service", "clinician__staff__user", "room", "patient", "course")
        .filter(pk=pk, patient_id=patient_id)
        .first()
    )
    if appointment is None:
        raise Http404("Unknown link")
    if now >= appointment.end:
        raise LinkExpired(appointment)
    return appointment
