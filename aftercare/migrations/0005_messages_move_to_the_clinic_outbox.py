"""Reminders become rows of the clinic's outbox (clinic.OutboxMessage), with their delivery log.

Every row keeps its id (messages carry "msg-<id>" in their headers), the sequence is moved past
them, and the roles get the clinic's delivery-log permissions in place of aftercare's. Clinic
admins may change the new message settings (quiet hours of text messages).
"""

import django.db.models.deletion
from django.core.management.color import no_style
from django.db import migrations, models

from clinic.migration_utils import grant_permissions, revoke_permissions

OLD = {
    "Front desk": ["aftercare.view_delivery_log", "aftercare.view_message"],
    "Clinicians": ["aftercare.view_delivery_log", "aftercare.view_message"],
    "Clinic admins": ["aftercare.view_delivery_log", "aftercare.view_message"],
}
NEW = {"Clinic admins": ["aftercare.view_messagesettings", "aftercare.change_messagesettings"]}

FIELDS = ("kind", "channel", "send_at", "status", "attempts", "last_error", "recipient", "queued_at", "claim_token",
          "provider_called_at", "sent_at", "provider_id", "created_at", "updated_at")


def copy_to_outbox(apps, schema_editor):
    Message = apps.get_model("aftercare", "Message")
    Attempt = apps.get_model("aftercare", "DeliveryAttempt")
    OutboxMessage = apps.get_model("clinic", "OutboxMessage")
    OutboxAttempt = apps.get_model("clinic", "DeliveryAttempt")
    ContentType = apps.get_model("contenttypes", "ContentType")
    appointment_type, _ = ContentType.objects.get_or_create(app_label="booking", model="appointment")
    rows = [
        OutboxMessage(pk=m.pk, patient_id=m.patient_id, about_type=appointment_type, about_id=m.appointment_id,
                      planned_for=m.planned_for_start, urgent=m.kind == "check_in_alert",
                      **{f: getattr(m, f) for f in FIELDS})
        for m in Message.objects.all().iterator()
    ]
    OutboxMessage.objects.bulk_create(rows, batch_size=500)
    OutboxAttempt.objects.bulk_create(
        (OutboxAttempt(pk=a.pk, message_id=a.message_id, at=a.at, outcome=a.outcome, detail=a.detail, by_id=a.by_id)
         for a in Attempt.objects.all().iterator()),
        batch_size=500,
    )
    # Rows inserted with their ids leave PostgreSQL's sequences behind: move them past.
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [OutboxMessage, OutboxAttempt]):
            cursor.execute(statement)
    # auto_now/auto_now_add stamped the copies with the time of the migration: put the real times back.
    for m in Message.objects.all().iterator():
        OutboxMessage.objects.filter(pk=m.pk).update(created_at=m.created_at, updated_at=m.updated_at)


def permissions(apps, schema_editor):
    revoke_permissions(apps, OLD)
    grant_permissions(apps, NEW)


def permissions_back(apps, schema_editor):
    revoke_permissions(apps, NEW)
    grant_permissions(apps, OLD)


class Migration(migrations.Migration):

    dependencies = [
        ('aftercare', '0004_neutral_text_messages'),
        ('booking', '0003_default_services_and_permissions'),
        ('clinic', '0006_outbox'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.RunPython(copy_to_outbox, migrations.RunPython.noop),
        migrations.CreateModel(
            name='MessageSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sms_quiet_start', models.TimeField(help_text='Clinic time, e.g. 21:00.', verbose_name='no texts from')),
                ('sms_quiet_end', models.TimeField(help_text='Clinic time, e.g. 08:00. Texts due in between wait until then.', verbose_name='until')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('clinic', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='message_settings', to='clinic.clinic')),
            ],
            options={
                'verbose_name': 'message settings',
                'verbose_name_plural': 'message settings',
            },
        ),
        migrations.DeleteModel(
            name='DeliveryAttempt',
        ),
        migrations.DeleteModel(
            name='Message',
        ),
        migrations.AddConstraint(
            model_name='messagesettings',
            constraint=models.CheckConstraint(condition=models.Q(('sms_quiet_start', models.F('sms_quiet_end')), _negated=True), name='message_settings_quiet_hours_differ'),
        ),
        migrations.RunPython(permissions, permissions_back),
    ]
