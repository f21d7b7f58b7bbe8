"""Intake permissions for each role, and the first consent text.

- Clinicians see health answers and decide on flagged screenings.
- Front desk see a screening's status only (intake.view_screening); health answers are refused.
- Clinic admins manage intake settings and consent texts and see statuses, but not health answers:
  running the clinic does not need them (least privilege). A clinic admin who also treats patients
  gets a clinician account.
"""

from datetime import UTC, datetime

from django.db import migrations

from clinic.migration_utils import grant_permissions, revoke_permissions

GRANTS = {
    "Front desk": ["intake.view_screening"],
    "Clinicians": [
        "intake.view_screening", "intake.view_health_answers", "intake.review_screening",
        "intake.view_screeningdecision", "intake.view_consent", "intake.view_consenttext",
        "intake.view_reconfirmation",
    ],
    "Clinic admins": [
        "intake.view_screening", "intake.view_screeningdecision", "intake.view_consent",
        "intake.view_reconfirmation", "intake.view_consenttext", "intake.add_consenttext",
        "intake.view_intakesettings", "intake.add_intakesettings", "intake.change_intakesettings",
    ],
}


def forwards(apps, schema_editor):
    from intake.consent_texts import FIRST_BODY, FIRST_TITLE, FIRST_VERSION

    grant_permissions(apps, GRANTS)
    ConsentText = apps.get_model("intake", "ConsentText")
    # Published at a fixed moment in the past, so it is in force whatever the clock says.
    ConsentText.objects.get_or_create(
        version=FIRST_VERSION,
        defaults={"title": FIRST_TITLE, "body": FIRST_BODY, "published_at": datetime(2026, 1, 1, tzinfo=UTC)},
    )


def backwards(apps, schema_editor):
    revoke_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0001_initial"),
        ("clinic", "0003_auditevent"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
