"""A visit where the patient came but was not treated: its own status. It keeps its time on the
calendar, so the no-overlap guard counts it among the blocking states (booking/db_guards.py)."""

from django.db import migrations, models

from booking import db_guards


def reinstall(apps, schema_editor):
    for sql in db_guards.statements(schema_editor.connection.vendor, install=False):
        schema_editor.execute(sql)
    for sql in db_guards.statements(schema_editor.connection.vendor, install=True):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("booking", "0005_appointment_log_into_audit")]

    operations = [
        migrations.AlterField(
            model_name="appointment",
            name="status",
            field=models.CharField(
                choices=[
                    ("held", "Held while confirming"), ("booked", "Booked"), ("checked_in", "Checked in"),
                    ("completed", "Completed"), ("cancelled", "Cancelled"), ("no_show", "No-show"),
                    ("not_treated", "Came, not treated"),
                ],
                default="booked",
                max_length=12,
            ),
        ),
        migrations.RunPython(reinstall, reinstall),
    ]
