"""Accounts: log in (with staff's second factor), passwords, e-mail address changes, session checks.

Thin views: a rate limit where a script could hammer, a form, one service call, a redirect.
"""

import math
import time

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login

from . import audit, services, two_factor
from .access import has_second_factor, second_factor_account_required, second_factor_pending
from .forms import EmailLoginForm, OutboxPasswordResetForm, SecondFactorForm
from .middleware import SESSION_SEEN, idle_limit_seconds
from .security import limit, posted_address, user_address


def _next_url(request, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default)


login = require_http_methods(["GET", "POST"])(limit("login")(
    auth_views.LoginView.as_view(authentication_form=EmailLoginForm, redirect_authenticated_user=True)
))


# --- staff second factor ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def two_factor_setup(request):
    """First login of a staff member: scan the QR code, type the code the app shows."""
    if not second_factor_pending(request.user):
        return redirect(_next_url(request))
    if has_second_factor(request.user):
        return redirect(reverse("two_factor_verify") + (f"?{request.GET.urlencode()}" if request.GET else ""))
    device = two_factor.device_for_setup(request.user)
    form = SecondFactorForm(request.POST or None, label=_("The 6-digit code your app shows"))
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.device_confirm(user=request.user, token=form.cleaned_data["code"])
        except services.ClinicError as exc:
            form.add_error("code", str(exc))
        else:
            otp_login(request, device)
            messages.success(request, _("Two-factor sign-in is on. Keep these recovery codes somewhere safe."))
            return redirect(f"{reverse('two_factor_recovery_codes')}?next={_next_url(request)}")
    context = {"form": form, "qr_svg": two_factor.qr_svg(device), "secret": two_factor.secret_text(device),
               "next": _next_url(request)}
    return render(request, "clinic/two_factor/setup.html", context)


@require_http_methods(["GET", "POST"])
@limit("second_factor", key="user_or_ip")
@login_required
def two_factor_verify(request):
    """Every staff login: the code from the app (or a recovery code)."""
    if not second_factor_pending(request.user):
        return redirect(_next_url(request))
    if not has_second_factor(request.user):
        return redirect(reverse("two_factor_setup") + (f"?{request.GET.urlencode()}" if request.GET else ""))
    form = SecondFactorForm(request.POST or None, label=_("Code from your authenticator app"), recovery=True)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.verify(user=request.user, token=form.cleaned_data["code"])
        except services.ClinicError as exc:
            form.add_error("code", str(exc))
        else:
            otp_login(request, device)
            request.session.cycle_key()  # a new session id once fully logged in
            if device.persistent_id.startswith("otp_static"):
                messages.warning(request, _("You used a recovery code; each works once. Make new ones if few are left."))
            return redirect(_next_url(request))
    return render(request, "clinic/two_factor/verify.html", {"form": form, "next": _next_url(request)})


@require_http_methods(["GET", "POST"])
@second_factor_account_required
def two_factor_recovery_codes(request):
    if request.method == "POST":
        two_factor.recovery_codes_renew(user=request.user)
        messages.success(request, _("New recovery codes are ready; the old ones no longer work."))
        return redirect("two_factor_recovery_codes")
    return render(request, "clinic/two_factor/recovery_codes.html",
                  {"codes": two_factor.recovery_codes(request.user), "next": _next_url(request)})


# --- passwords ----------------------------------------------------------------------------------


password_reset = require_http_methods(["GET", "POST"])(limit("password_reset_address", key=posted_address)(
    limit("password_reset")(auth_views.PasswordResetView.as_view(form_class=OutboxPasswordResetForm))
))


class PasswordChangeView(auth_views.PasswordChangeView):
    """Needs the current password; every other session of this user ends (Django's session hash)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(actor=self.request.user, action="clinic.account.password_changed", obj=self.request.user)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(actor=form.user, action="clinic.account.password_reset", obj=form.user)
        return response


# --- e-mail address -------------------------------------------------------------------------------


@require_GET
def email_change_confirm(request, token):
    try:
        user = services.email_change_confirm(token=token)
    except services.ClinicError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Thank you: %(email)s is now the address of your account.") % {"email": user.email})
    return redirect("home")


@require_http_methods(["POST"])
@limit("verification_address", key=user_address)
@login_required
def resend_verification(request):
    if request.user.email_verified:
        messages.info(request, _("Your e-mail address is already confirmed."))
    else:
        services.send_verification_email(request.user)
        messages.success(request, _("We sent a new confirmation link to %(email)s.") % {"email": request.user.email})
    return redirect("home")


# --- the session ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def session_status(request):
    """For the idle warning's script. GET: seconds left (not activity). POST: "I'm still here"."""
    if not request.user.is_authenticated:
        return JsonResponse({"seconds_left": 0}, status=401)
    if request.method == "POST":
        request.session[SESSION_SEEN] = time.time()
    left = request.session[SESSION_SEEN] + idle_limit_seconds(request.user) - time.time()
    # Rounded up: "0" must mean the server has ended the session, or the page would go to the
    # login page a moment early and find itself still logged in.
    return JsonResponse({"seconds_left": max(0, math.ceil(left))})


def too_many_requests(request, exception=None):
    """django-ratelimit's answer (RATELIMIT_VIEW): what happened and what to do, in plain words."""
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "600"
    return response

