"""Demo intake data, called by clinic's seed_demo: a few patients have answered the questionnaire.

The first five are cleared for treatment; the sixth mentioned a blood thinner and waits in the
clinicians' review queue. Sent through the same services as a patient's own answers, two weeks ago.
Idempotent: a patient who has any screening is left alone.
"""

from datetime import timedelta

from django.utils import timezone

from clinic.models import Clinic, Patient

from . import services
from .models import ConsentText, Screening
from .steps import LAST_STEP

DEMO_DOMAIN = "demo.clinic"
NOTHING_TO_REPORT = {
    "height_cm": 168.0, "weight_kg": 64.0, "treatment_areas": ["legs"], "vein_types": ["spider"],
    "pregnant": "no", "recently_pregnant": "no", "breastfeeding": "no", "clot_history": "no",
    "clotting_disorder": "no", "thrombophlebitis_now": "no", "arterial_disease": "no", "heart_shunt": "no",
    "migraine_with_aura": "no", "blood_thinners": "no", "medications": "none", "hormone_therapy": "no",
    "allergies": "none", "had_sclerotherapy_before": "no", "diabetes": "no", "active_cancer": "no",
    "blood_disorder": "no", "serious_illness": "no", "mobility": "walks_normally",
    "recent_surgery_or_hospital_stay": "no", "skin_infection_in_area": "no", "fever_or_acute_illness": "no",
    "leg_ulcer": "no", "leg_pain_or_swelling": "no", "smoker": "no", "long_flight_planned": "no",
}
CLEARED = [f"patient{n:02d}@{DEMO_DOMAIN}" for n in range(1, 6)]
FOR_REVIEW = {f"patient06@{DEMO_DOMAIN}": {"blood_thinners": "yes"}}


def seed_demo(clinic: Clinic) -> None:
    sent_at = timezone.now() - timedelta(days=14)
    wanted = {email: {} for email in CLEARED} | FOR_REVIEW
    for patient in Patient.objects.filter(email__in=wanted).order_by("email"):
        if Screening.objects.filter(patient=patient).exists():
            continue
        answers = {**NOTHING_TO_REPORT, "date_of_birth": patient.date_of_birth.isoformat(), **wanted[patient.email]}
        services.draft_save(patient=patient, step=LAST_STEP - 1, answers=answers)
        services.screening_submit(patient=patient, typed_name=patient.full_name, consent_text=ConsentText.current(),
                                  now=sent_at)
