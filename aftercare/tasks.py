"""Thin Celery tasks: ids in, services do the work. No ETA or countdown tasks: the outbox holds time."""

import logging

from celery import shared_task
from kombu.exceptions import OperationalError

from . import services

log = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_reminder(message_id: int) -> None:
    services.send_message(message_id)


@shared_task(ignore_result=True)
def dispatch_reminders() -> int:
    ids = services.dispatch_due()
    for n, message_id in enumerate(ids):
        try:
            send_reminder.delay(message_id)
        except OperationalError:
            # The broker is gone: the rest go back to the outbox for the next dispatch.
            services.release(ids[n:])
            log.warning("broker unavailable: %d reminders wait in the outbox", len(ids) - n)
            return n
    return len(ids)
