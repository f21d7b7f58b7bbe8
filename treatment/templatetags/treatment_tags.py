"""Small filters for the treatment pages: volumes and percentages without float noise."""

from decimal import Decimal, InvalidOperation

from django import template

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
