from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from clinic import audit
from clinic.access import get_for_user, get_patient_for_user, staff_required

from . import services
from .forms import HandleCheckInForm, answer_lines
from .models import CheckIn, DeliveryAttempt, Message
from .selectors import PROBLEM_STATUSES


@require_GET
@never_cache
@staff_required("aftercare.view_checkin")
def check_in_queue(request):
    open_items = list(CheckIn.objects.filter(handled_at__isnull=True).select_related("patient", "appointment__service"))
    for item in open_items:  # these are health answers: every view is on the record
        audit.record(actor=request.user, action="aftercare.check_in.viewed", patient=item.patient, obj=item)
        item.lines = answer_lines(item.answers, item.reasons)
    return render(request, "aftercare/check_in_queue.html", {"items": open_items, "form": HandleCheckInForm()})


@require_POST
@staff_required("aftercare.change_checkin")
def check_in_handle(request, pk):
    item = get_for_user(request.user, CheckIn, perm="aftercare.change_checkin", pk=pk)
    form = HandleCheckInForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please write what you did before marking it done.")
    else:
        try:
            services.check_in_handle(check_in=item, by=request.user, note=form.cleaned_data["note"])
            messages.success(request, f"Check-in of {item.patient.full_name} marked as dealt with.")
        except services.AftercareError as exc:
            messages.error(request, str(exc))
    return redirect("aftercare:check_in_queue")


@require_GET
@staff_required("aftercare.view_delivery_log")
def delivery_log(request, patient_pk):
    patient = get_patient_for_user(request.user, patient_pk)
    log = (
        Message.objects.filter(patient=patient)
        .select_related("appointment__service")
        .prefetch_related(Prefetch("attempt_log", queryset=DeliveryAttempt.objects.select_related("by")))
        .order_by("-send_at")
    )
    return render(request, "aftercare/delivery_log.html", {"patient": patient, "log": log, "problem_statuses": PROBLEM_STATUSES})


@require_GET
@staff_required("aftercare.view_delivery_log")
def problems(request):
    rows = Message.objects.filter(status__in=PROBLEM_STATUSES).select_related("patient", "appointment__service").order_by("send_at")
    return render(request, "aftercare/problems.html", {"rows": rows})


@require_POST
@staff_required("aftercare.view_delivery_log")
def resend(request, pk):
    message = get_for_user(request.user, Message, perm="aftercare.view_delivery_log", pk=pk)
    try:
        services.message_resend(message=message, by=request.user)
        messages.success(request, "It will go out again within a minute.")
    except services.AftercareError as exc:
        messages.error(request, str(exc))
    return redirect("aftercare:delivery_log", patient_pk=message.patient_id)
