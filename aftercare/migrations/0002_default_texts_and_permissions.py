"""The clinic's default reminder wording (aftercare/texts.py) and who may see the delivery log."""

from django.db import migrations

from clinic.migration_utils import grant_permissions, revoke_permissions

GRANTS = {
    "Front desk": ["aftercare.view_delivery_log", "aftercare.view_message"],
    "Clinicians": ["aftercare.view_delivery_log", "aftercare.view_message", "aftercare.view_checkin",
                   "aftercare.change_checkin"],
    "Clinic admins": ["aftercare.view_delivery_log", "aftercare.view_message", "aftercare.view_remindertemplate",
                      "aftercare.change_remindertemplate"],
}


def create(apps, schema_editor):
    from aftercare.texts import DEFAULT_TEXTS

    ReminderTemplate = apps.get_model("aftercare", "ReminderTemplate")
    for kind, text in DEFAULT_TEXTS.items():
        ReminderTemplate.objects.get_or_create(
            kind=kind, defaults={"email_subject": text["subject"], "email_body": text["email"], "sms_body": text["sms"]}
        )
    grant_permissions(apps, GRANTS)


def remove(apps, schema_editor):
    revoke_permissions(apps, GRANTS)
    apps.get_model("aftercare", "ReminderTemplate").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("aftercare", "0001_initial"), ("clinic", "0002_role_permissions")]

    operations = [migrations.RunPython(create, remove)]
