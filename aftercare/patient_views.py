from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache

from booking.models import Appointment, ServiceKind, Status
from clinic.access import patient_required

from . import services
from .forms import CheckInForm
from .models import CheckIn
from .selectors import aftercare_status


def _own_completed_session(patient, pk) -> Appointment:
    return get_object_or_404(
        Appointment, pk=pk, patient=patient, status=Status.COMPLETED, service__kind=ServiceKind.SESSION
    )


@patient_required
def today(request):
    status = aftercare_status(request.patient)
    return render(request, "aftercare/today.html", {"last": status.last, "days": status.days, "check_in_due": status.check_in_due})


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
