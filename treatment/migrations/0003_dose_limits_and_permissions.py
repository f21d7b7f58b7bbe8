"""The dose-limit table (each limit with its source, from CLINICAL_RULES.md "Dose") and each
role's treatment permissions.

- Clinicians record, sign and amend treatment records, write clinical notes, take photos and
  record photo consent, add lots and run recalls.
- Front desk see whether a visit's treatment is recorded and signed, and the photo consent, but
  no treatment details, notes or photos.
- Clinic admins set the per-session maximum, read the dose table, keep the list of lots and run
  recalls; like front desk, they see no treatment details, notes or photos (least privilege: a
  clinic admin who also treats has a clinician account).
"""

from decimal import Decimal

from django.db import migrations

from clinic.migration_utils import grant_permissions, revoke_permissions

ASCLERA = "Asclera (polidocanol) US label"
SOTRADECOL = "Sotradecol (STS) US label"
AETHOXYSKLEROL = "Aethoxysklerol (polidocanol) EU product information"
FIBROVEIN = "Fibrovein (STS) UK guide"

LIMITS = [
    # code, kind, sclerosant, vein type, minimum, maximum, description, source
    ("polidocanol-session-volume", "session_volume_ml", "polidocanol", "", None, "10",
     "Polidocanol: at most 10 mL per session", ASCLERA + "; more than that: split into sessions 1–2 weeks apart"),
    ("sts-session-volume", "session_volume_ml", "sodium_tetradecyl_sulfate", "", None, "10",
     "Sodium tetradecyl sulfate: at most 10 mL per session", SOTRADECOL),
    ("polidocanol-mg-per-kg-day", "daily_mg_per_kg", "polidocanol", "", None, "2",
     "Polidocanol: at most 2 mg per kg of body weight per day (mL × % × 10 = mg)", AETHOXYSKLEROL),
    ("polidocanol-spider-concentration", "concentration_percent", "polidocanol", "spider", None, "0.5",
     "Polidocanol on spider veins (up to 1 mm): 0.5%", ASCLERA),
    ("polidocanol-reticular-concentration", "concentration_percent", "polidocanol", "reticular", None, "1",
     "Polidocanol on reticular veins (1–3 mm): 1%", ASCLERA),
    ("sts-spider-concentration", "concentration_percent", "sodium_tetradecyl_sulfate", "spider", None, "0.2",
     "Sodium tetradecyl sulfate on spider veins: 0.2%", FIBROVEIN),
    ("sts-reticular-concentration", "concentration_percent", "sodium_tetradecyl_sulfate", "reticular", None, "0.5",
     "Sodium tetradecyl sulfate on reticular veins: 0.5%", FIBROVEIN),
    ("saline-concentration", "concentration_percent", "hypertonic_saline", "", "11.7", None,
     "Hypertonic saline: 11.7% is the lowest strength found effective (no label)", "One clinical trial (CLINICAL_RULES.md)"),
    ("polidocanol-injection-volume", "injection_volume_ml", "polidocanol", "", "0.1", "0.3",
     "Polidocanol: 0.1–0.3 mL per injection", ASCLERA + "; severe allergic reactions are more frequent above 3 mL a session"),
    ("sts-injection-volume", "injection_volume_ml", "sodium_tetradecyl_sulfate", "", "0.5", "2",
     "Sodium tetradecyl sulfate: 0.5–2 mL per injection (preferably 1 mL or less)", SOTRADECOL),
]

GRANTS = {
    "Clinicians": [f"treatment.{a}_treatmentrecord" for a in ("view", "add", "change")]
    + ["treatment.sign_treatmentrecord", "treatment.amend_treatmentrecord", "treatment.view_record_status",
       "treatment.view_treatedarea", "treatment.view_clinicalnote", "treatment.add_clinicalnote",
       "treatment.view_photo", "treatment.add_photo", "treatment.view_photoconsent", "treatment.add_photoconsent",
       "treatment.view_lot", "treatment.add_lot", "treatment.recall_lot", "treatment.view_doselimit",
       "treatment.view_treatmentsettings"],
    "Front desk": ["treatment.view_record_status", "treatment.view_photoconsent"],
    "Clinic admins": ["treatment.view_record_status", "treatment.view_photoconsent", "treatment.view_lot",
                      "treatment.add_lot", "treatment.recall_lot", "treatment.view_doselimit",
                      "treatment.view_treatmentsettings", "treatment.change_treatmentsettings"],
}


def forwards(apps, schema_editor):
    DoseLimit = apps.get_model("treatment", "DoseLimit")
    for position, (code, kind, sclerosant, vein_type, low, high, description, source) in enumerate(LIMITS):
        DoseLimit.objects.update_or_create(
            code=code,
            defaults={
                "kind": kind, "sclerosant": sclerosant, "vein_type": vein_type,
                "minimum": Decimal(low) if low else None, "maximum": Decimal(high) if high else None,
                "description": description, "source": source, "position": position,
            },
        )
    grant_permissions(apps, GRANTS)


def backwards(apps, schema_editor):
    revoke_permissions(apps, GRANTS)
    apps.get_model("treatment", "DoseLimit").objects.filter(code__in=[row[0] for row in LIMITS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("treatment", "0002_database_guards"),
        ("clinic", "0002_role_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
