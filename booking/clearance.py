"""The one question booking asks intake: may this patient be booked for this service now?

Intake answers through ``intake.eligibility.booking_clearance`` (its public contract). Booking
calls it server-side inside every booking and move transaction, whoever books, and shows its
message and ``action_url`` (questionnaire, consent, re-confirmation...) to the patient.

It also asks about the patient's long flight (``flight_notice_for``): a session in the days before
a flight the patient told us about is flagged, never refused; templates show it with
``{% include "intake/_flight_notice.html" %}``.
"""

from __future__ import annotations

from datetime import datetime

from intake.eligibility import BookingClearance, booking_clearance, flight_notice, flight_plan

__all__ = ["BookingClearance", "clearance_for", "flight_notice_for", "flight_plan_for"]


def clearance_for(patient, *, needs_screening: bool, starts_at: datetime, now: datetime) -> BookingClearance:
    return booking_clearance(patient, needs_screening=needs_screening, starts_at=starts_at, now=now)


def flight_notice_for(patient, *, starts_at: datetime):
    """A warning for a session within the no-flying days before the patient's flight, else None."""
    return flight_notice(patient, starts_at=starts_at)


def flight_plan_for(patient):
    """The patient's coming flight and the first day too close to it, for the slot page, or None."""
    return flight_plan(patient)
