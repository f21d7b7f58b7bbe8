from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from . import audit, health, selectors, services
from .access import get_for_user, is_staff_member, patient_required, staff_required
from .forms import PatientSearchForm, ProfileForm, SignUpForm
from .models import Patient, User
from .security import limit, posted_address

PATIENT_SEARCH_LIMIT = 50


@require_GET
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


@require_http_methods(["GET", "POST"])
@limit("sign_up_address", key=posted_address)
@limit("sign_up")
def sign_up(request):
    """The same answer whether or not the address has an account: "check your e-mail"."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_sign_up(
                email=form.cleaned_data["email"], password=form.cleaned_data["password1"], details=form.patient_details()
            )
        except services.ClinicError as exc:
            form.add_error(None, str(exc))
        else:
            request.session["sign_up_email"] = form.cleaned_data["email"]
            return redirect("sign_up_done")
    return render(request, "clinic/sign_up.html", {"form": form})


@require_GET
def sign_up_done(request):
    return render(request, "clinic/sign_up_done.html", {"email": request.session.get("sign_up_email", "")})


@require_GET
def verify_email(request, uidb64, token):
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is None:
        messages.error(request, _("This confirmation link is invalid. Log in to get a new one."))
        return redirect("home")
    try:
        services.user_verify_email(user=user, token=token)
    except services.ClinicError as exc:
        messages.error(request, str(exc))
        return redirect("home")
    if request.user.is_authenticated:
        messages.success(request, _("Thank you, your e-mail address is confirmed."))
        return redirect("home")
    messages.success(request, _("Thank you, your e-mail address is confirmed. Log in to continue."))
    return redirect("login")


@require_GET
@patient_required
def patient_home(request):
    return render(request, "clinic/patient_home.html", {"patient": request.patient})


@require_http_methods(["GET", "POST"])
@patient_required
def profile_edit(request):
    patient = request.patient
    initial = {f: getattr(patient, f) for f in ("first_name", "last_name", "date_of_birth", "phone", "preferred_channel", "sms_consent")}
    initial["email"] = request.user.email
    form = ProfileForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update_profile(patient=patient, email=form.cleaned_data["email"], details=form.patient_details())
        except services.ClinicError as exc:
            form.add_error(None, str(exc))
        else:
            if form.cleaned_data["email"] != request.user.email.lower():
                messages.info(request, _("Saved. To use %(new)s, open the link we sent there; until then we keep writing to %(old)s.")
                              % {"new": form.cleaned_data["email"], "old": request.user.email})
            else:
                messages.success(request, _("Your details are saved."))
            return redirect("patient_home")
    return render(request, "clinic/profile_form.html", {"form": form})


@never_cache
@require_GET
@login_required
def patient_detail(request, pk):
    """The patient's chart: each app adds its parts (page_sections "patient_detail"), showing
    only what the viewer's role may read. Every view of it is on the audit log."""
    patient = get_for_user(request.user, Patient.objects.select_related("user"), owner="", pk=pk)
    audit.record(actor=request.user, action="clinic.chart.viewed", patient=patient, obj=patient)
    return render(request, "clinic/patient_detail.html", {"patient": patient})


@never_cache
@require_GET
@staff_required()
def staff_home(request):
    """The staff member's day: find a patient, then the worklist other apps fill in (staff_home)."""
    form = PatientSearchForm(request.GET or None)
    patients = []
    query = ""
    if form.is_valid() and form.cleaned_data["q"].strip() and request.user.has_perm("clinic.view_patient"):
        query = form.cleaned_data["q"].strip()
        patients = list(selectors.patient_search(query, limit=PATIENT_SEARCH_LIMIT))
    return render(request, "clinic/staff_home.html", {"form": form, "patients": patients, "query": query})


@require_GET
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
