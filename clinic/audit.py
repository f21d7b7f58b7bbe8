"""The audit trail: one call, one row. Other apps import this; it imports nothing of theirs.

Everything that is audited goes here, with a namespaced action: views and changes of health
answers and treatment records, bookings (booking.appointment.*), logins, roles and permissions.
The table is append-only: a database trigger refuses UPDATE and DELETE (clinic migration 0005),
and the admin shows it read-only.
"""

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from .models import AuditEvent, Patient


def _actor(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def record(
    *,
    actor,
    action: str,
    patient: Patient | None = None,
    obj: models.Model | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Write one audit event now (inside the caller's transaction, so it commits with the change).

    `actor` is a User, an AnonymousUser or None (the system). `details` must never carry health
    answers or free text a patient typed: ids, codes, decisions and staff's own notes only.
    """
    return AuditEvent.objects.create(
        actor=_actor(actor),
        action=action,
        patient=patient,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        details=details or {},
        at=at or timezone.now(),
    )


def record_views(*, actor, action: str, objects: Iterable[models.Model], patient_of: Callable[[Any], Patient | None]) -> None:
    """One "viewed" entry per object shown (a list page of health records), in one query."""
    now = timezone.now()
    AuditEvent.objects.bulk_create([
        AuditEvent(actor=_actor(actor), action=action, patient=patient_of(obj), object_type=obj._meta.label_lower,
                   object_id=str(obj.pk), at=now)
        for obj in objects
    ])


def details_text(details: dict) -> str:
    return json.dumps(details, sort_keys=True, ensure_ascii=False, default=str) if details else ""
