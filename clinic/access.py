"""Who may come in, in one idiom for every view.

- ``@staff_required("app.perm", ...)``: logged-in, active staff holding every permission named
  (none named: any active staff member), who passed the second factor this session. Others get
  403; visitors are sent to log in; staff still owing the second factor are sent to give it.
- ``@patient_required``: logged-in patients; the view gets the patient as ``request.patient``.
- ``get_for_user(user, queryset, pk=...)``: the one object this user may see. Staff see any row
  when they hold the model's view permission (403 when they don't); a patient sees only rows that
  belong to them; everyone else, and every miss, gets 404, so ids cannot be probed.

Staff accounts (a role, or the Django admin) need a second factor (TOTP) on top of the
password: ``second_factor_pending`` is true between the password and the code, and then nothing
but the second-factor pages opens (clinic.middleware.SecondFactorMiddleware, and again here).

Views never call ``has_perm`` or ``get_object_or_404`` to decide who may see what.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .models import Patient

# The largest id a database key holds: a bigger number in a URL is a miss (404), not a 500.
MAX_ID = 2**63 - 1


def is_staff_member(user) -> bool:
    return user.is_authenticated and user.role is not None


def needs_second_factor(user) -> bool:
    """Staff, and anyone who can enter the Django admin, log in with a second factor."""
    return user.is_authenticated and (user.is_staff or user.is_superuser or user.role is not None)


def has_second_factor(user) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_pending(user) -> bool:
    """Logged in with the password, but not yet with the code (django-otp's verified flag)."""
    return needs_second_factor(user) and not (hasattr(user, "is_verified") and user.is_verified())


def redirect_to_second_factor(request):
    step = "two_factor_verify" if has_second_factor(request.user) else "two_factor_setup"
    target = request.get_full_path() if request.method in ("GET", "HEAD") else reverse("home")
    return redirect(f"{reverse(step)}?{urlencode({'next': target})}")


def staff_required(*perms: str):
    """Logged-in, active staff holding every permission in ``perms`` (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not is_staff_member(request.user) or not request.user.has_perms(perms):
                raise PermissionDenied
            if second_factor_pending(request.user):
                return redirect_to_second_factor(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def second_factor_account_required(view):
    """Accounts that log in with a second factor (staff, admin users), once they gave it: their
    own second-factor settings. Others get 404."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not needs_second_factor(request.user):
            raise Http404
        if second_factor_pending(request.user):
            return redirect_to_second_factor(request)
        return view(request, *args, **kwargs)

    return wrapped


def patient_required(view):
    """Logged-in patients only; the view gets the patient as `request.patient`."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        patient = getattr(request.user, "patient", None)
        if patient is None:
            raise PermissionDenied
        request.patient = patient
        return view(request, *args, **kwargs)

    return wrapped


def _view_permission(model: type[Model]) -> str:
    return f"{model._meta.app_label}.view_{model._meta.model_name}"


def get_for_user(user, queryset: QuerySet | type[Model], *, owner: str = "patient", perm: str | None = None, **lookup):
    """The object matching ``lookup`` if ``user`` may see it.

    ``owner`` is the lookup path from the model to the Patient it belongs to ("patient",
    "appointment__patient", or "" for the Patient model itself). ``perm`` is the permission staff
    need, by default the model's view permission.
    """
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    if any(isinstance(value, int) and not 0 <= value <= MAX_ID for value in lookup.values()):
        raise Http404
    if is_staff_member(user):
        # A request's user carries django-otp's verdict; a User passed in from code (a service,
        # a command) has none and is not asked for it.
        if (hasattr(user, "is_verified") and second_factor_pending(user)) or not user.has_perm(perm or _view_permission(queryset.model)):
            raise PermissionDenied
    else:
        patient = getattr(user, "patient", None) if user.is_authenticated else None
        if patient is None:
            raise Http404
        queryset = queryset.filter(**{(f"{owner}" if owner else "pk"): patient.pk})
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_patient_for_user(user, pk) -> Patient:
    """The patient `pk` if this user may see them: staff with the permission, or the patient themself."""
    return get_for_user(user, Patient, owner="", pk=pk)
