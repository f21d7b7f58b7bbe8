from django.utils import timezone

from .models import Clinic


class ClinicTimeZoneMiddleware:
    """Show every date and time in the clinic's zone, whoever is looking and from wherever."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.activate(Clinic.objects.current_time_zone())
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
