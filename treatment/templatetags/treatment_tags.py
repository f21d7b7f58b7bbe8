"""Small filters for the treatment pages: volumes and percentages without float noise."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext

from treatment import areas, dose

register = template.Library()


@register.filter
def ml(value) -> str:
    """Decimal("10.50") -> "10.5"; anything else shown as it is."""
    try:
        return dose.fmt(Decimal(value))
    except (InvalidOperation, TypeError, ValueError):
        return "" if value is None else str(value)


@register.filter
def area_label(code: str) -> str:
    return areas.label(code)


_UNITS = {"session_volume_ml": " mL", "injection_volume_ml": " mL", "daily_mg_per_kg": " mg/kg a day",
          "concentration_percent": "%"}


@register.filter
def limit_range(limit) -> str:
    """A DoseLimit's bounds in words: "up to 10 mL", "from 11.7%", "0.1–0.3 mL"."""
    unit = _UNITS.get(limit.kind, "")
    low, high = limit.minimum, limit.maximum
    if low is not None and high is not None:
        return f"{dose.fmt(low)}–{dose.fmt(high)}{unit}"
    if high is not None:
        return gettext("up to %(value)s") % {"value": f"{dose.fmt(high)}{unit}"}
    return gettext("from %(value)s") % {"value": f"{dose.fmt(low)}{unit}"}
