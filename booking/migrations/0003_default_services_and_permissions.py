"""The three services every clinic starts with, and each role's booking permissions."""

from decimal import Decimal

from django.db import migrations

from clinic.migration_utils import grant_permissions, revoke_permissions

SERVICES = [
    {
        "slug": "consultation", "name": "Consultation", "kind": "consultation", "position": 1,
        "description": "Meet a clinician, look at your veins together and plan your treatment.",
        "duration_minutes": 30, "buffer_before_minutes": 0, "buffer_after_minutes": 5,
        "price": Decimal("0.00"), "needs_screening": False, "needs_room": True,
    },
    {
        "slug": "sclerotherapy", "name": "Sclerotherapy session", "kind": "session", "position": 2,
        "description": "A treatment session: small injections into spider and feeder veins. Most people need 2 to 4.",
        "duration_minutes": 45, "buffer_before_minutes": 5, "buffer_after_minutes": 10,
        "price": Decimal("450.00"), "needs_screening": True, "needs_room": True,
    },
    {
        "slug": "review", "name": "Review visit", "kind": "review", "position": 3,
        "description": "A short check of how your legs are healing after treatment.",
        "duration_minutes": 15, "buffer_before_minutes": 0, "buffer_after_minutes": 0,
        "price": Decimal("0.00"), "needs_screening": False, "needs_room": False,
    },
]

BOOKING_MODELS = ["service", "workinghours", "timeoff", "clinicclosure", "bookingpolicy"]
CALENDAR_MODELS = ["appointment", "treatmentcourse", "waitlistentry"]

GRANTS = {
    "Front desk": [f"booking.view_{m}" for m in BOOKING_MODELS + CALENDAR_MODELS + ["appointmentlog"]]
    + [f"booking.{a}_{m}" for m in CALENDAR_MODELS for a in ("add", "change")]
    + ["booking.add_timeoff", "booking.change_timeoff", "booking.add_clinicclosure"],
    "Clinicians": [f"booking.view_{m}" for m in BOOKING_MODELS + CALENDAR_MODELS + ["appointmentlog"]]
    + [f"booking.{a}_{m}" for m in CALENDAR_MODELS for a in ("add", "change")]
    + ["booking.override_spacing"],
    "Clinic admins": [f"booking.{a}_{m}" for m in BOOKING_MODELS for a in ("view", "add", "change", "delete")]
    + [f"booking.{a}_{m}" for m in CALENDAR_MODELS for a in ("view", "add", "change")]
    + ["booking.view_appointmentlog"],
}


def forwards(apps, schema_editor):
    Service = apps.get_model("booking", "Service")
    for fields in SERVICES:
        Service.objects.get_or_create(slug=fields["slug"], defaults=fields)
    grant_permissions(apps, GRANTS)


def backwards(apps, schema_editor):
    revoke_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0002_no_overlap_guards"),
        ("clinic", "0002_role_permissions"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
