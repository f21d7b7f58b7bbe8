"""Clinic admins may reset a staff member's lost second factor; people named in the audit trail
cannot be deleted (the trail is append-only: switch accounts off instead)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from clinic.migration_utils import grant_permissions, revoke_permissions

GRANTS = {"Clinic admins": ["clinic.reset_second_factor"]}


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, GRANTS)


class Migration(migrations.Migration):

    dependencies = [
        ("clinic", "0003_auditevent"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="staffmember",
            options={
                "ordering": ["user__last_name", "user__first_name"],
                "permissions": [("reset_second_factor", "Can reset a staff member's two-factor sign-in")],
            },
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="patient",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="clinic.patient"),
        ),
        migrations.RunPython(grant, revoke),
    ]
