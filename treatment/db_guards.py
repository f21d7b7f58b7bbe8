"""The database's own guards on the clinical record (DESIGN invariants 4 and 6), as triggers on
SQLite and on PostgreSQL, so they hold for every writer (the services, the admin, a shell, a bug).

- The total: a record's ``total_volume_ml`` is kept by the database as the sum of its areas
  (recomputed after every insert, update or delete of an area), a record starts at 0, and any
  other value written to it is refused. The check constraint ``record_total_within_limit`` then
  refuses a total above the record's ``volume_limit_ml``, which may not be above the clinic's
  setting (treatment_treatmentsettings, 10 mL without a row).
- Polidocanol: the patient's mg of the session's local day (this record plus their other
  current records of that day) may not exceed the DoseLimit row ``polidocanol-mg-per-kg-day``
  times the weight recorded on this record; a polidocanol record without a weight is refused.
- The lot: same sclerosant and concentration as the record, and not expired on the session's
  day. A lot used by a signed record cannot be changed.
- Signing locks: a signed record cannot be updated or deleted, nor can its areas; an amendment is
  a new row, which must amend a signed version of the same visit.
- Clinical notes are append-only: no update, no delete.
- Signing (``signed_at`` set on a treated record) is refused when the patient's current screening
  flags an allergy to the record's sclerosant (intake's stored flag codes, ``allergies.<sclerosant>``),
  and when a concentration outside the usual range for a treated vein type (the DoseLimit rows of
  kind ``concentration_percent``) has no confirmation in ``warnings_confirmed``.

Every refusal names its rule (``REFUSALS``); the services turn them into plain words.
SQLite compares its REAL numbers rounded (2 decimals for volumes, 3 for mg), so 0.1 + 0.2 mL
equals 0.3 mL as it does in Python's Decimal and in PostgreSQL's numeric.

Used by migration treatment.0002 and by the tests that prove each guard holds on its own.
"""

RECORD = "treatment_treatmentrecord"
AREA = "treatment_treatedarea"
NOTE = "treatment_clinicalnote"
LOT = "treatment_lot"
LIMIT = "treatment_doselimit"
SETTINGS = "treatment_treatmentsettings"
APPOINTMENT = "booking_appointment"
SCREENING = "intake_screening"

MG_PER_KG_CODE = "polidocanol-mg-per-kg-day"
DEFAULT_MG_PER_KG = "2"  # Aethoxysklerol's label, used only if the table row is missing

# Every refusal the guards raise, by the name they raise it with (the services word each one).
REFUSALS = (
    "treatment_record_signed",
    "treatment_total_is_sum_of_areas",
    "treatment_limit_above_clinic_setting",
    "treatment_polidocanol_daily_dose",
    "treatment_lot_expired",
    "treatment_lot_other_product",
    "treatment_lot_in_signed_record",
    "treatment_amend_signed_version",
    "treatment_note_append_only",
    "treatment_sclerosant_allergy",
    "treatment_concentration_unconfirmed",
    "record_total_within_limit",  # the check constraint on the model
)

# --- shared SQL fragments (the same text runs on both databases) ------------------------------

_OTHER_POLIDOCANOL_MG = f"""
    SELECT COALESCE(SUM(o.total_volume_ml * o.concentration_percent * 10), 0)
    FROM {RECORD} o JOIN {APPOINTMENT} oa ON oa.id = o.appointment_id
    WHERE oa.patient_id = (SELECT patient_id FROM {APPOINTMENT} WHERE id = NEW.appointment_id)
      AND o.session_day = NEW.session_day
      AND o.sclerosant = 'polidocanol'
      AND o.id <> COALESCE(NEW.id, -1)
      AND o.id <> COALESCE(NEW.amends_id, -1)
      AND NOT EXISTS (SELECT 1 FROM {RECORD} s WHERE s.amends_id = o.id)
"""
_MG_PER_KG = f"COALESCE((SELECT maximum FROM {LIMIT} WHERE code = '{MG_PER_KG_CODE}'), {DEFAULT_MG_PER_KG})"
_CLINIC_MAX = f"COALESCE((SELECT max_volume_ml FROM {SETTINGS} ORDER BY clinic_id LIMIT 1), 10)"


_PATIENT_OF_NEW = f"(SELECT patient_id FROM {APPOINTMENT} WHERE id = NEW.appointment_id)"
# Rows of treated areas whose vein type makes this record's concentration unusual; {confirmed} is
# the database's own test that the record's warnings_confirmed holds the warning's code.
_UNUSUAL_UNCONFIRMED = f"""
    SELECT 1 FROM {AREA} a JOIN {LIMIT} l
      ON l.kind = 'concentration_percent'
     AND (l.sclerosant = '' OR l.sclerosant = NEW.sclerosant)
     AND (l.vein_type = '' OR l.vein_type = a.vein_type)
    WHERE a.record_id = NEW.id
      AND (NEW.concentration_percent < l.minimum OR NEW.concentration_percent > l.maximum)
      AND NOT ({{confirmed}})
"""


def _sum_areas(record_id: str) -> str:
    return f"(SELECT COALESCE(SUM(volume_ml), 0) FROM {AREA} WHERE record_id = {record_id})"


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_recompute(record_id: str) -> str:
    return f"UPDATE {RECORD} SET total_volume_ml = ROUND({_sum_areas(record_id)}, 2) WHERE id = {record_id};"


def _sqlite_area_signed(ref: str) -> str:
    return f"SELECT RAISE(ABORT, 'treatment_record_signed') WHERE (SELECT signed_at FROM {RECORD} WHERE id = {ref}.record_id) IS NOT NULL;"


_SQLITE_RECORD_CHECKS = f"""
        SELECT RAISE(ABORT, 'treatment_lot_expired')
        WHERE NEW.lot_id IS NOT NULL AND (SELECT expires_on FROM {LOT} WHERE id = NEW.lot_id) < NEW.session_day;
        SELECT RAISE(ABORT, 'treatment_lot_other_product')
        WHERE NEW.lot_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM {LOT} l WHERE l.id = NEW.lot_id AND l.sclerosant = NEW.sclerosant
              AND ROUND(l.concentration_percent, 2) = ROUND(NEW.concentration_percent, 2));
        SELECT RAISE(ABORT, 'treatment_polidocanol_daily_dose')
        WHERE NEW.sclerosant = 'polidocanol' AND (
            NEW.weight_kg IS NULL
            OR ROUND(NEW.total_volume_ml * NEW.concentration_percent * 10 + ({_OTHER_POLIDOCANOL_MG}), 3)
               > ROUND({_MG_PER_KG} * NEW.weight_kg, 3));
"""

_SQLITE_SIGN_CHECKS = f"""
        SELECT RAISE(ABORT, 'treatment_sclerosant_allergy')
        WHERE EXISTS (
            SELECT 1 FROM {SCREENING} s, json_each(s.result, '$.flags') f
            WHERE s.patient_id = {_PATIENT_OF_NEW} AND s.status = 'submitted'
              AND json_extract(f.value, '$.code') = 'allergies.' || NEW.sclerosant);
        SELECT RAISE(ABORT, 'treatment_concentration_unconfirmed')
        WHERE EXISTS ({_UNUSUAL_UNCONFIRMED.format(confirmed="EXISTS (SELECT 1 FROM json_each(NEW.warnings_confirmed) w WHERE w.value = 'concentration.unusual.' || a.vein_type)")});
"""

SQLITE_INSTALL = [
    # Areas: none may change under a signed record; every change re-totals the record.
    f"""CREATE TRIGGER treatment_area_signed_insert BEFORE INSERT ON {AREA}
    BEGIN {_sqlite_area_signed("NEW")} END""",
    f"""CREATE TRIGGER treatment_area_signed_update BEFORE UPDATE ON {AREA}
    BEGIN {_sqlite_area_signed("NEW")} {_sqlite_area_signed("OLD")} END""",
    f"""CREATE TRIGGER treatment_area_signed_delete BEFORE DELETE ON {AREA}
    BEGIN {_sqlite_area_signed("OLD")} END""",
    f"""CREATE TRIGGER treatment_area_total_insert AFTER INSERT ON {AREA}
    BEGIN {_sqlite_recompute("NEW.record_id")} END""",
    f"""CREATE TRIGGER treatment_area_total_update AFTER UPDATE ON {AREA}
    BEGIN {_sqlite_recompute("NEW.record_id")} {_sqlite_recompute("OLD.record_id")} END""",
    f"""CREATE TRIGGER treatment_area_total_delete AFTER DELETE ON {AREA}
    BEGIN {_sqlite_recompute("OLD.record_id")} END""",
    # Records.
    f"""CREATE TRIGGER treatment_record_signed_update BEFORE UPDATE ON {RECORD}
    WHEN OLD.signed_at IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'treatment_record_signed'); END""",
    f"""CREATE TRIGGER treatment_record_signed_delete BEFORE DELETE ON {RECORD}
    WHEN OLD.signed_at IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'treatment_record_signed'); END""",
    f"""CREATE TRIGGER treatment_record_insert BEFORE INSERT ON {RECORD}
    BEGIN
        SELECT RAISE(ABORT, 'treatment_total_is_sum_of_areas') WHERE NEW.total_volume_ml <> 0;
        SELECT RAISE(ABORT, 'treatment_limit_above_clinic_setting') WHERE NEW.volume_limit_ml > {_CLINIC_MAX};
        SELECT RAISE(ABORT, 'treatment_amend_signed_version')
        WHERE NEW.amends_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM {RECORD} p WHERE p.id = NEW.amends_id AND p.signed_at IS NOT NULL
              AND p.appointment_id = NEW.appointment_id);
        {_SQLITE_RECORD_CHECKS}
    END""",
    f"""CREATE TRIGGER treatment_record_total_update BEFORE UPDATE OF total_volume_ml ON {RECORD}
    BEGIN
        SELECT RAISE(ABORT, 'treatment_total_is_sum_of_areas')
        WHERE ROUND(NEW.total_volume_ml, 2) <> ROUND({_sum_areas("NEW.id")}, 2);
    END""",
    f"""CREATE TRIGGER treatment_record_limit_update BEFORE UPDATE OF volume_limit_ml ON {RECORD}
    BEGIN
        SELECT RAISE(ABORT, 'treatment_limit_above_clinic_setting') WHERE NEW.volume_limit_ml > {_CLINIC_MAX};
    END""",
    f"""CREATE TRIGGER treatment_record_checks_update BEFORE UPDATE ON {RECORD}
    BEGIN {_SQLITE_RECORD_CHECKS} END""",
    f"""CREATE TRIGGER treatment_record_sign_checks BEFORE UPDATE OF signed_at ON {RECORD}
    WHEN OLD.signed_at IS NULL AND NEW.signed_at IS NOT NULL AND NEW.outcome = 'treated'
    BEGIN {_SQLITE_SIGN_CHECKS} END""",
    # Lots named in a signed record keep their identity and expiry.
    f"""CREATE TRIGGER treatment_lot_in_signed_record BEFORE UPDATE OF sclerosant, concentration_percent, lot_number, expires_on ON {LOT}
    WHEN EXISTS (SELECT 1 FROM {RECORD} r WHERE r.lot_id = OLD.id AND r.signed_at IS NOT NULL)
    BEGIN SELECT RAISE(ABORT, 'treatment_lot_in_signed_record'); END""",
    # Notes: append-only.
    f"""CREATE TRIGGER treatment_note_no_update BEFORE UPDATE ON {NOTE}
    BEGIN SELECT RAISE(ABORT, 'treatment_note_append_only'); END""",
    f"""CREATE TRIGGER treatment_note_no_delete BEFORE DELETE ON {NOTE}
    BEGIN SELECT RAISE(ABORT, 'treatment_note_append_only'); END""",
]
SQLITE_TRIGGER_NAMES = [sql.split()[2] for sql in SQLITE_INSTALL]
SQLITE_UNINSTALL = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES]

# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_raise(code: str) -> str:
    return f"RAISE EXCEPTION '{code}' USING ERRCODE = 'check_violation';"


PG_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION treatment_area_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            IF (SELECT signed_at FROM {RECORD} WHERE id = OLD.record_id) IS NOT NULL THEN
                {_pg_raise("treatment_record_signed")}
            END IF;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            IF (SELECT signed_at FROM {RECORD} WHERE id = NEW.record_id) IS NOT NULL THEN
                {_pg_raise("treatment_record_signed")}
            END IF;
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION treatment_area_total() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE {RECORD} SET total_volume_ml = {_sum_areas("NEW.record_id")} WHERE id = NEW.record_id;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE {RECORD} SET total_volume_ml = {_sum_areas("OLD.record_id")} WHERE id = OLD.record_id;
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION treatment_record_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF OLD.signed_at IS NOT NULL THEN {_pg_raise("treatment_record_signed")} END IF;
            RETURN OLD;
        END IF;
        IF TG_OP = 'UPDATE' THEN
            IF OLD.signed_at IS NOT NULL THEN {_pg_raise("treatment_record_signed")} END IF;
        END IF;
        IF TG_OP = 'INSERT' THEN
            IF NEW.total_volume_ml <> 0 THEN {_pg_raise("treatment_total_is_sum_of_areas")} END IF;
            IF NEW.amends_id IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM {RECORD} p WHERE p.id = NEW.amends_id AND p.signed_at IS NOT NULL
                  AND p.appointment_id = NEW.appointment_id) THEN
                {_pg_raise("treatment_amend_signed_version")}
            END IF;
        ELSIF NEW.total_volume_ml <> {_sum_areas("NEW.id")} THEN
            {_pg_raise("treatment_total_is_sum_of_areas")}
        END IF;
        IF NEW.volume_limit_ml > {_CLINIC_MAX} THEN
            IF TG_OP = 'INSERT' THEN {_pg_raise("treatment_limit_above_clinic_setting")} END IF;
            IF NEW.volume_limit_ml <> OLD.volume_limit_ml THEN {_pg_raise("treatment_limit_above_clinic_setting")} END IF;
        END IF;
        IF NEW.lot_id IS NOT NULL THEN
            IF (SELECT expires_on FROM {LOT} WHERE id = NEW.lot_id) < NEW.session_day THEN
                {_pg_raise("treatment_lot_expired")}
            END IF;
            IF NOT EXISTS (SELECT 1 FROM {LOT} l WHERE l.id = NEW.lot_id AND l.sclerosant = NEW.sclerosant
                           AND l.concentration_percent = NEW.concentration_percent) THEN
                {_pg_raise("treatment_lot_other_product")}
            END IF;
        END IF;
        IF NEW.sclerosant = 'polidocanol' AND (
            NEW.weight_kg IS NULL
            OR NEW.total_volume_ml * NEW.concentration_percent * 10 + ({_OTHER_POLIDOCANOL_MG})
               > {_MG_PER_KG} * NEW.weight_kg) THEN
            {_pg_raise("treatment_polidocanol_daily_dose")}
        END IF;
        IF TG_OP = 'UPDATE' AND OLD.signed_at IS NULL AND NEW.signed_at IS NOT NULL AND NEW.outcome = 'treated' THEN
            IF EXISTS (
                SELECT 1 FROM {SCREENING} s, jsonb_array_elements(COALESCE(s.result -> 'flags', '[]'::jsonb)) f
                WHERE s.patient_id = {_PATIENT_OF_NEW} AND s.status = 'submitted'
                  AND f ->> 'code' = 'allergies.' || NEW.sclerosant) THEN
                {_pg_raise("treatment_sclerosant_allergy")}
            END IF;
            IF EXISTS ({_UNUSUAL_UNCONFIRMED.format(confirmed="NEW.warnings_confirmed @> jsonb_build_array('concentration.unusual.' || a.vein_type)")}) THEN
                {_pg_raise("treatment_concentration_unconfirmed")}
            END IF;
        END IF;
        RETURN NEW;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION treatment_lot_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (NEW.sclerosant, NEW.concentration_percent, NEW.lot_number, NEW.expires_on)
               IS DISTINCT FROM (OLD.sclerosant, OLD.concentration_percent, OLD.lot_number, OLD.expires_on)
           AND EXISTS (SELECT 1 FROM {RECORD} r WHERE r.lot_id = OLD.id AND r.signed_at IS NOT NULL) THEN
            {_pg_raise("treatment_lot_in_signed_record")}
        END IF;
        RETURN NEW;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION treatment_note_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_pg_raise("treatment_note_append_only")} END $$""",
    f"CREATE TRIGGER treatment_area_guard BEFORE INSERT OR UPDATE OR DELETE ON {AREA} FOR EACH ROW EXECUTE FUNCTION treatment_area_guard()",
    f"CREATE TRIGGER treatment_area_total AFTER INSERT OR UPDATE OR DELETE ON {AREA} FOR EACH ROW EXECUTE FUNCTION treatment_area_total()",
    f"CREATE TRIGGER treatment_record_guard BEFORE INSERT OR UPDATE OR DELETE ON {RECORD} FOR EACH ROW EXECUTE FUNCTION treatment_record_guard()",
    f"CREATE TRIGGER treatment_lot_guard BEFORE UPDATE ON {LOT} FOR EACH ROW EXECUTE FUNCTION treatment_lot_guard()",
    f"CREATE TRIGGER treatment_note_guard BEFORE UPDATE OR DELETE ON {NOTE} FOR EACH ROW EXECUTE FUNCTION treatment_note_guard()",
]
PG_TRIGGERS = {
    "treatment_area_guard": AREA,
    "treatment_area_total": AREA,
    "treatment_record_guard": RECORD,
    "treatment_lot_guard": LOT,
    "treatment_note_guard": NOTE,
}
PG_UNINSTALL = [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in PG_TRIGGERS.items()] + [
    f"DROP FUNCTION IF EXISTS {name}()" for name in PG_TRIGGERS
]


def statements(vendor: str, *, install: bool) -> list[str]:
    if vendor == "postgresql":
        return PG_INSTALL if install else PG_UNINSTALL
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_UNINSTALL
    return []


def install(connection) -> None:
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor, install=True):
            cursor.execute(sql)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor, install=False):
            cursor.execute(sql)


def refusal(exc: Exception) -> str | None:
    """The guard or constraint behind a database error, if it is one of ours."""
    text = str(exc)
    return next((code for code in REFUSALS if code in text), None)
