"""Demo treatment data, called by clinic's seed_demo after booking's: a few lots, and the signed
record of patient 01's past session, written through the services, after which the session is
closed through booking's own service (booking's seed leaves it checked in, waiting for a record).

Idempotent: lots that exist are left alone, and a session that has a record is not touched.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from booking import services as booking_services
from booking.models import Appointment, ServiceKind, Status
from clinic.models import Clinic, User

from . import services
from .models import Lot, PhotoConsent, TreatmentRecord

DEMO_DOMAIN = "demo.clinic"
# sclerosant, %, lot number, days from today to its expiry, product
DEMO_LOTS = [
    ("polidocanol", "0.5", "AS05-26K11", 330, "Asclera 0.5%, 2 mL ampoules"),
    ("polidocanol", "1", "AS10-27B02", 420, "Asclera 1%, 2 mL ampoules"),
    ("sodium_tetradecyl_sulfate", "0.2", "FV02-26F17", 200, "Fibrovein 0.2%, 5 mL vials"),
    ("polidocanol", "0.5", "AS05-25J09", -40, "Asclera 0.5%, 2 mL ampoules (expired)"),
]


def seed_demo(clinic: Clinic) -> None:
    doctor = User.objects.filter(email=f"dr.patel@{DEMO_DOMAIN}").first()
    desk = User.objects.filter(email=f"desk@{DEMO_DOMAIN}").first()
    if doctor is None or desk is None:
        return
    today = timezone.localdate()
    for sclerosant, percent, number, days, product in DEMO_LOTS:
        if not Lot.objects.filter(lot_number=number).exists():
            expires = today + timedelta(days=days)
            if days < 0:  # an expired lot can only be on the list from before: added when it was in date
                Lot.objects.create(sclerosant=sclerosant, concentration_percent=Decimal(percent), lot_number=number,
                                   expires_on=expires, product=product, created_by=doctor,
                                   created_at=timezone.now() + timedelta(days=days - 200))
            else:
                services.lot_add(sclerosant=sclerosant, concentration_percent=Decimal(percent), lot_number=number,
                                 expires_on=expires, product=product, by=doctor)
    _close_past_sessions(doctor, desk)


def _close_past_sessions(doctor, desk) -> None:
    """Demo patients' sessions that took place but wait for their record: recorded, signed, closed."""
    waiting = (
        Appointment.objects.filter(status=Status.CHECKED_IN, service__kind=ServiceKind.SESSION,
                                   patient__email__endswith=f"@{DEMO_DOMAIN}", end__lt=timezone.now())
        .exclude(pk__in=TreatmentRecord.objects.values("appointment_id"))
        .select_related("patient", "clinician__staff__user")
    )
    lot = Lot.objects.get(lot_number="AS05-26K11")
    for visit in waiting:
        clinician = visit.clinician.staff.user
        done_at = visit.start + timedelta(minutes=35)
        data = services.RecordInput(
            sclerosant=lot.sclerosant, concentration_percent=lot.concentration_percent, form="foam", foam_gas_parts=4,
            foam_liquid_parts=1, lot_number=lot.lot_number, lot_expires_on=lot.expires_on, weight_kg=Decimal("64"),
            areas=(
                services.AreaInput("right_front_calf", "spider", Decimal("1.0")),
                services.AreaInput("left_front_calf", "spider", Decimal("1.2")),
                services.AreaInput("right_back_thigh", "spider", Decimal("0.8")),
            ),
            injections=18, reactions=("none",), compression="class_2", compression_days=3,
            note="Tolerated well; walked for 20 minutes afterwards.",
        )
        services.record_save(appointment=visit, data=data, by=clinician, sign=True, now=done_at)
        booking_services.appointment_complete(appointment=visit, by=desk, now=visit.end)
        if not PhotoConsent.objects.filter(patient=visit.patient).exists():
            services.photo_consent_record(patient=visit.patient, given=True, how="signed the photo consent form",
                                          by=clinician, now=done_at)
