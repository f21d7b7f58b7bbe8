"""The one question booking asks intake: may this patient be booked for this service now?

Intake answers through ``intake.eligibility.booking_clearance`` (its public contract). Booking
calls it server-side for every booking and move, whoever books, and shows its message and
``action_url`` to the patient. Should the intake app be missing that function, services that need
a screening are refused (fail closed); the rest are allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Clearance:
    allowed: bool
    code: str
    message: str
    action_url: str | None = None


def clearance_for(patient, *, needs_screening: bool, starts_at: datetime, now: datetime) -> Clearance:
    try:
        from intake.eligibility import booking_clearance
    except ImportError:
        if not needs_screening:
            return Clearance(True, "not_needed", "")
        return Clearance(
            False,
            "no_screening",
            "Treatment sessions can be booked once your health questionnaire is cleared. "
            "Please book a consultation first.",
            None,
        )
    answer = booking_clearance(patient, needs_screening=needs_screening, starts_at=starts_at, now=now)
    return Clearance(bool(answer.allowed), answer.code, answer.message, answer.action_url)
