from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from booking.models import Appointment, ServiceKind, Status
from clinic.access import get_for_user, patient_required

from . import services
from .forms import CheckInForm
from .models import CheckIn
from .selectors import aftercare_status


def _own_completed_session(user, pk) -> Appointment:
    return get_for_user(
        user, Appointment.objects.filter(status=Status.COMPLETED, service__kind=ServiceKind.SESSION), pk=pk
    )


@require_GET
@patient_required
def today(request):
    status = aftercare_status(request.patient)
    return render(request, "aftercare/today.html", {"last": status.last, "days": status.days, "check_in_due": status.check_in_due})


@require_http_methods(["GET", "POST"])
@never_cache
@patient_required
def check_in(request, pk):
    appointment = _own_completed_session(request.user, pk)
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record = services.check_in_submit(appointment=appointment, answers=form.answers(), by=request.user)
        return redirect("aftercare:check_in_result", pk=record.pk)
    return render(request, "aftercare/check_in.html", {"form": form, "appointment": appointment})


@require_GET
@never_cache
@patient_required
def check_in_result(request, pk):
    record = get_for_user(request.user, CheckIn, pk=pk)
    return render(request, "aftercare/check_in_result.html", {"record": record})
