"""Each staff role's permissions, so a new installation needs nothing set up by hand."""

from django.db import migrations

from clinic.migration_utils import grant_permissions, revoke_permissions

PEOPLE_AND_PLACES = ["clinic", "openinghours", "room", "staffmember", "clinician"]

GRANTS = {
    "Front desk": [f"clinic.view_{m}" for m in PEOPLE_AND_PLACES]
    + ["clinic.view_patient", "clinic.add_patient", "clinic.change_patient"],
    "Clinicians": [f"clinic.view_{m}" for m in PEOPLE_AND_PLACES] + ["clinic.view_patient", "clinic.change_patient"],
    "Clinic admins": [f"clinic.{action}_{m}" for m in PEOPLE_AND_PLACES + ["patient"] for action in ("view", "add", "change", "delete")]
    + ["clinic.view_user", "clinic.add_user", "clinic.change_user"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
