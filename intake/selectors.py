"""Reads for the intake pages and for booking. Nothing here writes."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, Max, OuterRef, QuerySet, Subquery


from django.db.models import Count, IntegerField, Max, Min, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from clinic.models import Clinic, Patient

from . import clearance
from .models import (
    DEFAULT_RECONFIRM_DAYS,
    Consent,
    ConsentText,
    Decision,
    IntakeSettings,
    Reconfirmation,
    Screening,
    ScreeningStatus,
)


def current_screening(patient: Patient) -> Screening | None:
    """The patient's standing (submitted, not superseded) screening, if any."""
    return Screening.objects.filter(patient=patient, status=ScreeningStatus.SUBMITTED).first()


def draft_for(patient: Patient) -> Screening | None:
    return Screening.objects.filter(patient=patient, status=ScreeningStatus.DRAFT).first()


def latest_decision(screening: Screening):
    return screening.decisions.select_related("clinician").first()


def has_current_consent(patient: Patient) -> bool:
    text = ConsentText.current()
    return text is not None and Consent.objects.filter(patient=patient, text=text).exists()


def screening_facts(screening: Screening) -> clearance.ScreeningFacts:
    result = screening.screening_result
    return clearance.ScreeningFacts(
        outcome=screening.outcome,
        decision=screening.decision,
        submitted_at=screening.submitted_at,
        expires_at=screening.expires_at,
        postpone_until=result.postpone_until if result else None,
        postpone_open_ended=result.postpone_open_ended if result else False,
    )


def patient_facts(patient: Patient) -> clearance.PatientFacts:
    current = current_screening(patient)
    if current is None:
        return clearance.PatientFacts(
            screening=None, has_draft=draft_for(patient) is not None, consent_signed=has_current_consent(patient)
        )
    confirmed: list[datetime] = [current.submitted_at]
    last_reconfirmed = Reconfirmation.objects.filter(patient=patient).aggregate(at=Max("at"))["at"]
    if last_reconfirmed is not None:
        confirmed.append(last_reconfirmed)
    return clearance.PatientFacts(
        screening=screening_facts(current),
        has_draft=draft_for(patient) is not None,
        consent_signed=has_current_consent(patient),
        last_confirmed_at=max(confirmed),
    )


def screening_status(patient: Patient, *, now: datetime | None = None) -> clearance.Verdict:
    """The patient's screening status today (front desk sees its label; the patient its message)."""
    from django.utils import timezone

    from clinic.models import Clinic

    settings = IntakeSettings.for_clinic()
    return clearance.status(
        patient_facts(patient),
        now=now or timezone.now(),
        tz=Clinic.objects.current_time_zone(),
        review_days=settings.review_working_days,
    )


def review_queue() -> QuerySet[Screening]:
    """Current screenings waiting for a clinician: outcome "review", no decision yet; oldest first."""
    return (
        Screening.objects.filter(status=ScreeningStatus.SUBMITTED, decision="", outcome="review")
        .select_related("patient")
        .order_by("submitted_at", "pk")
    )


def review_queue_summary() -> dict:
    """{"count": screenings waiting for a clinician, "oldest": when the longest-waiting was sent}."""
    return review_queue().order_by().aggregate(count=Count("pk"), oldest=Min("submitted_at"))


def other_flagged() -> QuerySet[Screening]:
    """Current screenings the rules held back without asking for review (not eligible, postponed):
    a clinician may still want to look, e.g. a clot long ago. Oldest first."""
    return (
        Screening.objects.filter(status=ScreeningStatus.SUBMITTED, decision="", outcome__in=["not_eligible", "postpone"])
        .select_related("patient")
        .order_by("submitted_at", "pk")
    )


def awaiting_patient() -> QuerySet[Screening]:
    return (
        Screening.objects.filter(status=ScreeningStatus.SUBMITTED, decision=Decision.REQUEST_INFO)
        .select_related("patient")
        .order_by("submitted_at", "pk")
    )


# Flag codes of a screening that name an allergy to a sclerosant, and what each means to the
# treatment record: the sclerosant it rules out, or a doubt a clinician must clear on the day.
SCLEROSANT_ALLERGY_FLAGS = {
    "allergies.polidocanol": "polidocanol",
    "allergies.sodium_tetradecyl_sulfate": "sodium_tetradecyl_sulfate",
    "allergies.sclerosant_unspecified": "unspecified",
    "allergies.unrecognised": "unrecognised",
}


def sclerosant_allergies(patient: Patient) -> frozenset[str]:
    """Sclerosant allergies on the patient's current screening, from its stored flag codes:
    "polidocanol", "sodium_tetradecyl_sulfate", and "unspecified" (a vein treatment not named) or
    "unrecognised" (allergy text the rules could not read). Empty without a current screening."""
    current = current_screening(patient)
    if current is None or not current.result:
        return frozenset()
    codes = {flag.get("code") for flag in current.result.get("flags", [])}
    return frozenset(meaning for code, meaning in SCLEROSANT_ALLERGY_FLAGS.items() if code in codes)


@dataclass(frozen=True)
class ChartScreening:
    """What the patient's chart shows staff: the status label, the current screening (its flags
    are health data: the template shows them only to those who may read health answers), and the
    history with the rules version each was screened under."""

    verdict: clearance.Verdict
    current: Screening | None
    history: list[Screening]  # sent screenings, newest first
    has_draft: bool


def chart_screening(patient: Patient, *, now: datetime) -> ChartScreening:
    """One query whatever the history: every screening of the patient, each carrying the two
    facts the status needs (latest re-confirmation, consent to the current text)."""
    current_text = ConsentText.objects.filter(published_at__lte=now).order_by("-published_at", "-pk").values("pk")[:1]
    rows = list(
        Screening.objects.filter(patient=patient)
        .annotate(
            last_reconfirmed=Subquery(
                Reconfirmation.objects.filter(patient=OuterRef("patient")).order_by("-at").values("at")[:1]
            ),
            consent_signed=Exists(Consent.objects.filter(patient=OuterRef("patient"), text_id=Subquery(current_text))),
        )
        .order_by("-submitted_at", "-created_at")
    )
    current = next((s for s in rows if s.status == ScreeningStatus.SUBMITTED), None)
    has_draft = any(s.status == ScreeningStatus.DRAFT for s in rows)
    if current is None:
        facts = clearance.PatientFacts(screening=None, has_draft=has_draft)
    else:
        confirmed = [current.submitted_at] + ([current.last_reconfirmed] if current.last_reconfirmed else [])
        facts = clearance.PatientFacts(
            screening=screening_facts(current), has_draft=has_draft, consent_signed=current.consent_signed,
            last_confirmed_at=max(confirmed),
        )
    verdict = clearance.status(facts, now=now, tz=Clinic.objects.current_time_zone())
    return ChartScreening(verdict, current, [s for s in rows if s.status != ScreeningStatus.DRAFT], has_draft)


def confirmation_annotations(patient_field: str = "patient") -> dict:
    """Annotations for a queryset of rows that point at a patient: when that patient last told us
    their answers stand (``last_reconfirmed``: an "anything changed?" form; ``last_screened``: the
    current screening, which counts as one) and the clinic's ``reconfirm_days``. Subqueries, so a
    list of sessions learns all of it in its own single query (booking's worklist)."""
    patient = OuterRef(patient_field)
    return {
        "last_reconfirmed": Subquery(Reconfirmation.objects.filter(patient=patient).order_by("-at").values("at")[:1]),
        "last_screened": Subquery(
            Screening.objects.filter(patient=patient, status=ScreeningStatus.SUBMITTED)
            .order_by("-submitted_at").values("submitted_at")[:1]
        ),
        "reconfirm_days": Coalesce(
            Subquery(IntakeSettings.objects.order_by("clinic_id").values("reconfirm_days")[:1]),
            Value(DEFAULT_RECONFIRM_DAYS),
            output_field=IntegerField(),
        ),
    }
