from django.contrib import messages
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from booking.models import Appointment
from clinic import audit, delivery
from clinic.access import get_for_user, get_patient_for_user, staff_required
from clinic.models import PROBLEM_STATUSES, Clinic, DeliveryAttempt, OutboxMessage

from . import services
from .forms import HandleCheckInForm, QuietHoursForm, answer_lines
from .models import CheckIn, MessageSettings


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
@staff_required("clinic.view_delivery_log")
def delivery_log(request, patient_pk):
    patient = get_patient_for_user(request.user, patient_pk)
    log = (
        OutboxMessage.objects.filter(patient=patient)
        .prefetch_related(
            GenericPrefetch("about", [Appointment.objects.select_related("service")]),
            Prefetch("attempt_log", queryset=DeliveryAttempt.objects.select_related("by")),
        )
        .order_by("-send_at")
    )
    return render(request, "aftercare/delivery_log.html", {"patient": patient, "log": log, "problem_statuses": PROBLEM_STATUSES})


@require_GET
@staff_required("clinic.view_delivery_log")
def problems(request):
    """Every kind of message that failed for good or may not have gone out, whoever it was for."""
    rows = OutboxMessage.objects.filter(status__in=PROBLEM_STATUSES).select_related("patient", "user").order_by("send_at")
    return render(request, "aftercare/problems.html", {"rows": rows})


@require_POST
@staff_required("clinic.view_delivery_log")
def resend(request, pk):
    message = get_for_user(request.user, OutboxMessage, perm="clinic.view_delivery_log", pk=pk)
    try:
        delivery.message_resend(message=message, by=request.user)
        messages.success(request, "It will go out again within a minute.")
    except delivery.OutboxError as exc:
        messages.error(request, str(exc))
    if message.patient_id is None:
        return redirect("aftercare:problems")
    return redirect("aftercare:delivery_log", patient_pk=message.patient_id)


@require_http_methods(["GET", "POST"])
@staff_required("aftercare.change_messagesettings")
def message_settings(request):
    """The clinic admin's settings tab for messages: the quiet hours of text messages."""
    current = MessageSettings.for_clinic()
    form = QuietHoursForm(request.POST or None, initial={
        "sms_quiet_start": current.sms_quiet_start, "sms_quiet_end": current.sms_quiet_end,
    })
    if request.method == "POST" and form.is_valid():
        try:
            services.message_settings_save(clinic=Clinic.objects.current(), by=request.user, **form.cleaned_data)
        except services.AftercareError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved. Text messages wait out the new quiet hours from now on."))
            return redirect("aftercare:message_settings")
    return render(request, "aftercare/settings/messages.html", {"form": form, "current": current})
