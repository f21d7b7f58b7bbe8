from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .models import Clinic


def clinic(request):
    return {"clinic": SimpleLazyObject(Clinic.objects.current)}


def session(request):
    """How long this login may sit idle, for the warning a minute before (static/js/session-timeout.js)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .middleware import idle_limit_seconds

    return {"session_idle_seconds": idle_limit_seconds(user), "session_max_hours": settings.SESSION_MAX_HOURS}
