from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from booking.models import Appointment, ServiceKind, Status
from clinic.access import patient_required
from clinic.models import Clinic

from . import services
from .forms import CheckInForm
from .models import CheckIn
from .plan import aftercare_days

CHECK_IN_OPEN_DAYS = 14


def _own_completed_session(patient, pk) -> Appointment:
    return get_object_or_404(
        Appointment, pk=pk, patient=patient, status=Status.COMPLETED, service__kind=ServiceKind.SESSION
    )


@patient_required
def today(request):
    tz = Clinic.objects.current_time_zone()
    last = (
        Appointment.objects.filter(patient=request.patient, status=Status.COMPLETED, service__kind=ServiceKind.SESSION)
        .order_by("-start").first()
    )
    days, check_in_due = [], False
    if last is not None:
        session_day = last.start.astimezone(tz).date()
        today_local = timezone.localdate()
        days = aftercare_days(session_day, today_local)
        check_in_due = (
            (today_local - session_day).days <= CHECK_IN_OPEN_DAYS and not last.check_ins.exists()
        )
    return render(request, "aftercare/today.html", {"last": last, "days": days, "check_in_due": check_in_due})


@never_cache
@patient_required
def check_in(request, pk):
    appointment = _own_completed_session(request.patient, pk)
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record = services.check_in_submit(appointment=appointment, answers=form.answers(), by=request.user)
        return redirect("aftercare:check_in_result", pk=record.pk)
    return render(request, "aftercare/check_in.html", {"form": form, "appointment": appointment})


@never_cache
@patient_required
def check_in_result(request, pk):
    record = get_object_or_404(CheckIn, pk=pk, patient=request.patient)
    return render(request, "aftercare/check_in_result.html", {"record": record})
