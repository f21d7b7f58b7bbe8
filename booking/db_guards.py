"""The database's own guard against double booking (DESIGN invariant 1).

No two rows in a blocking state (held, booked, checked in, completed, no-show, not treated) may overlap on
their blocked range ``[blocked_start, blocked_end)`` (the visit plus its buffers) for one
clinician, nor for one room. Touching ranges (one ends when the next starts) are fine.

- PostgreSQL: two exclusion constraints over ``tstzrange(blocked_start, blocked_end, '[)')``
  with ``btree_gist`` for the equality on the clinician/room id.
- SQLite cannot hold exclusion constraints. Booking transactions are serialised there
  (``transaction_mode=IMMEDIATE`` in settings: every atomic block starts with BEGIN IMMEDIATE,
  so the check and the insert of one booking run alone), and these triggers make the invariant
  hold for every writer anyway (admin, shell, a bug): an overlapping INSERT or UPDATE aborts with
  an IntegrityError, just as the constraint does on PostgreSQL.

Holds: a constraint's condition cannot use now(), so every held row blocks until it is released.
Expired holds are marked cancelled by ``services.holds_expire`` at the start of every booking
transaction (before the re-check and the insert) and by a Celery beat task every minute; the
slot pages ignore holds past their expiry even before that sweep runs.

Used by migration booking.0002 and by the race test (which switches the guard off to prove it can
catch a double booking).
"""

TABLE = "booking_appointment"
BLOCKING_SQL = "('held', 'booked', 'checked_in', 'completed', 'no_show', 'not_treated')"

PG_INSTALL = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE {TABLE} ADD CONSTRAINT booking_no_clinician_overlap
        EXCLUDE USING gist (clinician_id WITH =, tstzrange(blocked_start, blocked_end, '[)') WITH &&)
        WHERE (status IN {BLOCKING_SQL})""",
    f"""ALTER TABLE {TABLE} ADD CONSTRAINT booking_no_room_overlap
        EXCLUDE USING gist (room_id WITH =, tstzrange(blocked_start, blocked_end, '[)') WITH &&)
        WHERE (room_id IS NOT NULL AND status IN {BLOCKING_SQL})""",
]
PG_UNINSTALL = [
    f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS booking_no_clinician_overlap",
    f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS booking_no_room_overlap",
]
PG_CONSTRAINT_NAMES = ("booking_no_clinician_overlap", "booking_no_room_overlap")


def _sqlite_trigger(name: str, event: str, column: str) -> str:
    of = f" OF {column}, blocked_start, blocked_end, status" if event == "UPDATE" else ""
    return f"""CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event}{of} ON {TABLE}
    FOR EACH ROW WHEN NEW.status IN {BLOCKING_SQL} AND NEW.{column} IS NOT NULL
    BEGIN
        SELECT RAISE(ABORT, 'booking_no_{column.removesuffix("_id")}_overlap')
        WHERE EXISTS (
            SELECT 1 FROM {TABLE} AS other
            WHERE other.{column} = NEW.{column}
              AND other.id IS NOT NEW.id
              AND other.status IN {BLOCKING_SQL}
              AND other.blocked_start < NEW.blocked_end
              AND other.blocked_end > NEW.blocked_start
        );
    END"""


SQLITE_TRIGGERS = {
    "booking_clinician_overlap_insert": ("INSERT", "clinician_id"),
    "booking_clinician_overlap_update": ("UPDATE", "clinician_id"),
    "booking_room_overlap_insert": ("INSERT", "room_id"),
    "booking_room_overlap_update": ("UPDATE", "room_id"),
}
SQLITE_INSTALL = [_sqlite_trigger(name, event, column) for name, (event, column) in SQLITE_TRIGGERS.items()]
SQLITE_UNINSTALL = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]

# Overlapping blocking pairs, per clinician and per room: must always be 0.
OVERLAP_COUNT_SQL = f"""
SELECT COUNT(*) FROM {TABLE} a JOIN {TABLE} b
  ON a.id < b.id
 AND (a.clinician_id = b.clinician_id OR a.room_id = b.room_id)
 AND a.blocked_start < b.blocked_end AND b.blocked_start < a.blocked_end
WHERE a.status IN {BLOCKING_SQL} AND b.status IN {BLOCKING_SQL}
"""


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


def is_overlap_error(exc: Exception) -> bool:
    text = str(exc)
    return "booking_no_clinician_overlap" in text or "booking_no_room_overlap" in text
