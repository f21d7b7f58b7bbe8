"""Booking's parts of the clinic app's pages (see clinic/sections.py)."""

from django.utils import timezone

from clinic import sections
from clinic.models import Clinic

from . import selectors
from .models import Appointment, Status

VISIT_STATUSES = [Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED, Status.NO_SHOW]

PAST_SHOWN = 5


def _patient_home(request, page):
    upcoming, _ = selectors.appointments_for_patient(page["patient"], now=timezone.now())
    return {"upcoming": upcoming[:3], "more": max(0, len(upcoming) - 3)}


def _patient_detail(request, page):
    if not request.user.has_perm("booking.view_appointment"):
        return None
    upcoming, past = selectors.appointments_for_patient(page["patient"], now=timezone.now())
    return {"upcoming": upcoming, "past": past[:PAST_SHOWN], "more_past": max(0, len(past) - PAST_SHOWN)}


def _visits_today(request, page):
    if not request.user.has_perm("booking.view_appointment"):
        return None
    today = timezone.localdate()
    start, end = selectors.day_bounds(today, today, Clinic.objects.current_time_zone())  # works before setup too
    visits = Appointment.objects.filter(start__gte=start, start__lt=end, status__in=VISIT_STATUSES).count()
    return {"visits_today": visits}


def register() -> None:
    sections.register("staff_nav", "booking/_staff_nav.html", order=10)
    sections.register("patient_nav", "booking/_patient_nav.html", order=10)
    sections.register("patient_home", "booking/_patient_section.html", order=20, context=_patient_home)
    sections.register("patient_detail", "booking/_patient_detail.html", order=20, context=_patient_detail)
    sections.register("staff_home", "booking/_staff_home.html", order=10, context=_visits_today)
