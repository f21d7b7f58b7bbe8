"""What the patient's pages show about aftercare: read-only queries."""

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from booking.models import Appointment, ServiceKind, Status
from clinic import chrome
from clinic.models import Clinic

from .models import CheckIn
from .plan import aftercare_days

CHECK_IN_OPEN_DAYS = 14  # after this a check-in is no use: the patient is told to call instead


@dataclass
class AftercareStatus:
    last: Appointment | None = None  # the patient's last completed treatment session
    days: list = field(default_factory=list)  # today and the coming days' advice, from aftercare_days
    check_in_due: bool = False


def aftercare_status(patient, *, today: date | None = None) -> AftercareStatus:
    last = (
        Appointment.objects.filter(patient=patient, status=Status.COMPLETED, service__kind=ServiceKind.SESSION)
        .order_by("-start").first()
    )
    if last is None:
        return AftercareStatus()
    session_day = last.start.astimezone(Clinic.objects.current_time_zone()).date()
    today = today or timezone.localdate()
    check_in_due = (today - session_day).days <= CHECK_IN_OPEN_DAYS and not last.check_ins.exists()
    return AftercareStatus(last=last, days=aftercare_days(session_day, today), check_in_due=check_in_due)


def open_counts() -> dict[str, int]:
    """For the staff menu: check-ins not yet dealt with, messages that failed or may not have gone.
    Read with the other figures every staff page shows, in one statement (clinic.chrome)."""
    figures = chrome.figures()
    return {"open_check_ins": figures["open_check_ins"], "message_problems": figures["outbox_problems"]}


def register_figures() -> None:
    chrome.register("open_check_ins", f"SELECT COUNT(*) FROM {CheckIn._meta.db_table} WHERE handled_at IS NULL")
