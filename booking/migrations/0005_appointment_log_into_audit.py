"""Booking's own log folds into the one audit store (clinic.AuditEvent): every row is copied with
its action, who, when and note, then the table goes. booking.selectors.appointment_history reads
a visit's history from the audit store from now on."""

from django.db import migrations


def copy_into_audit(apps, schema_editor):
    AppointmentLog = apps.get_model("booking", "AppointmentLog")
    AuditEvent = apps.get_model("clinic", "AuditEvent")
    batch = []
    for row in AppointmentLog.objects.select_related("appointment").order_by("pk").iterator(chunk_size=2000):
        batch.append(AuditEvent(
            actor_id=row.by_id, action=row.action, patient_id=row.appointment.patient_id,
            object_type="booking.appointment", object_id=str(row.appointment_id), at=row.at,
            details={"note": row.note} if row.note else {},
        ))
        if len(batch) >= 2000:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    AuditEvent.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ("booking", "0004_desk_statuses_and_settings_bounds"),
        ("clinic", "0004_second_factor_reset_and_protected_audit"),
    ]

    operations = [
        # Forwards only: the audit store keeps the rows, and no trail goes back into a side table.
        migrations.RunPython(copy_into_audit, migrations.RunPython.noop),
        migrations.DeleteModel(name="AppointmentLog"),
    ]
