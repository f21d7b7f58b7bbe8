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


def remove_locked_rows() -> None:
    """For transactional (browser) tests only: the test database is emptied with DELETE on
    SQLite, which the guards refuse for signed records and notes. This takes the guards off,
    removes those rows, and puts the guards back, before the test database is flushed."""
    from django.db import connection

    from treatment import db_guards
    from treatment.models import ClinicalNote, Photo, PhotoConsent, TreatedArea, TreatmentRecord

    db_guards.uninstall(connection)
    try:
        Photo.objects.all().delete()
        PhotoConsent.objects.all().delete()
        ClinicalNote.objects.all().delete()
        TreatedArea.objects.all().delete()
        while TreatmentRecord.objects.exists():  # amendments first: each protects the version it amends
            TreatmentRecord.objects.filter(amended_by__isnull=True).delete()
    finally:
        db_guards.install(connection)
