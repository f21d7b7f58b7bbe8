from django.utils.functional import SimpleLazyObject

from .models import Clinic


def clinic(request):
    return {"clinic": SimpleLazyObject(Clinic.objects.current)}


def message_flow(request):
    """For the red banner on staff pages (templates/base.html): are messages going out?

    Lazy: only pages that show the banner (staff pages) pay for the few indexed queries.
    """
    def flow():
        from . import health

        return health.snapshot(count=False).flow

    return {"message_flow": SimpleLazyObject(flow)}
