"""For tests of other apps that close a treatment session: the signed record booking now asks for."""

from datetime import timedelta
from decimal import Decimal

from booking import services as booking_services
from booking.models import Status
from treatment import services
from treatment.services import AreaInput, RecordInput


def sign_treatment(appointment, *, by, now=None) -> None:
    """Checks the visit in if it is still booked, then records and signs a small treatment
    (0.5% polidocanol, 1 mL on one calf), as the clinician would before closing the visit."""
    if appointment.status == Status.BOOKED:
        booking_services.appointment_check_in(appointment=appointment, by=by, now=now)
        appointment.refresh_from_db()
    data = RecordInput(
        sclerosant="polidocanol", concentration_percent=Decimal("0.5"), form="liquid", lot_number="TEST-LOT",
        lot_expires_on=appointment.start.date() + timedelta(days=365), weight_kg=Decimal("65"),
        areas=(AreaInput("left_front_calf", "spider", Decimal("1")),), injections=5, compression="class_2",
        compression_days=3,
    )
    services.record_save(appointment=appointment, data=data, by=by, sign=True, now=now)
