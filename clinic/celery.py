"""The Celery app. Workers and beat import task modules from every installed app.

The beat runs as its own process (``celery -A clinic beat``, never ``worker -B``) with the
schedule below, which django-celery-beat's database scheduler copies into the database at start.
Two beats at once double nothing: every scheduled task is safe to run twice (the dispatcher
claims rows with row locks; the sweeps are idempotent).
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "clinic-dispatch-outbox": {
        "task": "clinic.tasks.dispatch_outbox",
        # Seconds between runs; the soak benchmark and some tests make it shorter.
        "schedule": float(os.environ.get("OUTBOX_DISPATCH_SECONDS", "60")),
    },
    "clinic-clear-expired-sessions": {
        "task": "clinic.tasks.clear_expired_sessions",
        "schedule": crontab(minute=17, hour=3),
    },
    "booking-expire-holds": {
        "task": "booking.tasks.expire_holds",
        "schedule": 60.0,
    },
    "booking-refresh-waitlist-matches": {
        "task": "booking.tasks.refresh_waitlist_matches",
        "schedule": 300.0,
    },
}
