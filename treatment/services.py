"""Every change to the clinical record: one transaction each, returning the object or raising
TreatmentError with words fit to show the clinician.

The dose rules (treatment/dose.py, with the DoseLimit table's figures) run in every write, before
the database's own guards (treatment/db_guards.py), which refuse the same things again whoever
writes. A guard the service did not foresee still comes back as a TreatmentError, never as a 500.

The race these functions prevent: two records of the same patient on the same day (two visits,
two tablets) each checked against the other's old total could together exceed the polidocanol
limit. Every record write locks the patient's row first (SELECT ... FOR UPDATE on PostgreSQL;
SQLite's BEGIN IMMEDIATE serialises writers), then reads the day's other records, then writes.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from booking.models import Appointment, ServiceKind
from clinic import audit
from clinic.models import Patient
from intake.selectors import sclerosant_allergies

from . import db_guards, dose, photos, selectors
from .models import (
    ClinicalNote,
    Compression,
    Form,
    Lot,
    Outcome,
    Photo,
    PhotoConsent,
    TreatedArea,
    TreatmentRecord,
    TreatmentSettings,
)


class TreatmentError(Exception):
    """A refusal fit to show: ``message`` for the whole form, ``findings`` (dose.Finding) to put
    next to their fields; ``needs_confirmation`` when only unconfirmed warnings stand in the way."""

    def __init__(self, message: str, *, findings: list[dose.Finding] | None = None, code: str = ""):
        self.message = message
        self.findings = findings or []
        self.code = code
        super().__init__(message)

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.findings) and not any(f.is_block for f in self.findings)


def _guard_messages() -> dict[str, str]:
    return {
        "treatment_record_signed": _("This record is signed and can no longer be changed. Amend it instead."),
        "treatment_total_is_sum_of_areas": _("The total volume must be the sum of the areas' volumes."),
        "treatment_limit_above_clinic_setting": _("The volume limit cannot be above the clinic's maximum per session."),
        "treatment_polidocanol_daily_dose": _("This would exceed the polidocanol allowed today for the patient's weight."),
        "treatment_lot_expired": _("This lot is expired on the day of the session."),
        "treatment_lot_other_product": _("This lot is of another sclerosant or concentration."),
        "treatment_lot_in_signed_record": _("This lot is named in a signed record and cannot be changed."),
        "treatment_amend_signed_version": _("Only the signed version of the same visit can be amended."),
        "treatment_note_append_only": _("Clinical notes cannot be changed or deleted; add a correcting note."),
        "record_total_within_limit": _("The total volume is above the maximum per session."),
        "treatment_sclerosant_allergy": _("The patient's screening records an allergy to this sclerosant. Choose another."),
        "treatment_concentration_unconfirmed": _("This concentration is unusual for the veins treated: confirm it before signing."),
    }


def _guarded(func):
    """The database's guards answer in plain words too (outside the rolled-back transaction)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except IntegrityError as exc:
            code = db_guards.refusal(exc)
            if code is None:
                raise
            raise TreatmentError(_guard_messages()[code], code=code) from exc

    return wrapper


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _require(user, perm: str) -> None:
    if user is None or not user.has_perm(perm):
        raise TreatmentError(_("You may not do this."), code="forbidden")


# --- the record ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaInput:
    area: str
    vein_type: str
    volume_ml: Decimal


@dataclass(frozen=True)
class RecordInput:
    """What the clinician entered (the form's cleaned data), treated or not."""

    outcome: str = Outcome.TREATED
    not_treated_reason: str = ""
    sclerosant: str = ""
    concentration_percent: Decimal | None = None
    form: str = ""
    foam_gas_parts: int | None = None
    foam_liquid_parts: int | None = None
    lot_number: str = ""
    lot_expires_on: date | None = None
    weight_kg: Decimal | None = None
    areas: tuple[AreaInput, ...] = ()
    injections: int | None = None
    reactions: tuple[str, ...] = ()
    reactions_note: str = ""
    compression: str = Compression.NONE
    compression_days: int | None = None
    note: str = ""
    confirmed: frozenset[str] = field(default_factory=frozenset)  # warning codes the clinician confirmed

    @property
    def treated(self) -> bool:
        return self.outcome == Outcome.TREATED


def _lock_visit(appointment: Appointment) -> Appointment:
    appointment = Appointment.objects.select_for_update(of=("self",)).select_related("service", "patient").get(pk=appointment.pk)
    # Serialises every record write of this patient (see the module's docstring).
    Patient.objects.select_for_update().filter(pk=appointment.patient_id).first()
    return appointment


def _plan(appointment: Appointment, data: RecordInput, *, day: date, lot: Lot | None) -> dose.Plan:
    return dose.Plan(
        sclerosant=data.sclerosant,
        concentration_percent=data.concentration_percent,
        areas=tuple(dose.AreaDose(a.area, a.vein_type, a.volume_ml) for a in data.areas),
        session_day=day,
        clinic_max_volume_ml=selectors.clinic_max_volume(),
        weight_kg=data.weight_kg,
        lot_expires_on=lot.expires_on if lot else data.lot_expires_on,
        other_polidocanol_mg_today=selectors.other_polidocanol_mg(
            patient=appointment.patient, day=day, exclude_appointment_id=appointment.pk
        ),
        allergies=sclerosant_allergies(appointment.patient),
    )


def _check_dose(appointment: Appointment, data: RecordInput, *, day: date, lot: Lot | None) -> list[str]:
    """Raises on a block or an unconfirmed warning; returns the confirmed warnings' codes."""
    findings = dose.check(_plan(appointment, data, day=day, lot=lot), [r.as_rule() for r in selectors.dose_limits()])
    blocks = [f for f in findings if f.is_block]
    unconfirmed = [f for f in findings if not f.is_block and f.code not in data.confirmed]
    if blocks:
        raise TreatmentError(_("This cannot be saved: it is outside a safety limit."), findings=findings, code="dose")
    if unconfirmed:
        raise TreatmentError(_("Please confirm the warnings below, or change what you entered."), findings=findings,
                             code="confirm")
    return sorted(f.code for f in findings)


def _resolve_lot(data: RecordInput, *, by, now: datetime) -> Lot:
    """The lot this product and number name: found, or added to the clinic's list of lots."""
    number = data.lot_number.strip()
    lot = Lot.objects.filter(
        sclerosant=data.sclerosant, concentration_percent=data.concentration_percent, lot_number__iexact=number
    ).first()
    if lot is None:
        lot = Lot.objects.create(
            sclerosant=data.sclerosant, concentration_percent=data.concentration_percent, lot_number=number,
            expires_on=data.lot_expires_on, created_by=by, created_at=now,
        )
        audit.record(actor=by, action="treatment.lot.created", obj=lot)
    elif data.lot_expires_on and lot.expires_on != data.lot_expires_on:
        raise TreatmentError(
            _("Lot %(number)s is on file with the expiry date %(expiry)s. Check the date on the box.")
            % {"number": lot.lot_number, "expiry": lot.expires_on.isoformat()},
            findings=[dose.Finding("lot.expiry_mismatch", dose.Severity.BLOCK, "Expiry differs from the lot on file.",
                                   field="lot_expires_on")],
            code="lot_expiry_mismatch",
        )
    return lot


def _clinical_fields(data: RecordInput, *, lot: Lot | None) -> dict:
    if not data.treated:
        return {
            "outcome": Outcome.NOT_TREATED, "not_treated_reason": data.not_treated_reason.strip(), "sclerosant": "",
            "concentration_percent": None, "form": "", "foam_gas_parts": None, "foam_liquid_parts": None, "lot": None,
            "weight_kg": data.weight_kg, "injections": None, "reactions": [], "reactions_note": "",
            "compression": Compression.NONE, "compression_days": None, "note": data.note.strip(),
        }
    foam = data.form == Form.FOAM
    compression = data.compression or Compression.NONE
    return {
        "outcome": Outcome.TREATED, "not_treated_reason": "", "sclerosant": data.sclerosant,
        "concentration_percent": data.concentration_percent, "form": data.form,
        "foam_gas_parts": data.foam_gas_parts if foam else None, "foam_liquid_parts": data.foam_liquid_parts if foam else None,
        "lot": lot, "weight_kg": data.weight_kg, "injections": data.injections, "reactions": list(data.reactions),
        "reactions_note": data.reactions_note.strip(), "compression": compression,
        "compression_days": data.compression_days if compression != Compression.NONE else None, "note": data.note.strip(),
    }


def _write_areas(record: TreatmentRecord, data: RecordInput) -> None:
    if data.treated:
        TreatedArea.objects.bulk_create(
            TreatedArea(record=record, area=a.area, vein_type=a.vein_type, volume_ml=a.volume_ml) for a in data.areas
        )
    record.refresh_from_db(fields=["total_volume_ml"])  # the database keeps it


def _validate(appointment: Appointment, data: RecordInput, *, by, now: datetime) -> tuple[date, Lot | None, list[str]]:
    day = selectors.session_day(appointment)
    if not data.treated:
        if not data.not_treated_reason.strip():
            raise TreatmentError(_("Say why the patient was not treated."), code="reason_missing")
        return day, None, []
    lot = None
    if data.lot_expires_on is not None and data.lot_expires_on < day:
        # Refused before anything is written, so an expired lot never enters the list of lots.
        _check_dose(appointment, data, day=day, lot=None)
    lot = _resolve_lot(data, by=by, now=now)
    confirmed = _check_dose(appointment, data, day=day, lot=lot)
    return day, lot, confirmed


def _sign(record: TreatmentRecord, *, by, now: datetime) -> None:
    _require(by, "treatment.sign_treatmentrecord")
    record.signed_at, record.signed_by = now, by
    record.save(update_fields=["signed_at", "signed_by"])
    audit.record(actor=by, action="treatment.record.signed", patient=record.appointment.patient, obj=record,
                 details={"appointment": record.appointment_id, "version": record.version})


@_guarded
@transaction.atomic
def record_save(*, appointment: Appointment, data: RecordInput, by, sign: bool = False, now: datetime | None = None) -> TreatmentRecord:
    """Writes the visit's record (new, or the unsigned draft again), and signs it if asked."""
    now = _now(now)
    _require(by, "treatment.add_treatmentrecord")
    appointment = _lock_visit(appointment)
    if appointment.service.kind != ServiceKind.SESSION:
        raise TreatmentError(_("Only treatment sessions have a treatment record."), code="not_a_session")
    existing = TreatmentRecord.objects.filter(appointment=appointment).current().first()
    if existing is not None and existing.is_signed:
        raise TreatmentError(_("This record is signed. To correct it, amend it."), code="signed")
    if existing is None and appointment.status not in selectors.RECORDABLE_STATUSES:
        raise TreatmentError(_("Check the patient in first: a treatment is recorded during or after the visit."),
                             code="not_checked_in")
    day, lot, confirmed = _validate(appointment, data, by=by, now=now)
    fields = _clinical_fields(data, lot=lot) | {"warnings_confirmed": confirmed, "updated_at": now}
    limit = selectors.clinic_max_volume()
    if existing is None:
        record = TreatmentRecord.objects.create(
            appointment=appointment, session_day=day, volume_limit_ml=limit, created_by=by, created_at=now, **fields
        )
        action = "treatment.record.created"
    else:
        record = existing
        record.areas.all().delete()  # first, so the old areas' total never meets the new product
        for name, value in fields.items():
            setattr(record, name, value)
        record.session_day, record.volume_limit_ml = day, limit
        record.save(update_fields=[*fields, "session_day", "volume_limit_ml"])
        action = "treatment.record.updated"
    _write_areas(record, data)
    audit.record(actor=by, action=action, patient=appointment.patient, obj=record,
                 details={"appointment": appointment.pk, "outcome": record.outcome, "warnings_confirmed": confirmed})
    if sign:
        _sign(record, by=by, now=now)
    return record


@_guarded
@transaction.atomic
def record_sign(*, record: TreatmentRecord, by, now: datetime | None = None) -> TreatmentRecord:
    """Signs the draft: from now on it is locked (here and in the database)."""
    now = _now(now)
    _require(by, "treatment.sign_treatmentrecord")
    appointment = _lock_visit(record.appointment)
    record = TreatmentRecord.objects.select_for_update().get(pk=record.pk)
    record.appointment = appointment
    if record.is_signed:
        raise TreatmentError(_("This record is already signed."), code="signed")
    if record.is_treated:
        # Re-checked under the lock: another record of the same day may have been written since.
        data = input_from(record)
        _check_dose(appointment, data, day=record.session_day, lot=record.lot)
    _sign(record, by=by, now=now)
    return record


@_guarded
@transaction.atomic
def record_amend(
    *, record: TreatmentRecord, data: RecordInput, reason: str, by, now: datetime | None = None
) -> TreatmentRecord:
    """A correction after signing: a new, signed version that keeps the one it corrects."""
    now = _now(now)
    _require(by, "treatment.amend_treatmentrecord")
    if not reason.strip():
        raise TreatmentError(_("Say why you are amending the record."), code="reason_missing")
    appointment = _lock_visit(record.appointment)
    current = TreatmentRecord.objects.filter(appointment=appointment).current().select_for_update().first()
    if current is None or current.pk != record.pk:
        raise TreatmentError(_("This version has been amended already. Open the latest version."), code="stale")
    if not current.is_signed:
        raise TreatmentError(_("This record is not signed yet: change it directly."), code="not_signed")
    day, lot, confirmed = _validate(appointment, data, by=by, now=now)
    fields = _clinical_fields(data, lot=lot) | {"warnings_confirmed": confirmed, "updated_at": now}
    amendment = TreatmentRecord.objects.create(
        appointment=appointment, session_day=day, version=current.version + 1, amends=current,
        amendment_reason=reason.strip(), volume_limit_ml=min(current.volume_limit_ml, selectors.clinic_max_volume()),
        created_by=by, created_at=now, **fields,
    )
    _write_areas(amendment, data)
    _sign(amendment, by=by, now=now)
    audit.record(actor=by, action="treatment.record.amended", patient=appointment.patient, obj=amendment,
                 details={"appointment": appointment.pk, "amends": current.pk, "version": amendment.version})
    return amendment


def input_from(record: TreatmentRecord, *, confirmed: frozenset[str] | None = None) -> RecordInput:
    """The input that would write this record again (an amendment's starting point)."""
    return RecordInput(
        outcome=record.outcome, not_treated_reason=record.not_treated_reason, sclerosant=record.sclerosant,
        concentration_percent=record.concentration_percent, form=record.form, foam_gas_parts=record.foam_gas_parts,
        foam_liquid_parts=record.foam_liquid_parts, lot_number=record.lot.lot_number if record.lot else "",
        lot_expires_on=record.lot.expires_on if record.lot else None, weight_kg=record.weight_kg,
        areas=tuple(AreaInput(a.area, a.vein_type, a.volume_ml) for a in record.areas.all()),
        injections=record.injections, reactions=tuple(record.reactions), reactions_note=record.reactions_note,
        compression=record.compression, compression_days=record.compression_days, note=record.note,
        confirmed=frozenset(record.warnings_confirmed) if confirmed is None else confirmed,
    )


def record_viewed(*, viewer, record: TreatmentRecord) -> None:
    audit.record(actor=viewer, action="treatment.record.viewed", patient=record.appointment.patient, obj=record,
                 details={"appointment": record.appointment_id, "version": record.version})


# --- lots ---------------------------------------------------------------------------------------


@_guarded
@transaction.atomic
def lot_add(*, sclerosant: str, concentration_percent: Decimal, lot_number: str, expires_on: date, product: str,
            by, now: datetime | None = None) -> Lot:
    now = _now(now)
    _require(by, "treatment.add_lot")
    number = lot_number.strip()
    if Lot.objects.filter(sclerosant=sclerosant, concentration_percent=concentration_percent, lot_number__iexact=number).exists():
        raise TreatmentError(_("This lot of this product is already on the list."), code="lot_exists")
    lot = Lot.objects.create(sclerosant=sclerosant, concentration_percent=concentration_percent, lot_number=number,
                             expires_on=expires_on, product=product.strip(), created_by=by, created_at=now)
    audit.record(actor=by, action="treatment.lot.created", obj=lot)
    return lot


def recall_searched(*, by, lot_number: str, first_day: date | None, last_day: date | None, records, exported: bool) -> None:
    """A recall list names patients who were treated: who looked, and at what, goes on record."""
    audit.record(
        actor=by, action="treatment.recall.exported" if exported else "treatment.recall.searched",
        details={"lots": sorted({r.lot_id for r in records}), "records": [r.pk for r in records],
                 "from": first_day.isoformat() if first_day else None, "to": last_day.isoformat() if last_day else None},
    )


# --- settings -----------------------------------------------------------------------------------


@transaction.atomic
def settings_save(*, max_volume_ml: Decimal, by, now: datetime | None = None) -> TreatmentSettings:
    _require(by, "treatment.change_treatmentsettings")
    current = TreatmentSettings.for_clinic()
    if current.clinic is None:
        raise TreatmentError(_("Set up the clinic first."), code="no_clinic")
    before = current.max_volume_ml
    current.max_volume_ml, current.updated_by = max_volume_ml, by
    current.save()
    audit.record(actor=by, action="treatment.settings.changed", obj=current,
                 details={"max_volume_ml": [str(before), str(max_volume_ml)]})
    return current


# --- notes --------------------------------------------------------------------------------------


@_guarded
@transaction.atomic
def note_add(*, patient: Patient, text: str, by, corrects: ClinicalNote | None = None, now: datetime | None = None) -> ClinicalNote:
    """A dated, signed note; never edited afterwards (a correction is another note)."""
    now = _now(now)
    _require(by, "treatment.add_clinicalnote")
    if not text.strip():
        raise TreatmentError(_("Write the note first."), code="empty")
    if corrects is not None and corrects.patient_id != patient.pk:
        raise TreatmentError(_("A note can only correct a note of the same patient."), code="wrong_patient")
    note = ClinicalNote.objects.create(patient=patient, text=text.strip(), corrects=corrects, written_at=now, written_by=by)
    audit.record(actor=by, action="treatment.note.added", patient=patient, obj=note,
                 details={"corrects": corrects.pk if corrects else None})
    return note


# --- photos -------------------------------------------------------------------------------------


@transaction.atomic
def photo_consent_record(*, patient: Patient, given: bool, how: str, by, now: datetime | None = None) -> PhotoConsent:
    """The patient's yes or no to clinical photos, as a new row (the history stays)."""
    now = _now(now)
    _require(by, "treatment.add_photoconsent")
    if not how.strip():
        raise TreatmentError(_("Say how the patient told you (e.g. signed the paper form)."), code="how_missing")
    consent = PhotoConsent.objects.create(patient=patient, given=given, how=how.strip(), recorded_at=now, recorded_by=by)
    audit.record(actor=by, action="treatment.photo_consent.given" if given else "treatment.photo_consent.withdrawn",
                 patient=patient, obj=consent)
    return consent


@transaction.atomic
def photo_add(
    *, appointment: Appointment, area: str, kind: str, upload, by, now: datetime | None = None
) -> Photo:
    """Stores a clinical photo of one area of a session: its metadata (GPS included) stripped by
    re-encoding, on private storage, under a random name."""
    now = _now(now)
    _require(by, "treatment.add_photo")
    appointment = Appointment.objects.select_related("patient", "service").get(pk=appointment.pk)
    if appointment.service.kind != ServiceKind.SESSION:
        raise TreatmentError(_("Photos belong to treatment sessions."), code="not_a_session")
    consent = selectors.photo_consent(appointment.patient)
    if consent is None or not consent.given:
        raise TreatmentError(_("The patient has not agreed to clinical photos. Record their consent first."),
                             code="no_photo_consent")
    try:
        clean = photos.clean_image(upload)
    except photos.PhotoRejected as exc:
        raise TreatmentError(str(exc), code="bad_photo") from exc
    name = f"photos/{appointment.patient_id}/{uuid.uuid4().hex}.jpg"
    photo = Photo(patient=appointment.patient, appointment=appointment, area=area, kind=kind, width=clean.width,
                  height=clean.height, size_bytes=len(clean.data), taken_at=now, uploaded_by=by)
    photo.file.save(name, ContentFile(clean.data), save=False)
    try:
        photo.save()
    except Exception:
        photo.file.storage.delete(photo.file.name)  # no orphan file when the row is refused
        raise
    audit.record(actor=by, action="treatment.photo.uploaded", patient=appointment.patient, obj=photo,
                 details={"appointment": appointment.pk, "area": area, "kind": kind})
    return photo


def photo_viewed(*, viewer, photo: Photo) -> None:
    audit.record(actor=viewer, action="treatment.photo.viewed", patient=photo.patient, obj=photo,
                 details={"own": getattr(viewer, "patient", None) == photo.patient})
