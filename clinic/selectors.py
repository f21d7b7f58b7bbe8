"""Reads of the clinic's own records that are more than a filter."""

from datetime import datetime

from django.db.models import Q, QuerySet

from .models import AuditEvent, Patient


def audit_events(*, since: datetime, until: datetime) -> QuerySet[AuditEvent]:
    """Entries in [since, until), oldest first, with who and whose (the export reads them all)."""
    return AuditEvent.objects.filter(at__gte=since, at__lt=until).select_related("actor", "patient").order_by("at", "pk")


def history_of(obj) -> QuerySet[AuditEvent]:
    """Every entry about one object, oldest first (e.g. a visit's booking history)."""
    return (AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
            .select_related("actor").order_by("at", "pk"))


def patient_search(query: str, *, limit: int) -> QuerySet[Patient]:
    """Patients whose name, e-mail or phone contain every word of ``query`` (a cleaned form value:
    PatientSearchForm refuses what a database cannot compare, e.g. a NUL character)."""
    terms = Q()
    for word in query.split():
        terms &= Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word) | Q(phone__icontains=word)
    return Patient.objects.filter(terms)[:limit] if terms else Patient.objects.none()
