"""The one question booking asks intake: may this patient be booked for this session?

    from intake.eligibility import booking_clearance
    clearance = booking_clearance(patient, needs_screening=service.needs_screening, starts_at=slot.start)
    if not clearance.allowed:
        show(clearance.message, link=clearance.action_url)

The decision itself is pure (``intake.clearance.decide``, with its order of checks); this module
only loads the rows. docs/screening.md, "Booking clearance", lists every code.
"""

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from clinic.models import Clinic, Patient

from . import clearance, selectors
from .models import IntakeSettings

__all__ = ["BookingClearance", "booking_clearance", "flight_notice", "flight_plan"]

_ACTION_URLS = {
    clearance.Action.QUESTIONNAIRE: "intake:questionnaire",
    clearance.Action.UPDATE: "intake:update",
    clearance.Action.RESULT: "intake:result",
    clearance.Action.CONSENT: "intake:consent",
    clearance.Action.RECONFIRM: "intake:reconfirm",
}


@dataclass(frozen=True)
class BookingClearance:
    allowed: bool
    code: str  # "cleared", "not_needed", "no_screening", "draft_only", "review_pending", "info_requested",
    #            "not_eligible", "postponed", "expired", "reconfirm_needed", "consent_missing"
    message: str  # patient-facing, plain words, says what to do next
    action_url: str | None = None  # where the patient should go next, or None


def action_url(action: clearance.Action | None) -> str | None:
    return reverse(_ACTION_URLS[action]) if action is not None else None


def booking_clearance(
    patient: Patient, *, needs_screening: bool, starts_at: datetime, now: datetime | None = None
) -> BookingClearance:
    """Whether `patient` may be booked for a session starting at `starts_at` (aware datetime).

    Read-only and cheap (a handful of indexed queries). Booking should call it when showing the
    patient their choices and again inside its booking transaction.
    """
    if timezone.is_naive(starts_at):
        raise ValueError("starts_at must be an aware datetime")
    now = now or timezone.now()
    if not needs_screening:
        verdict = clearance.decide(
            clearance.PatientFacts(screening=None), needs_screening=False, starts_at=starts_at, now=now,
            tz=timezone.get_current_timezone(),
        )
    else:
        settings = IntakeSettings.for_clinic()
        verdict = clearance.decide(
            selectors.patient_facts(patient),
            needs_screening=True,
            starts_at=starts_at,
            now=now,
            tz=Clinic.objects.current_time_zone(),
            reconfirm_days=settings.reconfirm_days,
            review_days=settings.review_working_days,
        )
    return BookingClearance(
        allowed=verdict.allowed, code=verdict.code.value, message=verdict.message, action_url=action_url(verdict.action)
    )


def _long_flight_details(patient: Patient) -> dict | None:
    """The dates of the long flight in the patient's current screening, as stored (never re-run)."""
    current = selectors.current_screening(patient)
    result = current.screening_result if current is not None else None
    found = result.flag("travel.long_flight") if result is not None else None
    return found.details if found is not None else None


def flight_plan(patient: Patient, *, now: datetime | None = None) -> clearance.FlightWarning | None:
    """The flight the patient told us about and the session days to avoid before it, if any."""
    details = _long_flight_details(patient)
    tz = Clinic.objects.current_time_zone()
    today = timezone.localtime(now or timezone.now(), tz).date()
    return clearance.flight_plan(details, today=today) if details else None


def flight_notice(patient: Patient, *, starts_at: datetime, now: datetime | None = None) -> clearance.FlightWarning | None:
    """A warning when a session starting at `starts_at` falls in the days before the patient's
    flight ("you told us you fly on ..."); None for every other session."""
    details = _long_flight_details(patient)
    if not details:
        return None
    tz = Clinic.objects.current_time_zone()
    return clearance.flight_warning(
        details,
        session_day=timezone.localtime(starts_at, tz).date(),
        today=timezone.localtime(now or timezone.now(), tz).date(),
    )
