"""The desk workspace: a no-show no longer holds its session number, each status change keeps its
time (undo is allowed that day), the overdue list's contact notes, and the settings' upper bounds.

On SQLite, adding a column rebuilds booking_appointment, which drops its no-overlap triggers: they
are installed again at the end (PostgreSQL keeps its exclusion constraints).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Coalesce

from booking import db_guards
from clinic.migration_utils import grant_permissions, revoke_permissions

GRANTS = {
    "Front desk": ["booking.view_coursecontact", "booking.add_coursecontact"],
    "Clinicians": ["booking.view_coursecontact", "booking.add_coursecontact"],
    "Clinic admins": ["booking.view_coursecontact", "booking.add_coursecontact"],
}


def reinstall_sqlite_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in db_guards.statements("sqlite", install=True):
            schema_editor.execute(sql)


def backfill_status_times(apps, schema_editor):
    # The best record of when an earlier status was set; undo only looks at today's changes anyway.
    Appointment = apps.get_model("booking", "Appointment")
    Appointment.objects.exclude(status__in=["held", "booked"]).update(
        status_changed_at=Coalesce(F("cancelled_at"), F("checked_in_at"), F("updated_at"))
    )


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, GRANTS)


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('booking', '0003_default_services_and_permissions'),
        ('clinic', '0003_auditevent'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CourseContact',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField()),
                ('channel', models.CharField(choices=[('phone', 'Phone call'), ('email', 'E-mail'), ('sms', 'Text message'), ('in_person', 'In person')], max_length=10)),
                ('note', models.CharField(help_text='What was said or left, e.g. "left a voicemail".', max_length=300)),
            ],
            options={
                'ordering': ['-at', '-pk'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='appointment',
            name='appointment_one_per_course_session',
        ),
        migrations.RemoveConstraint(
            model_name='bookingpolicy',
            name='policy_spacing_valid',
        ),
        migrations.RemoveConstraint(
            model_name='bookingpolicy',
            name='policy_course_length_valid',
        ),
        migrations.RemoveConstraint(
            model_name='bookingpolicy',
            name='policy_slots_valid',
        ),
        migrations.AddField(
            model_name='appointment',
            name='status_changed_at',
            field=models.DateTimeField(blank=True, help_text='When the current status was recorded; it can be undone that clinic day.', null=True),
        ),
        migrations.AddField(
            model_name='waitlistentry',
            name='match_checked_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='waitlistentry',
            name='match_clinician',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='clinic.clinician'),
        ),
        migrations.AddField(
            model_name='waitlistentry',
            name='match_start',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ('held', 'booked', 'checked_in', 'completed'))), fields=('course', 'sequence'), name='appointment_one_per_course_session'),
        ),
        migrations.AddConstraint(
            model_name='bookingpolicy',
            constraint=models.CheckConstraint(condition=models.Q(('min_days_between_sessions__gte', 1), ('max_days_between_sessions__gte', models.F('min_days_between_sessions')), ('max_days_between_sessions__lte', 365)), name='policy_spacing_valid', violation_error_message='Sessions must be 1 to 365 days apart, the longest gap no shorter than the shortest.'),
        ),
        migrations.AddConstraint(
            model_name='bookingpolicy',
            constraint=models.CheckConstraint(condition=models.Q(('course_sessions_min__gte', 1), ('course_sessions_max__gte', models.F('course_sessions_min')), ('course_sessions_max__lte', 10), ('course_sessions_default__gte', models.F('course_sessions_min')), ('course_sessions_default__lte', models.F('course_sessions_max'))), name='policy_course_length_valid', violation_error_message='A course has 1 to 10 sessions, and the usual number lies between the fewest and the most.'),
        ),
        migrations.AddConstraint(
            model_name='bookingpolicy',
            constraint=models.CheckConstraint(condition=models.Q(('slot_step_minutes__in', (5, 10, 15, 20, 30, 60)), ('horizon_days__gte', 1), ('horizon_days__lte', 730), ('hold_minutes__gte', 1), ('hold_minutes__lte', 60), ('notice_hours__lte', 720), ('waitlist_notify_count__lte', 20)), name='policy_slots_valid', violation_error_message='Check the slot step, horizon, hold time, notice and waiting-list number: one is out of range.'),
        ),
        migrations.AddField(
            model_name='coursecontact',
            name='by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='coursecontact',
            name='course',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='contacts', to='booking.treatmentcourse'),
        ),
        migrations.AddIndex(
            model_name='coursecontact',
            index=models.Index(fields=['course', '-at'], name='course_contact_latest_idx'),
        ),
        migrations.AddConstraint(
            model_name='coursecontact',
            constraint=models.CheckConstraint(condition=models.Q(('note', ''), _negated=True), name='course_contact_has_note'),
        ),
        migrations.RunPython(backfill_status_times, migrations.RunPython.noop),
        migrations.RunPython(reinstall_sqlite_guards, migrations.RunPython.noop),
        migrations.RunPython(grant, revoke),
    ]
