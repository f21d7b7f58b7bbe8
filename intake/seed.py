"""Demo intake data, called by clinic's seed_demo: a few patients have answered the questionnaire.

The first five are cleared for treatment; the sixth mentioned a blood thinner and waits in the
clinicians' review queue. Sent through the same services as a patient's own answers, two weeks ago.
Idempotent: a patient who has any screening is left alone.
"""

from datetime import timedelta

from django.utils import timezone

from clinic.models import Clinic, Patient

from . import rules, services
from .models import ConsentText, Screening
from .steps import LAST_STEP

DEMO_DOMAIN = "demo.clinic"
CLEARED = [f"patient{n:02d}@{DEMO_DOMAIN}" for n in range(1, 6)]
FOR_REVIEW = {f"patient06@{DEMO_DOMAIN}": {"blood_thinners": "yes"}}


def seed_demo(clinic: Clinic) -> None:
    sent_at = timezone.now() - timedelta(days=14)
    wanted = {email: {} for email in CLEARED} | FOR_REVIEW
    for patient in Patient.objects.filter(email__in=wanted).order_by("email"):
        if Screening.objects.filter(patient=patient).exists():
            continue
        answers = {**rules.NOTHING_TO_REPORT, "date_of_birth": patient.date_of_birth.isoformat(), **wanted[patient.email]}
        services.draft_save(patient=patient, step=LAST_STEP - 1, answers=answers)
        services.screening_submit(patient=patient, typed_name=patient.full_name, consent_text=ConsentText.current(),
                                  now=sent_at)
