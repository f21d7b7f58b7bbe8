"""Who may come in. Every view uses one of these; objects are fetched *for this user* (404 otherwise)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Patient, Role


def is_staff_member(user) -> bool:
    return user.is_authenticated and user.role is not None


def staff_required(*roles: Role):
    """Logged-in, active staff; limited to the given roles when any are named."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            role = request.user.role
            if role is None or (roles and role not in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


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


def get_patient_for_user(user, pk: int) -> Patient:
    """The patient `pk` if this user may see them: staff with the permission, or the patient themself.

    Anyone else gets 404, not 403, so patient ids cannot be probed.
    """
    if is_staff_member(user) and user.has_perm("clinic.view_patient"):
        queryset = Patient.objects.all()
    elif getattr(user, "patient", None) is not None:
        queryset = Patient.objects.filter(user=user)
    else:
        raise Http404
    try:
        return queryset.get(pk=pk)
    except Patient.DoesNotExist:
        raise Http404 from None
