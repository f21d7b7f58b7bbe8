"""The patient's intake pages. Thin: who may come in, a form, one service call, a redirect.

Every page is the logged-in patient's own (request.patient): there is no id in these URLs, so one
patient can never address another's answers. Pages that show health answers are never cached.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from clinic.access import patient_required

from . import selectors, services
from .forms import STEP_FORMS, ConsentForm, ReconfirmationForm, readable_answers
from .models import ConsentText, IntakeSettings
from .steps import LAST_STEP, STEP_TITLES


def _progress(step: int) -> dict:
    return {"step": step, "last_step": LAST_STEP, "step_title": STEP_TITLES[step],
            "percent": round(100 * step / LAST_STEP), "steps": STEP_TITLES}


@require_GET
@patient_required
def questionnaire(request):
    """The way in: continue a draft, see the standing result, or start."""
    draft = selectors.draft_for(request.patient)
    if draft is not None:
        return redirect("intake:step", step=draft.current_step)
    if selectors.current_screening(request.patient) is not None:
        return redirect("intake:result")
    return render(request, "intake/start.html", {"settings": IntakeSettings.for_clinic()})


@never_cache
@patient_required
@require_http_methods(["GET", "POST"])
def step(request, step):
    if step not in STEP_TITLES:
        raise Http404
    patient = request.patient
    draft = selectors.draft_for(patient)
    reached = draft.current_step if draft else 1
    if step > reached:
        return redirect("intake:step", step=reached)
    if step == LAST_STEP:
        return _review_and_send(request, draft)
    form_class = STEP_FORMS[step]
    initial = dict(draft.answers) if draft else {}
    initial.setdefault("date_of_birth", patient.date_of_birth.isoformat())
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and request.POST.get("go") == "back":
        return _save_and_go_back(request, form, step)
    if request.method == "POST" and form.is_valid():
        try:
            services.draft_save(patient=patient, step=step, answers=form.to_answers())
        except services.IntakeError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("intake:step", step=step + 1)
    return render(request, "intake/step.html", {"form": form, "draft": draft, **_progress(step)})


def _save_and_go_back(request, form, step):
    """"Back" keeps what was typed on this step, even unfinished: only answers that are valid."""
    complete = form.is_valid()
    kept = {name: value for name, value in form.to_answers().items() if name in form.cleaned_data}
    if kept:
        services.draft_save(patient=request.patient, step=step, answers=kept, step_done=complete)
    return redirect("intake:step", step=step - 1)


def _review_and_send(request, draft):
    text = ConsentText.current()
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.screening_submit(
                patient=request.patient, typed_name=form.cleaned_data["typed_name"], consent_text=text
            )
        except services.IntakeError as exc:
            form.add_error("typed_name" if "name" in str(exc) else None, str(exc))
        else:
            messages.success(request, "Thank you. We have your answers.")
            return redirect("intake:result")
    context = {
        "form": form, "draft": draft, "consent_text": text, "sections": readable_answers(draft.answers),
        **_progress(LAST_STEP),
    }
    return render(request, "intake/review.html", context)


@require_GET
@never_cache
@patient_required
def result(request):
    """What the screening found, in plain words, and what to do next."""
    patient = request.patient
    current = selectors.current_screening(patient)
    if current is None:
        return redirect("intake:questionnaire")
    screening_result = current.screening_result
    context = {
        "screening": current,
        "result": screening_result,
        "holding_flags": [f for f in screening_result.flags if f.severity != "advice"],
        "advice_flags": list(screening_result.advice),
        "verdict": selectors.screening_status(patient),
        "decision": selectors.latest_decision(current),
        "draft": selectors.draft_for(patient),
        "settings": IntakeSettings.for_clinic(),
    }
    return render(request, "intake/result.html", context)


@require_GET
@never_cache
@patient_required
def my_answers(request):
    current = selectors.current_screening(request.patient)
    if current is None:
        return redirect("intake:questionnaire")
    services.answers_viewed(viewer=request.user, screening=current)
    return render(request, "intake/my_answers.html",
                  {"screening": current, "sections": readable_answers(current.answers)})


@patient_required
@require_http_methods(["GET", "POST"])
def update(request):
    """Start again from the last answers (they changed, a clinician asked, or they ran out)."""
    if request.method == "POST":
        try:
            draft = services.screening_start_update(patient=request.patient)
        except services.IntakeError as exc:
            messages.info(request, str(exc))
            return redirect("intake:questionnaire")
        return redirect("intake:step", step=1 if draft.current_step >= LAST_STEP else draft.current_step)
    if selectors.current_screening(request.patient) is None:
        return redirect("intake:questionnaire")
    return render(request, "intake/update.html", {"draft": selectors.draft_for(request.patient)})


@patient_required
@require_http_methods(["GET", "POST"])
def consent(request):
    patient = request.patient
    text = ConsentText.current()
    signed = selectors.has_current_consent(patient)
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and not signed and form.is_valid():
        try:
            services.consent_sign(patient=patient, typed_name=form.cleaned_data["typed_name"], text=text)
        except services.IntakeError as exc:
            form.add_error("typed_name", str(exc))
        else:
            messages.success(request, "Thank you, the consent form is signed.")
            return redirect("intake:result" if selectors.current_screening(patient) else "intake:questionnaire")
    signature = patient.consents.filter(text=text).first() if signed else None
    return render(request, "intake/consent.html", {"form": form, "consent_text": text, "signature": signature})


@require_GET
@login_required
def consent_text(request, version):
    """Any published version of the consent text, word for word (what a patient signed)."""
    text = get_object_or_404(ConsentText, version=version)
    return render(request, "intake/consent_text.html", {"consent_text": text})


@never_cache
@patient_required
@require_http_methods(["GET", "POST"])
def reconfirm(request):
    """ "Anything changed?" in the days before a session."""
    patient = request.patient
    if selectors.current_screening(patient) is None:
        return redirect("intake:questionnaire")
    form = ReconfirmationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.reconfirmation_submit(patient=patient, changes=form.to_changes())
        except services.IntakeError as exc:
            form.add_error(None, str(exc))
        else:
            if made.changed:
                messages.info(request, "Thank you. We've updated your answers; please read what this means below.")
            else:
                messages.success(request, "Thank you for confirming. Nothing has changed, so you're all set.")
            return redirect("intake:result")
    return render(request, "intake/reconfirm.html", {"form": form})
