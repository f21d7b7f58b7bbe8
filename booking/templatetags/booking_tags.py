from django import template
from django.utils import timezone

from booking import selectors

register = template.Library()


@register.inclusion_tag("booking/_patient_section.html", takes_context=True)
def booking_patient_section(context, patient):
    """The patient home's "My appointments" card (clinic's page must not import booking)."""
    upcoming, _ = selectors.appointments_for_patient(patient, now=timezone.now())
    return {"patient": patient, "upcoming": upcoming[:3], "more": max(0, len(upcoming) - 3), "user": context.get("user")}
