"""Intake state changes. Each is one transaction, keyword-only, and returns the object or raises
IntakeError with a message fit to show the person who asked.

Audit: every submission, decision, signature, re-confirmation and every view of health answers
writes a ``clinic.AuditEvent`` in the same transaction. Audit details hold ids and codes only.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinic import audit, outbox
from clinic.models import Clinic, Patient

from . import emails, rules
from .models import (
    Consent,
    ConsentText,
    Decision,
    IntakeSettings,
    Reconfirmation,
    Screening,
    ScreeningDecision,
    ScreeningStatus,
    Source,
    expiry_for,
)
from .steps import LAST_STEP


class IntakeError(Exception):
    """A refusal with a message fit to show the person who asked."""


ERRORS = {
    "bad_answers": "Some answers could not be saved. Please check this step and try again.",
    "no_draft": "There are no unsent answers to send. Please start the questionnaire.",
    "incomplete": "Please answer every step before sending your answers.",
    "no_current": "We have no health answers from you yet. Please fill in the questionnaire first.",
    "signature": "Please type your full name exactly as we have it: {name}.",
    "no_consent_text": "The consent form is not available right now. Please call the clinic.",
    "not_decidable": "This screening has been replaced by a newer one; please open the newer one.",
    "note_required": "Please write a note explaining the decision.",
    "message_required": "Please tell the patient what information you need.",
    "not_clinician": "Only a clinician can decide on a screening.",
}


def _today(now: datetime):
    return timezone.localdate(now, timezone=Clinic.objects.current_time_zone())


def _validated(answers: dict[str, Any]) -> dict[str, Any]:
    """Answers as stored: checked against the engine's schema, JSON-safe."""
    try:
        return rules.Answers.from_dict(answers).to_dict()
    except ValueError:
        raise IntakeError(ERRORS["bad_answers"]) from None


def _lock_patient(patient: Patient) -> Patient:
    # Serialises one patient's intake writes (two tabs, a double tap on "Send"); SQLite runs
    # write transactions one at a time anyway.
    return Patient.objects.select_for_update().get(pk=patient.pk)


@transaction.atomic
def draft_save(*, patient: Patient, step: int, answers: dict[str, Any], step_done: bool = True) -> Screening:
    """Merge one step's answers into the patient's draft (created on the first step saved).

    ``step_done=False`` keeps part of a step (the patient went back before finishing it): the
    answers are kept, but the patient has not reached the next step yet.
    """
    if not 1 <= step < LAST_STEP:
        raise IntakeError(ERRORS["bad_answers"])
    _lock_patient(patient)
    draft = Screening.objects.filter(patient=patient, status=ScreeningStatus.DRAFT).first()
    if draft is None:
        draft = Screening.objects.create(patient=patient)
        audit.record(actor=patient.user, action="intake.draft.started", patient=patient, obj=draft)
    stored = {k: v for k, v in _validated({**draft.answers, **answers}).items() if v is not None}
    draft.answers = stored
    if step_done:
        draft.current_step = max(draft.current_step, step + 1)
    draft.save(update_fields=["answers", "current_step", "updated_at"])
    return draft


@transaction.atomic
def screening_start_update(*, patient: Patient) -> Screening:
    """Start a new draft from the current screening's answers ("update my answers").

    An open draft is kept as it is: the patient goes on where they left off.
    """
    _lock_patient(patient)
    draft = Screening.objects.filter(patient=patient, status=ScreeningStatus.DRAFT).first()
    if draft is not None:
        return draft
    current = Screening.objects.filter(patient=patient, status=ScreeningStatus.SUBMITTED).first()
    if current is None:
        raise IntakeError(ERRORS["no_current"])
    draft = Screening.objects.create(patient=patient, answers=dict(current.answers), previous=current)
    audit.record(actor=patient.user, action="intake.draft.started", patient=patient, obj=draft,
                 details={"from_screening": current.pk})
    return draft


def names_match(typed: str, full_name: str) -> bool:
    """A typed signature matches the name on file: case-insensitive, spaces normalised."""
    return " ".join(typed.split()).casefold() == " ".join(full_name.split()).casefold() != ""


@transaction.atomic
def consent_sign(
    *, patient: Patient, typed_name: str, text: ConsentText | None, screening: Screening | None = None,
    now: datetime | None = None,
) -> Consent:
    if text is None:
        raise IntakeError(ERRORS["no_consent_text"])
    if not names_match(typed_name, patient.full_name):
        raise IntakeError(ERRORS["signature"].format(name=patient.full_name))
    consent = Consent.objects.create(
        patient=patient, text=text, screening=screening, typed_name=" ".join(typed_name.split()),
        signed_at=now or timezone.now(),
    )
    audit.record(actor=patient.user, action="intake.consent.signed", patient=patient, obj=consent,
                 details={"version": text.version})
    return consent


def _supersede_current(patient: Patient) -> Screening | None:
    current = Screening.objects.filter(patient=patient, status=ScreeningStatus.SUBMITTED).first()
    if current is not None:
        current.status = ScreeningStatus.SUPERSEDED
        current.save(update_fields=["status", "updated_at"])
    return current


def _store_result(screening: Screening, result: rules.ScreeningResult, *, now: datetime, expires_at: datetime):
    screening.result = result.to_dict()
    screening.outcome = result.outcome.value
    screening.ruleset_version = result.ruleset_version
    screening.status = ScreeningStatus.SUBMITTED
    screening.submitted_at = now
    screening.expires_at = expires_at


@transaction.atomic
def screening_submit(
    *, patient: Patient, typed_name: str, consent_text: ConsentText | None, now: datetime | None = None
) -> Screening:
    """Screen the draft, freeze it as the patient's current screening, and record the consent.

    The previous screening is kept, marked superseded. Answers, result and ruleset version are
    stored as they are now and never recomputed.
    """
    now = now or timezone.now()
    _lock_patient(patient)
    draft = Screening.objects.filter(patient=patient, status=ScreeningStatus.DRAFT).first()
    if draft is None:
        raise IntakeError(ERRORS["no_draft"])
    if draft.current_step < LAST_STEP:
        raise IntakeError(ERRORS["incomplete"])
    answers = rules.Answers.from_dict(draft.answers)
    result = rules.screen(answers, today=_today(now))
    previous = _supersede_current(patient)
    if draft.previous_id is None and previous is not None:
        draft.previous = previous
    draft.answers = answers.to_dict()
    validity = IntakeSettings.for_clinic().validity_days
    _store_result(draft, result, now=now, expires_at=expiry_for(now, validity))
    draft.save()
    consent_sign(patient=patient, typed_name=typed_name, text=consent_text, screening=draft, now=now)
    audit.record(actor=patient.user, action="intake.screening.submitted", patient=patient, obj=draft,
                 details={"outcome": draft.outcome, "ruleset_version": draft.ruleset_version})
    return draft


@transaction.atomic
def screening_decide(
    *, screening: Screening, clinician, decision: str, note: str, patient_message: str = "",
    now: datetime | None = None,
) -> ScreeningDecision:
    """A clinician's decision on a current screening; the patient is e-mailed (no health details)."""
    if not clinician.has_perm("intake.review_screening"):
        raise IntakeError(ERRORS["not_clinician"])
    decision = Decision(decision)
    note, patient_message = note.strip(), patient_message.strip()
    if not note:
        raise IntakeError(ERRORS["note_required"])
    if decision == Decision.REQUEST_INFO and not patient_message:
        raise IntakeError(ERRORS["message_required"])
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    if screening.status != ScreeningStatus.SUBMITTED:
        raise IntakeError(ERRORS["not_decidable"])
    made = ScreeningDecision.objects.create(
        screening=screening, clinician=clinician, decision=decision, note=note,
        patient_message=patient_message, decided_at=now or timezone.now(),
    )
    screening.decision = decision
    screening.save(update_fields=["decision", "updated_at"])
    audit.record(actor=clinician, action="intake.screening.decided", patient=screening.patient, obj=screening,
                 details={"decision": decision.value, "decision_id": made.pk})
    # Through the outbox: it leaves only if this decision commits, and a mail server that is down
    # only delays it (retries, then the problems list); the patient also sees the outcome on login.
    outbox.enqueue(emails.REVIEWED, patient=screening.patient, obj=made)
    return made


@transaction.atomic
def reconfirmation_submit(*, patient: Patient, changes: dict[str, Any], now: datetime | None = None) -> Reconfirmation:
    """Store an "anything changed?" form. Any change re-runs every rule on the merged answers and
    makes a new current screening (keeping the old one's expiry); no change keeps the standing
    screening and its decision."""
    now = now or timezone.now()
    _lock_patient(patient)
    current = Screening.objects.filter(patient=patient, status=ScreeningStatus.SUBMITTED).first()
    if current is None:
        raise IntakeError(ERRORS["no_current"])
    try:
        form = rules.Reconfirmation.from_dict(changes)
    except ValueError:
        raise IntakeError(ERRORS["bad_answers"]) from None
    previous = rules.Answers.from_dict(current.answers)
    result = rules.reconfirm(form, previous, today=_today(now))
    if result is None:
        made = Reconfirmation.objects.create(patient=patient, screening=current, answers=form.to_dict(),
                                             changed=False, at=now)
        audit.record(actor=patient.user, action="intake.reconfirmation.submitted", patient=patient, obj=made,
                     details={"changed": False, "screening": current.pk})
        return made
    _supersede_current(patient)
    fresh = Screening(
        patient=patient, source=Source.RECONFIRMATION, previous=current, current_step=LAST_STEP,
        answers=rules.apply_changes(previous, form).to_dict(),
    )
    _store_result(fresh, result, now=now, expires_at=current.expires_at)
    fresh.save()
    made = Reconfirmation.objects.create(patient=patient, screening=current, answers=form.to_dict(), changed=True,
                                         resulting_screening=fresh, at=now)
    audit.record(actor=patient.user, action="intake.reconfirmation.submitted", patient=patient, obj=made,
                 details={"changed": True, "screening": current.pk, "new_screening": fresh.pk,
                          "outcome": fresh.outcome})
    return made


@transaction.atomic
def answers_viewed(*, viewer, screening: Screening) -> None:
    """Record that someone saw a screening's health answers (every staff view, and the patient's)."""
    audit.record(actor=viewer, action="intake.answers.viewed", patient=screening.patient, obj=screening,
                 details={"own": getattr(viewer, "patient", None) == screening.patient})



SETTINGS_FIELDS = ("validity_days", "reconfirm_days", "review_working_days")


@transaction.atomic
def intake_settings_update(*, changes: dict[str, int], by) -> IntakeSettings:
    """The clinic admin's intake settings. A new validity applies to screenings sent from now on."""
    if not by.has_perm("intake.change_intakesettings"):
        raise IntakeError("You are not allowed to change the intake settings.")
    clinic = Clinic.objects.current()
    current, _ = IntakeSettings.objects.select_for_update().get_or_create(clinic=clinic)
    before = {f: getattr(current, f) for f in SETTINGS_FIELDS}
    for name in SETTINGS_FIELDS:
        if name in changes:
            setattr(current, name, changes[name])
    current.save()
    changed = {f: [before[f], getattr(current, f)] for f in SETTINGS_FIELDS if before[f] != getattr(current, f)}
    if changed:
        audit.record(actor=by, action="intake.settings.changed", obj=current, details=changed)
    return current
