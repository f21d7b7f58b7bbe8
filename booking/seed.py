"""Demo booking data, called by clinic's seed_demo: services' clinicians, working hours, rules.

Idempotent: it only fills in what is missing, and keeps whatever was changed since.
"""

from datetime import time

from clinic.models import Clinic, Clinician

from .models import BookingPolicy, Service, WorkingHours

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
