"""What the front desk and clinicians do: the day calendar, booking for a patient, moving,
cancelling, check-in, no-show, completed, and the clinician's out-of-window override."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic import selectors as clinic_selectors
from clinic.access import get_for_user, get_patient_for_user, staff_required
from clinic.forms import PatientSearchForm

from . import selectors, services
from .forms import CancelForm, DeskBookForm, DeskMoveForm, parse_day
from .models import Appointment, Status

PATIENT_SEARCH_LIMIT = 20


def _local_start(day: date, hhmm, tz) -> datetime:
    return datetime.combine(day, hhmm, tzinfo=tz)


@require_GET
@staff_required("booking.view_appointment")
def calendar(request):
    tz = selectors.current_clinic().tzinfo
    today = timezone.localdate()
    day = parse_day(request.GET.get("date")) or today
    by = "room" if request.GET.get("by") == "room" else "clinician"
    columns = selectors.day_calendar(day=day, tz=tz, by=by)
    return render(
        request,
        "booking/desk/calendar.html",
        {
            "day": day,
            "by": by,
            "columns": columns,
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
            "today": today,
            "total": sum(len(c.appointments) for c in columns),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required("booking.add_appointment")
def book(request):
    patient = None
    patients = []
    search = PatientSearchForm(request.GET)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    if request.GET.get("patient", "").isdigit():
        patient = get_patient_for_user(request.user, int(request.GET["patient"]))
    elif query:
        patients = clinic_selectors.patient_search(query, limit=PATIENT_SEARCH_LIMIT)
    can_override = request.user.has_perm("booking.override_spacing")
    form = DeskBookForm(request.POST or None, can_override=can_override, initial={"day": timezone.localdate() + timedelta(days=1)})
    if patient is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        tz = selectors.current_clinic().tzinfo
        start = _local_start(data["day"], data["time"], tz)
        clinician_id = data["clinician"].pk if data["clinician"] else None
        try:
            if data["whole_course"] and data["service"].is_course_session:
                course = services.course_book_all(
                    patient=patient, service=data["service"], start=start, by=request.user, clinician_id=clinician_id,
                    planned_sessions=data["planned_sessions"],
                )
                messages.success(request, f"Booked all {course.planned_sessions} sessions for {patient.full_name}.")
                first = course.appointments.filter(status=Status.BOOKED).order_by("sequence").first()
                return redirect("booking:desk_appointment", pk=first.pk)
            appointment = services.appointment_book(
                patient=patient, service=data["service"], start=start, by=request.user, clinician_id=clinician_id,
                override_reason=data.get("override_reason", ""), planned_sessions=data["planned_sessions"],
            )
        except services.BookingError as exc:
            form.add_error(None, exc.message)
            return render(request, "booking/desk/book.html", {"form": form, "patient": patient, "error": exc})
        messages.success(request, f"Booked {appointment.service} for {patient.full_name}.")
        return redirect("booking:desk_appointment", pk=appointment.pk)
    return render(request, "booking/desk/book.html", {"form": form, "patient": patient, "patients": patients, "query": query})


def _appointment(request, pk) -> Appointment:
    return get_for_user(
        request.user,
        Appointment.objects.select_related("patient", "service", "clinician__staff__user", "room", "course", "override_by"),
        pk=pk,
    )


@require_GET
@staff_required("booking.view_appointment")
def appointment(request, pk):
    a = _appointment(request, pk)
    course_sessions = []
    if a.course_id:
        course_sessions = list(a.course.appointments.exclude(status__in=[Status.CANCELLED, Status.HELD]).order_by("sequence"))
    return render(
        request,
        "booking/desk/appointment.html",
        {
            "appointment": a,
            "log": selectors.appointment_history(a),
            "course_sessions": course_sessions,
            "cancel_form": CancelForm(),
        },
    )


ACTIONS = {
    "check_in": (services.appointment_check_in, "Checked in."),
    "complete": (services.appointment_complete, "Marked completed."),
    "no_show": (services.appointment_mark_no_show, "Marked as a no-show."),
}


@require_POST
@staff_required("booking.change_appointment")
def action(request, pk, action):
    a = _appointment(request, pk)
    try:
        if action == "cancel":
            form = CancelForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            services.appointment_cancel(appointment=a, by=request.user, reason=reason)
            messages.success(request, "Cancelled. The patient gets an e-mail.")
        elif action in ACTIONS:
            func, text = ACTIONS[action]
            func(appointment=a, by=request.user)
            messages.success(request, text)
        else:
            raise PermissionDenied
    except services.BookingError as exc:
        messages.error(request, exc.message)
    return redirect("booking:desk_appointment", pk=a.pk)


@require_http_methods(["GET", "POST"])
@staff_required("booking.change_appointment")
def move(request, pk):
    a = _appointment(request, pk)
    can_override = request.user.has_perm("booking.override_spacing")
    local_start = timezone.localtime(a.start)
    form = DeskMoveForm(
        request.POST or None,
        can_override=can_override,
        initial={"day": local_start.date(), "time": local_start.time(), "clinician": a.clinician},
    )
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        tz = selectors.current_clinic().tzinfo
        try:
            services.appointment_move(
                appointment=a, start=_local_start(data["day"], data["time"], tz), by=request.user,
                clinician_id=data["clinician"].pk if data["clinician"] else None,
                override_reason=data.get("override_reason", ""), move_following=data["move_following"],
            )
        except services.BookingError as exc:
            error = exc
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Moved. The patient gets an e-mail with the new time.")
            return redirect(reverse("booking:desk_appointment", args=[a.pk]))
    return render(request, "booking/desk/move.html", {"appointment": a, "form": form, "error": error})
