from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from . import health, services
from .access import get_patient_for_user, is_staff_member, patient_required, staff_required
from .forms import PatientSearchForm, ProfileForm, SignUpForm
from .models import Patient, User

PATIENT_SEARCH_LIMIT = 50


def home(request):
    """Everyone's front door: visitors see the clinic, people who are logged in land on their home."""
    if not request.user.is_authenticated:
        return render(request, "clinic/landing.html")
    if is_staff_member(request.user):
        return redirect("staff_home")
    if getattr(request.user, "patient", None) is not None:
        return redirect("patient_home")
    if request.user.is_superuser:
        return redirect("admin:index")
    return render(request, "clinic/no_role.html", status=403)


def sign_up(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_sign_up(
                email=form.cleaned_data["email"], password=form.cleaned_data["password1"], details=form.patient_details()
            )
        except services.ClinicError as exc:
            form.add_error(None, str(exc))
        else:
            login(request, patient.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {patient.first_name}. We sent a link to {patient.email}: open it to confirm your address.")
            return redirect("patient_home")
    return render(request, "clinic/sign_up.html", {"form": form})


def verify_email(request, uidb64, token):
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is None:
        messages.error(request, "This confirmation link is invalid. Log in to get a new one.")
        return redirect("home")
    try:
        services.user_verify_email(user=user, token=token)
    except services.ClinicError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Thank you, your e-mail address is confirmed.")
    return redirect("home")


@require_POST
@login_required
def resend_verification(request):
    if request.user.email_verified:
        messages.info(request, "Your e-mail address is already confirmed.")
    else:
        services.send_verification_email(request.user)
        messages.success(request, f"We sent a new confirmation link to {request.user.email}.")
    return redirect("home")


@patient_required
def patient_home(request):
    return render(request, "clinic/patient_home.html", {"patient": request.patient})


@patient_required
def profile_edit(request):
    patient = request.patient
    initial = {f: getattr(patient, f) for f in ("first_name", "last_name", "email", "date_of_birth", "phone", "preferred_channel", "sms_consent")}
    form = ProfileForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update_profile(patient=patient, email=form.cleaned_data["email"], details=form.patient_details())
        except services.ClinicError as exc:
            form.add_error(None, str(exc))
        else:
            request.user.refresh_from_db()
            if not request.user.email_verified:
                messages.info(request, f"Saved. We sent a confirmation link to {request.user.email}.")
            else:
                messages.success(request, "Your details are saved.")
            return redirect("patient_home")
    return render(request, "clinic/profile_form.html", {"form": form})


@login_required
def patient_detail(request, pk):
    patient = get_patient_for_user(request.user, pk)
    return render(request, "clinic/patient_detail.html", {"patient": patient})


@staff_required()
def staff_home(request):
    form = PatientSearchForm(request.GET or None)
    patients = Patient.objects.none()
    query = ""
    if form.is_valid() and form.cleaned_data["q"].strip() and request.user.has_perm("clinic.view_patient"):
        query = form.cleaned_data["q"].strip()
        terms = Q()
        for word in query.split():
            terms &= (
                Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word) | Q(phone__icontains=word)
            )
        patients = Patient.objects.filter(terms)[:PATIENT_SEARCH_LIMIT]
    return render(request, "clinic/staff_home.html", {"form": form, "patients": patients, "query": query})


@staff_required("clinic.change_clinic")
def clinic_settings(request):
    """The clinic admin's settings pages start here; each app adds its own tabs (settings_nav)."""
    return render(request, "clinic/settings/index.html")


@require_safe
@never_cache
def health_check(request):
    """For load balancers and monitors: JSON, no patient data (clinic/health.py says what it means)."""
    status, body = health.report()
    if body.get("status") == "degraded" and not (body["dispatcher"]["ok"] and body["oldest_due_message"]["ok"]):
        health.alert_if_stalled(background=True)  # the clinic admin hears of it once, directly
    if request.GET.get("strict") and body.get("status") != "ok":
        status = 503  # for monitors that read only the status code
    return JsonResponse(body, status=status)
