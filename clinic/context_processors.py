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


def message_flow(request):
    """For the red banner on staff pages (templates/base.html): are messages going out?

    Lazy: only pages that show the banner (staff pages) read it, with the menu's other figures.
    """
    def flow():
        from . import health

        return health.banner_flow()

    return {"message_flow": SimpleLazyObject(flow)}
