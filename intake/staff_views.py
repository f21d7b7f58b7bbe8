"""Staff pages of the intake: the clinicians' review queue and one screening's answers.

Health answers need ``intake.view_health_answers`` (clinicians): front desk get 403 and see only
the status, on the patient's page. Every view of answers is audited; pages are never cached.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.access import get_for_user, staff_required

from . import selectors, services
from .forms import DecisionForm, IntakeSettingsForm, field_label, readable_answers
from .models import IntakeSettings, Screening, ScreeningStatus


def _get_screening_for_user(user, pk: int) -> Screening:
    """The screening `pk` if this staff member may read health answers (403 otherwise, 404 if none)."""
    return get_for_user(
        user, Screening.objects.select_related("patient").exclude(status=ScreeningStatus.DRAFT),
        perm="intake.view_health_answers", pk=pk,
    )


@require_GET
@never_cache
@staff_required("intake.review_screening")
def review_queue(request):
    context = {
        "waiting": selectors.review_queue(),
        "others": selectors.other_flagged(),
        "awaiting_patient": selectors.awaiting_patient(),
        "settings": IntakeSettings.for_clinic(),
    }
    return render(request, "intake/staff/review_queue.html", context)


def _render_screening(request, screening: Screening, form: DecisionForm | None = None, status: int = 200):
    result = screening.screening_result
    triggers = {name for flag in result.flags for name in flag.triggers}
    spans = [span for flag in result.flags for span in flag.spans]
    contradictions = [
        {**item, "question_label": field_label(item["question"]), "box_label": field_label(item["field"])}
        for flag in result.flags if flag.code == "answers.contradiction"
        for item in flag.details.get("contradictions", [])
    ]
    previous = screening.previous.screening_result if screening.previous and screening.previous.result else None
    services.answers_viewed(viewer=request.user, screening=screening)
    context = {
        "screening": screening,
        "patient": screening.patient,
        "result": result,
        "new_flag_codes": {f.code for f in result.flags_added_since(previous)} if previous else set(),
        "sections": readable_answers(screening.answers, highlight=triggers, spans=spans),
        "contradictions": contradictions,
        "decisions": screening.decisions.select_related("clinician"),
        "can_decide": request.user.has_perm("intake.review_screening") and screening.status == ScreeningStatus.SUBMITTED,
        "form": form or DecisionForm(),
        "history": screening.patient.screenings.exclude(status=ScreeningStatus.DRAFT).order_by("-submitted_at"),
    }
    return render(request, "intake/staff/screening.html", context, status=status)


@require_GET
@never_cache
@staff_required("intake.view_health_answers")
def screening_answers(request, pk):
    return _render_screening(request, _get_screening_for_user(request.user, pk))


@never_cache
@require_POST
@staff_required("intake.review_screening", "intake.view_health_answers")
def screening_decide(request, pk):
    screening = _get_screening_for_user(request.user, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.screening_decide(
                screening=screening, clinician=request.user, decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"], patient_message=form.cleaned_data["patient_message"],
            )
        except services.IntakeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Decision saved. {screening.patient.first_name} has been e-mailed to log in.")
            return redirect("intake:review_queue")
    return _render_screening(request, screening, form, status=400)


@require_http_methods(["GET", "POST"])
@staff_required("intake.change_intakesettings")
def intake_settings(request):
    """The intake tab of the clinic settings."""
    form = IntakeSettingsForm(request.POST or None, instance=IntakeSettings.for_clinic())
    if request.method == "POST" and form.is_valid():
        try:
            services.intake_settings_update(changes=form.cleaned_data, by=request.user)
        except services.IntakeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "The intake settings are saved.")
            return redirect("intake:settings")
    return render(request, "intake/staff/settings.html", {"form": form})
