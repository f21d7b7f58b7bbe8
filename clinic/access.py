"""Who may come in, in one idiom for every view.

- ``@staff_required("app.perm", ...)``: logged-in, active staff holding every permission named
  (none named: any active staff member). Others get 403; visitors are sent to log in.
- ``@patient_required``: logged-in patients; the view gets the patient as ``request.patient``.
- ``get_for_user(user, queryset, pk=...)``: the one object this user may see. Staff see any row
  when they hold the model's view permission (403 when they don't); a patient sees only rows that
  belong to them; everyone else, and every miss, gets 404, so ids cannot be probed.

Views never call ``has_perm`` or ``get_object_or_404`` to decide who may see what.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from .models import Patient


def is_staff_member(user) -> bool:
    return user.is_authenticated and user.role is not None


def staff_required(*perms: str):
    """Logged-in, active staff holding every permission in ``perms`` (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not is_staff_member(request.user) or not request.user.has_perms(perms):
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
    if is_staff_member(user):
        if not user.has_perm(perm or _view_permission(queryset.model)):
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
