"""May this patient be booked for a treatment session at this time? The pure decision.

No Django here: ``intake.eligibility`` loads the rows, turns them into ``PatientFacts`` and asks
``decide()``. The same facts give the screening's *status* (``status()``), which front desk and the
patient's home page show. Time is always passed in.

Order of the checks, first refusal wins (docs/screening.md, "Booking clearance"):

1. no screening needed for the service               -> not_needed (allowed)
2. no submitted screening                             -> draft_only / no_screening
3. a clinician's latest decision: not suitable        -> not_eligible
                                  ask for information -> info_requested
                                  clear               -> go on to 5 (a clinician's clear lifts
                                                         review and not-eligible flags, never a
                                                         postponement)
4. no decision: outcome not_eligible / review         -> not_eligible / review_pending
5. a postponement: open-ended, or a date after the session's day -> postponed
6. expired now, or expiring before the session starts -> expired
7. no signed consent (current text version)           -> consent_missing
8. session within the re-confirmation window and no re-confirmation (or fresh screening) within
   that many days before it                           -> reconfirm_needed
9. otherwise                                          -> cleared (allowed)
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum


class Code(StrEnum):
    CLEARED = "cleared"
    NOT_NEEDED = "not_needed"
    NO_SCREENING = "no_screening"
    DRAFT_ONLY = "draft_only"
    REVIEW_PENDING = "review_pending"
    INFO_REQUESTED = "info_requested"
    NOT_ELIGIBLE = "not_eligible"
    POSTPONED = "postponed"
    EXPIRED = "expired"
    RECONFIRM_NEEDED = "reconfirm_needed"
    CONSENT_MISSING = "consent_missing"


class Action(StrEnum):
    """Where the patient goes next; the Django side turns it into a URL."""

    QUESTIONNAIRE = "questionnaire"  # start or continue the questionnaire
    UPDATE = "update"  # start a new draft from the last answers
    RESULT = "result"  # read what the screening found
    CONSENT = "consent"
    RECONFIRM = "reconfirm"


# What front desk sees: the status, never the reason behind it.
STAFF_LABELS = {
    Code.CLEARED: "Cleared",
    Code.NOT_NEEDED: "Not needed",
    Code.NO_SCREENING: "No intake yet",
    Code.DRAFT_ONLY: "Intake started, not sent",
    Code.REVIEW_PENDING: "Awaiting clinician review",
    Code.INFO_REQUESTED: "Waiting for the patient (information requested)",
    Code.NOT_ELIGIBLE: "Not suitable for treatment",
    Code.POSTPONED: "Postponed",
    Code.EXPIRED: "Expired",
    Code.RECONFIRM_NEEDED: "Re-confirmation needed",
    Code.CONSENT_MISSING: "Consent not signed",
}


@dataclass(frozen=True)
class ScreeningFacts:
    """What the decision needs from the current (submitted) screening."""

    outcome: str  # rules.Outcome value, as stored
    decision: str  # "" (none), "clear", "not_suitable", "request_info"
    submitted_at: datetime
    expires_at: datetime
    postpone_until: date | None = None
    postpone_open_ended: bool = False


@dataclass(frozen=True)
class PatientFacts:
    screening: ScreeningFacts | None
    has_draft: bool = False
    consent_signed: bool = False
    # The latest moment the patient told us their answers stand: a re-confirmation, or the
    # submission of the current screening (a fresh screening is as good as a re-confirmation).
    last_confirmed_at: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    code: Code
    message: str
    action: Action | None = None

    @property
    def staff_label(self) -> str:
        return STAFF_LABELS[self.code]


def long_date(day: date) -> str:
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def _local_day(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def _standing(facts: PatientFacts, *, now: datetime, tz: tzinfo, review_days: int) -> Verdict | None:
    """Steps 2-4 and the 'now' part of 5-6: a refusal that holds whatever the session time."""
    s = facts.screening
    if s is None:
        if facts.has_draft:
            return Verdict(False, Code.DRAFT_ONLY,
                           "You started our health questions but haven't sent them yet. Please finish "
                           "them, and then you can book.", Action.QUESTIONNAIRE)
        return Verdict(False, Code.NO_SCREENING,
                       "Before we can book a treatment session, please answer our health questions. "
                       "It takes about ten minutes.", Action.QUESTIONNAIRE)
    if s.decision == "not_suitable" or (not s.decision and s.outcome == "not_eligible"):
        return Verdict(False, Code.NOT_ELIGIBLE,
                       "From your answers, this treatment isn't right for you at our clinic. Your "
                       "results page explains why and what to do instead.", Action.RESULT)
    if s.decision == "request_info":
        return Verdict(False, Code.INFO_REQUESTED,
                       "A clinician needs a little more information from you. Please read their note "
                       "and update your answers.", Action.RESULT)
    if not s.decision and s.outcome == "review":
        return Verdict(False, Code.REVIEW_PENDING,
                       f"A clinician is looking at your answers, usually within {review_days} working "
                       "days, and we'll e-mail you when they have. You can book a consultation "
                       "meanwhile.", Action.RESULT)
    if s.postpone_open_ended:
        return Verdict(False, Code.POSTPONED,
                       "We need to wait a little before treating you. Please update your answers once "
                       "things have changed (your results page says what we're waiting for).",
                       Action.RESULT)
    if now >= s.expires_at:
        return Verdict(False, Code.EXPIRED,
                       f"Your health answers ran out on {long_date(_local_day(s.expires_at, tz))}. "
                       "Please check and renew them; it only takes a few minutes.", Action.UPDATE)
    return None


def status(facts: PatientFacts, *, now: datetime, tz: tzinfo, review_days: int = 2) -> Verdict:
    """The screening's status today, whatever the session (for the desk and the patient's home)."""
    refusal = _standing(facts, now=now, tz=tz, review_days=review_days)
    if refusal is not None:
        return refusal
    s = facts.screening
    assert s is not None
    if s.postpone_until is not None and _local_day(now, tz) < s.postpone_until:
        return Verdict(False, Code.POSTPONED,
                       f"Treatment sessions can be booked from {long_date(s.postpone_until)}.",
                       Action.RESULT)
    if not facts.consent_signed:
        return _consent_missing()
    return Verdict(True, Code.CLEARED,
                   "You're cleared for treatment. Your answers are valid until "
                   f"{long_date(_local_day(s.expires_at, tz))}.")


def _consent_missing() -> Verdict:
    return Verdict(False, Code.CONSENT_MISSING,
                   "Please read and sign the treatment consent form, and then you can book.",
                   Action.CONSENT)


def decide(
    facts: PatientFacts,
    *,
    needs_screening: bool,
    starts_at: datetime,
    now: datetime,
    tz: tzinfo,
    reconfirm_days: int = 7,
    review_days: int = 2,
) -> Verdict:
    """May a session starting at `starts_at` be booked now? (Aware datetimes; `tz` is the clinic's.)"""
    if not needs_screening:
        return Verdict(True, Code.NOT_NEEDED, "No health check is needed for this visit.")
    refusal = _standing(facts, now=now, tz=tz, review_days=review_days)
    if refusal is not None:
        return refusal
    s = facts.screening
    assert s is not None
    session_day = _local_day(starts_at, tz)
    if s.postpone_until is not None and session_day < s.postpone_until:
        return Verdict(False, Code.POSTPONED,
                       f"We need to wait a little before treating you: please choose a session on or "
                       f"after {long_date(s.postpone_until)}.", Action.RESULT)
    if starts_at >= s.expires_at:
        renew_by = long_date(_local_day(s.expires_at, tz))
        return Verdict(False, Code.EXPIRED,
                       f"Your health answers need renewing before {renew_by}, which is before this "
                       "session. Please renew them, then book; it only takes a few minutes.",
                       Action.UPDATE)
    if not facts.consent_signed:
        return _consent_missing()
    window = timedelta(days=reconfirm_days)
    if starts_at - now <= window:
        confirmed = facts.last_confirmed_at
        if confirmed is None or not (starts_at - window <= confirmed <= max(now, starts_at)):
            return Verdict(False, Code.RECONFIRM_NEEDED,
                           "Your session is coming up soon. Please tell us whether anything has "
                           "changed with your health: five quick questions.", Action.RECONFIRM)
    return Verdict(True, Code.CLEARED, "You're cleared for this treatment session.")


# --- A long flight soon after a session ---------------------------------------------------------


@dataclass(frozen=True)
class FlightWarning:
    """A session that falls within the no-flying days before a flight the patient told us about."""

    flight_on: date
    avoid_from: date  # sessions from this day to the flight day are too close to it
    session_day: date | None = None

    @property
    def no_flying_days(self) -> int:
        return (self.flight_on - self.avoid_from).days

    @property
    def days_before_flight(self) -> int | None:
        return None if self.session_day is None else (self.flight_on - self.session_day).days


def flight_plan(details: dict, *, today: date) -> FlightWarning | None:
    """The dates to avoid, from a stored ``travel.long_flight`` flag's details; None once the
    flight is past or when no date was given."""
    try:
        flight_on = date.fromisoformat(details["flight_on"])
        avoid_from = date.fromisoformat(details["avoid_sessions_from"])
    except (KeyError, TypeError, ValueError):
        return None
    if flight_on < today:
        return None
    return FlightWarning(flight_on=flight_on, avoid_from=avoid_from)


def flight_warning(details: dict, *, session_day: date, today: date) -> FlightWarning | None:
    """The warning for a session on `session_day`: only when it falls in the window before the
    flight (the flight advice applies to those sessions only)."""
    plan = flight_plan(details, today=today)
    if plan is None or not plan.avoid_from <= session_day <= plan.flight_on:
        return None
    return FlightWarning(flight_on=plan.flight_on, avoid_from=plan.avoid_from, session_day=session_day)
