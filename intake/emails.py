"""Intake's message: "your answers were reviewed", through the clinic's outbox.

Never any health detail or decision in it: e-mail is not a safe place for that; the patient reads
the outcome after logging in.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy as _

from clinic import outbox
from clinic.models import Clinic, Patient

REVIEWED = "intake.reviewed"


def render_reviewed(request: outbox.Request) -> outbox.Rendered | None:
    patient = Patient.objects.filter(pk=request.patient_id).first()
    if patient is None or not patient.email:
        raise outbox.Skip("the patient has no e-mail address")
    context = {"patient": patient, "clinic": Clinic.objects.current(), "url": f"{settings.SITE_URL}{reverse('intake:result')}"}
    return outbox.Rendered(to=patient.email, subject=gettext("Your answers have been reviewed"),
                           body=render_to_string("emails/intake_reviewed.txt", context))


def register() -> None:
    outbox.register(REVIEWED, render_reviewed, label=_("Answers reviewed"))
