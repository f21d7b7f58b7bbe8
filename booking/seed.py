"""Demo booking data, called by clinic's seed_demo: services' clinicians, working hours, rules,
and a few visits booked by the front desk (so calendars, reminders and aftercare have something
to show).

Idempotent: it only fills in what is missing, and keeps whatever was changed since.
"""

from datetime import time, timedelta

from django.utils import timezone

from clinic.models import Clinic, Clinician, Patient, User
from intake import services as intake_services

from . import selectors, services
from .models import Appointment, BookingPolicy, Service, WorkingHours

DEMO_DOMAIN = "demo.clinic"
# (patient, service, days from today) booked ahead; negative: a session that took place.
DEMO_VISITS = [
    ("patient01", "sclerotherapy", -3),
    ("patient02", "sclerotherapy", 9),
    ("patient03", "consultation", 1),
    ("patient04", "sclerotherapy", 2),
    ("patient07", "consultation", 4),
]

NOTHING_CHANGED = {"pregnant_now": "no", "new_clot": "no", "unwell_now": "no", "new_medications": "none",
                   "new_allergies": "none"}

# Monday to Friday 09:00-17:00 with a lunch break; Saturday morning for the first clinician.
WEEKDAY_HOURS = [(time(9), time(12, 30)), (time(13, 30), time(17))]
SATURDAY_HOURS = [(time(9), time(13))]


def seed_demo(clinic: Clinic) -> None:
    BookingPolicy.objects.get_or_create(clinic=clinic)
    clinicians = list(Clinician.objects.order_by("pk"))
    for service in Service.objects.all():
        if not service.clinicians.exists():
            service.clinicians.set(clinicians)
    for n, clinician in enumerate(clinicians):
        if clinician.working_hours.exists():
            continue
        spans = [(day, s, e) for day in range(5) for s, e in WEEKDAY_HOURS]
        if n == 0:
            spans += [(5, s, e) for s, e in SATURDAY_HOURS]
        WorkingHours.objects.bulk_create(
            WorkingHours(clinician=clinician, weekday=day, starts=s, ends=e) for day, s, e in spans
        )
    _seed_visits()


def _seed_visits() -> None:
    desk = User.objects.filter(email=f"desk@{DEMO_DOMAIN}").first()
    if desk is None:
        return
    today = timezone.localdate()
    for name, slug, days in DEMO_VISITS:
        patient = Patient.objects.filter(email=f"{name}@{DEMO_DOMAIN}").first()
        if patient is None or Appointment.objects.filter(patient=patient).exists():
            continue
        service = Service.objects.get(slug=slug)
        day = today + timedelta(days=days)
        # A past session is booked as the desk would have a week before it, then seen and completed.
        now = timezone.now() + timedelta(days=min(0, days - 7))
        slots = selectors.slot_list(service=service, first_day=day, last_day=day + timedelta(days=7), now=now,
                                    staff=True, limit=1)
        if not slots:
            continue
        if service.needs_screening and slots[0].start - now < timedelta(days=7):
            # The patient answered "anything changed?" (nothing had) before a session this close.
            intake_services.reconfirmation_submit(patient=patient, changes=NOTHING_CHANGED, now=now)
        visit = services.appointment_book(patient=patient, service=service, start=slots[0].start, by=desk, now=now)
        if days < 0:
            services.appointment_check_in(appointment=visit, by=desk, now=visit.start)
            try:
                services.appointment_complete(appointment=visit, by=desk, now=visit.end)
            except services.BookingError:
                pass  # an app built on booking wants something first (a signed treatment record): its seed closes it
