"""Thin Celery tasks: ids in, services do the work. No ETA or countdown tasks: the outbox holds time."""

import logging

from celery import shared_task
from kombu.exceptions import OperationalError

from . import services

log = logging.getLogger(__name__)


# Messages per send task: one mail connection serves them all; small enough that a lost worker
# leaves little to redo.
BATCH_SIZE = 50


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_reminders(self, message_ids: list[int]) -> None:
    services.send_messages(message_ids, token=self.request.id)


def batches(ids: list[int]) -> list[list[int]]:
    return [ids[n:n + BATCH_SIZE] for n in range(0, len(ids), BATCH_SIZE)]


@shared_task(ignore_result=True)
def dispatch_reminders() -> int:
    ids = services.dispatch_due()
    handed = 0
    for batch in batches(ids):
        try:
            send_reminders.delay(batch)
        except OperationalError:
            # The broker is gone: the rest go back to the outbox for the next dispatch.
            services.release(ids[handed:])
            log.warning("broker unavailable: %d reminders wait in the outbox", len(ids) - handed)
            return handed
        handed += len(batch)
    return handed
