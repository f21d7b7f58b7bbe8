"""The audit trail: one call, one row. Other apps import this; it imports nothing of theirs."""

from typing import Any

from django.db import models

from .models import AuditEvent, Patient


def record(
    *,
    actor,
    action: str,
    patient: Patient | None = None,
    obj: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event now (inside the caller's transaction, so it commits with the change).

    `actor` is a User, an AnonymousUser or None (the system). `details` must never carry health
    answers or free text a patient typed: ids, codes and decisions only.
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        patient=patient,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        details=details or {},
    )
