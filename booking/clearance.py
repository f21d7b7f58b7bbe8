"""The one question booking asks intake: may this patient be booked for this service now?

Intake answers through ``intake.eligibility.booking_clearance`` (its public contract). Booking
calls it server-side inside every booking and move transaction, whoever books, and shows its
message and ``action_url`` (questionnaire, consent, re-confirmation...) to the patient.
"""

from __future__ import annotations

from datetime import datetime

from intake.eligibility import BookingClearance, booking_clearance

__all__ = ["BookingClearance", "clearance_for"]


def clearance_for(patient, *, needs_screening: bool, starts_at: datetime, now: datetime) -> BookingClearance:
    return booking_clearance(patient, needs_screening=needs_screening, starts_at=starts_at, now=now)
