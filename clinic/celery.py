"""The Celery app. Workers and beat import task modules from every installed app."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "aftercare-dispatch-due-reminders": {
        "task": "aftercare.tasks.dispatch_reminders",
        "schedule": 60.0,
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
