"""Reads for the treatment pages, the chart and booking's completion check. Nothing here writes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from booking import spacing
from booking.models import Appointment, BookingPolicy, CourseStatus, ServiceKind, Status
from clinic.models import Clinic, Patient

from . import dose
from .models import ClinicalNote, DoseLimit, Lot, Photo, PhotoConsent, TreatedArea, TreatmentRecord, TreatmentSettings

# Visits whose treatment may be recorded: the patient is here (or the visit is already closed).
RECORDABLE_STATUSES = (Status.CHECKED_IN, Status.COMPLETED)


def dose_limits() -> list[DoseLimit]:
    return list(DoseLimit.objects.all())


def session_day(appointment: Appointment) -> date:
    return spacing.local_date(appointment.start, Clinic.objects.current_time_zone())


def _with_details(queryset: QuerySet[TreatmentRecord]) -> QuerySet[TreatmentRecord]:
    return queryset.select_related("lot", "signed_by", "created_by").prefetch_related(
        Prefetch("areas", queryset=TreatedArea.objects.order_by("pk"))
    )


def versions(appointment: Appointment) -> list[TreatmentRecord]:
    """Every version of the visit's record, first to latest."""
    return list(_with_details(TreatmentRecord.objects.filter(appointment=appointment)).order_by("version"))


def current_record(appointment: Appointment) -> TreatmentRecord | None:
    return _with_details(TreatmentRecord.objects.filter(appointment=appointment).current()).first()


def completion_objection(appointment: Appointment) -> str | None:
    """booking's completion check: a treatment session is completed only with a signed record of
    a treatment. A signed "not treated" closes the visit as not treated instead (no session of the
    course, no aftercare)."""
    if appointment.service.kind != ServiceKind.SESSION:
        return None
    current = current_signed_record(appointment)
    if current is None:
        return _("Record and sign the treatment first (or record why the patient was not treated).")
    if not current.is_treated:
        return _("The signed record says the patient was not treated: close the visit as not treated.")
    return None


def current_signed_record(appointment: Appointment) -> TreatmentRecord | None:
    """The visit's record as it stands (its latest signed version), if it was signed."""
    return TreatmentRecord.objects.filter(appointment=appointment, signed_at__isnull=False).current().first()


def other_polidocanol_mg(*, patient: Patient, day: date, exclude_appointment_id: int) -> Decimal:
    """mg of polidocanol in the patient's other current records of that local day."""
    rows = (
        TreatmentRecord.objects.current()
        .filter(appointment__patient=patient, session_day=day, sclerosant=dose.Sclerosant.POLIDOCANOL)
        .exclude(appointment_id=exclude_appointment_id)
        .values_list("total_volume_ml", "concentration_percent")
    )
    return sum((dose.polidocanol_mg(volume, percent) for volume, percent in rows), Decimal(0))


def weight_on(*, patient: Patient, day: date) -> Decimal | None:
    """A weight already recorded for the patient that day (another record), if any."""
    return (
        TreatmentRecord.objects.current()
        .filter(appointment__patient=patient, session_day=day, weight_kg__isnull=False)
        .order_by("-updated_at")
        .values_list("weight_kg", flat=True)
        .first()
    )


def usable_lots(*, day: date) -> QuerySet[Lot]:
    return Lot.objects.filter(expires_on__gte=day).order_by("sclerosant", "concentration_percent", "expires_on")


def photo_consent(patient: Patient) -> PhotoConsent | None:
    return PhotoConsent.objects.filter(patient=patient).select_related("recorded_by").first()


def clinic_max_volume() -> Decimal:
    return TreatmentSettings.for_clinic().max_volume_ml


# --- the chart ----------------------------------------------------------------------------------


@dataclass
class CourseView:
    """One course as the chart shows it: its sessions, and when the next one is due."""

    course: object
    sessions: list[Appointment]
    done: int
    booked: int
    window: spacing.Window | None = None
    status: str = ""  # spacing.CourseStatus, or "" when nothing is due (finished, or none done yet)


@dataclass
class Chart:
    records: list[TreatmentRecord] = field(default_factory=list)  # current versions, latest first
    courses: list[CourseView] = field(default_factory=list)
    notes: list[ClinicalNote] = field(default_factory=list)


def chart_courses(patient: Patient, *, today: date, tz) -> list[CourseView]:
    """The patient's courses with their live sessions, in one query (the clinic's spacing rule
    comes along as two columns of it)."""
    policy = BookingPolicy.objects.order_by("clinic_id")
    rows = list(
        Appointment.objects.filter(patient=patient, course__isnull=False)
        .exclude(status__in=[Status.CANCELLED, Status.HELD])
        .select_related("course__service")
        .annotate(
            min_days=Subquery(policy.values("min_days_between_sessions")[:1]),
            max_days=Subquery(policy.values("max_days_between_sessions")[:1]),
        )
        .order_by("course_id", "sequence")
    )
    by_course: dict[int, list[Appointment]] = defaultdict(list)
    for a in rows:
        by_course[a.course_id].append(a)
    views = []
    default = BookingPolicy()
    for sessions in by_course.values():
        course = sessions[0].course
        done = [a for a in sessions if a.status == Status.COMPLETED]
        booked = [a for a in sessions if a.status in (Status.BOOKED, Status.CHECKED_IN)]
        view = CourseView(course=course, sessions=sessions, done=len(done), booked=len(booked))
        if done and not booked and len(done) < course.planned_sessions and course.status == CourseStatus.ACTIVE:
            rule = spacing.SpacingRule(sessions[0].min_days or default.min_days_between_sessions,
                                       sessions[0].max_days or default.max_days_between_sessions)
            last = max(a.start for a in done)
            view.window = spacing.allowed_window(last, tz, rule)
            view.status = spacing.course_status(last, today, tz, rule)
        views.append(view)
    views.sort(key=lambda v: v.course.created_at, reverse=True)
    return views


_CHART_RECORD_FIELDS = (
    "id", "appointment_id", "session_day", "version", "outcome", "not_treated_reason", "sclerosant",
    "concentration_percent", "form", "foam_gas_parts", "foam_liquid_parts", "total_volume_ml", "injections",
    "reactions", "signed_at",
)


def chart_records(patient: Patient, *, details: bool) -> list[TreatmentRecord]:
    """The patient's current records, latest first, in one query: each area comes as a row of
    the same join and is gathered here (``record.area_list``), with ``lot_number``,
    ``signed_by_name`` and ``sequence`` beside. Without ``details``: only the record's state."""
    columns = [*_CHART_RECORD_FIELDS, "appointment__sequence", "signed_by__first_name", "signed_by__last_name"]
    if details:
        columns += ["lot__lot_number", "areas__area", "areas__volume_ml"]
    rows = (
        TreatmentRecord.objects.current()
        .filter(appointment__patient=patient)
        .order_by("-session_day", "-appointment_id", "areas__id" if details else "pk")
        .values(*columns)
    )
    records: dict[int, TreatmentRecord] = {}
    for row in rows:
        record = records.get(row["id"])
        if record is None:
            record = TreatmentRecord(**{name: row[name] for name in _CHART_RECORD_FIELDS})
            record.sequence = row["appointment__sequence"]
            record.signed_by_name = f"{row['signed_by__first_name']} {row['signed_by__last_name']}".strip()
            record.lot_number = row.get("lot__lot_number") or ""
            record.area_list = []
            records[record.pk] = record
        if details and row["areas__area"]:
            record.area_list.append((row["areas__area"], row["areas__volume_ml"]))
    return list(records.values())


def chart(patient: Patient, *, user, now: datetime) -> Chart:
    """What the treatment part of the patient's chart shows this user, in at most three queries
    however long the history; treatment details only with the permission to read them."""
    result = Chart()
    may_read = user.has_perm("treatment.view_treatmentrecord")
    if may_read or user.has_perm("treatment.view_record_status"):
        result.records = chart_records(patient, details=may_read)
    if user.has_perm("booking.view_appointment"):
        tz = Clinic.objects.current_time_zone()
        result.courses = chart_courses(patient, today=spacing.local_date(now, tz), tz=tz)
    if user.has_perm("treatment.view_clinicalnote"):
        result.notes = list(ClinicalNote.objects.filter(patient=patient).select_related("written_by", "corrects"))
    return result


# --- photos -------------------------------------------------------------------------------------


def photos_of_area(patient: Patient, area: str) -> list[tuple[Appointment, list[Photo]]]:
    """Every session with photos of one area, oldest first: the side-by-side view's columns."""
    photos = list(
        Photo.objects.filter(patient=patient, area=area).select_related("appointment").order_by("appointment__start", "kind", "taken_at")
    )
    columns: dict[int, tuple[Appointment, list[Photo]]] = {}
    for photo in photos:
        columns.setdefault(photo.appointment_id, (photo.appointment, []))[1].append(photo)
    return list(columns.values())


# --- recalls ------------------------------------------------------------------------------------


def recall(*, lot_number: str, first_day: date | None, last_day: date | None) -> list[TreatmentRecord]:
    """Current treatment records that used a lot with this number (any product), between two
    local session days (both included), oldest first, with patient and visit loaded."""
    queryset = (
        TreatmentRecord.objects.current()
        .filter(lot__lot_number__iexact=lot_number.strip())
        .select_related("lot", "appointment__patient", "appointment__clinician__staff__user", "signed_by")
        .order_by("session_day", "appointment__start", "pk")
    )
    if first_day is not None:
        queryset = queryset.filter(session_day__gte=first_day)
    if last_day is not None:
        queryset = queryset.filter(session_day__lte=last_day)
    return list(queryset)


def lots_with_use() -> QuerySet[Lot]:
    return Lot.objects.annotate(
        used=Count("records", filter=Q(records__amended_by__isnull=True), distinct=True)
    ).order_by("-expires_on", "lot_number")

