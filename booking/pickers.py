"""The day strip and the free times of the selected day: shared by the patient's and the desk's pages."""

from __future__ import annotations

from datetime import datetime, timedelta

from . import availability, selectors
from .forms import parse_day
from .models import Service

DAYS_PER_PAGE = 14


def slot_page(
    params,
    *,
    service: Service,
    now: datetime,
    within=None,
    exclude_appointment_id: int | None = None,
    staff: bool = False,
    room_id: int | None = None,
) -> dict:
    """The day strip and the selected day's times: one slot query for 14 days.

    Reads ``day``, ``from`` and ``clinician`` from ``params`` (the query string; bad values are ignored).
    Patients see the clinicians bookable online and the clinic's notice; staff see everyone, from now.
    """
    clinic = selectors.current_clinic()
    policy = selectors.policy_for(clinic)
    tz = clinic.tzinfo
    earliest = (now if staff else now + policy.notice).astimezone(tz).date()
    horizon = selectors.slot_policy(policy, now=now, staff=staff).horizon if staff else timedelta(days=policy.horizon_days)
    latest = (now + horizon).astimezone(tz).date()
    if within is not None:
        earliest, latest = max(earliest, within.first_day), within.last_day
    clinician_id = None
    clinicians = service.clinicians.filter(staff__is_active=True).select_related("staff__user")
    if not staff:
        clinicians = clinicians.filter(is_bookable=True)
    clinicians = list(clinicians)
    chosen = str(params.get("clinician", ""))
    if chosen.isdigit() and any(c.pk == int(chosen) for c in clinicians):
        clinician_id = int(chosen)
    wanted_day = parse_day(params.get("day"))
    from_day = parse_day(params.get("from")) or wanted_day or earliest
    from_day = min(max(from_day, earliest), latest)
    to_day = min(from_day + timedelta(days=DAYS_PER_PAGE - 1), latest)
    slots = selectors.slot_list(
        service=service, first_day=from_day, last_day=to_day, now=now, clinician_id=clinician_id, within=within,
        staff=staff, online=not staff, exclude_appointment_id=exclude_appointment_id, room_id=room_id,
    )
    if clinician_id is None:
        slots = availability.first_per_start(slots)
    by_day = selectors.group_by_day(slots, tz)
    days = []
    day = from_day
    while day <= to_day:
        days.append({"date": day, "count": len(by_day.get(day, []))})
        day += timedelta(days=1)
    selected = wanted_day if wanted_day in by_day else next(iter(by_day), None)
    next_free = None
    if not slots and to_day < latest:
        found = selectors.slot_list(
            service=service, first_day=to_day + timedelta(days=1), last_day=latest, now=now, clinician_id=clinician_id,
            within=within, limit=1, staff=staff, online=not staff, exclude_appointment_id=exclude_appointment_id,
            room_id=room_id,
        )
        next_free = found[0] if found else None
    return {
        "days": days,
        "selected_day": selected,
        "day_slots": by_day.get(selected, []),
        "clinicians": clinicians,
        "clinician_id": clinician_id,
        "earlier_from": max(earliest, from_day - timedelta(days=DAYS_PER_PAGE)) if from_day > earliest else None,
        "later_from": to_day + timedelta(days=1) if to_day < latest else None,
        "next_free": next_free,
        "window": within,
        "tz": tz,
    }
