"""Intake rows for tests, built the way the services store them (answers and result as JSON)."""

from datetime import timedelta

import factory
from django.utils import timezone

from intake import rules
from intake.models import Consent, ConsentText, Screening, ScreeningStatus
from tests.factories import PatientFactory

# A complete questionnaire with nothing to report (as a patient would send it).
NOTHING_TO_REPORT = {"date_of_birth": "1985-06-15", **rules.NOTHING_TO_REPORT, "treatment_area_other": None}


def answers_with(**changes) -> dict:
    return {**NOTHING_TO_REPORT, **changes}


class ScreeningFactory(factory.django.DjangoModelFactory):
    """A submitted (current) screening; pass `answers=answers_with(...)` to set what was said."""

    class Meta:
        model = Screening

    class Params:
        validity_days = 180

    patient = factory.SubFactory(PatientFactory)
    status = ScreeningStatus.SUBMITTED
    answers = factory.LazyFunction(lambda: dict(NOTHING_TO_REPORT))
    submitted_at = factory.LazyFunction(timezone.now)
    current_step = 7

    @factory.lazy_attribute
    def result(self):
        screened_on = timezone.localdate(self.submitted_at)
        return rules.screen(rules.Answers.from_dict(self.answers), today=screened_on).to_dict()

    outcome = factory.LazyAttribute(lambda o: o.result["outcome"])
    ruleset_version = factory.LazyAttribute(lambda o: o.result["ruleset_version"])
    expires_at = factory.LazyAttribute(lambda o: o.submitted_at + timedelta(days=o.validity_days))


def sign_consent(patient, *, at=None) -> Consent:
    return Consent.objects.create(
        patient=patient, text=ConsentText.current(), typed_name=patient.full_name, signed_at=at or timezone.now()
    )
