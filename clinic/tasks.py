"""Thin Celery tasks: ids in, services do the work. No ETA or countdown tasks: the outbox holds time."""

from celery import shared_task
from django.core import management

from . import delivery, health


@shared_task
def clear_expired_sessions():
    """Database sessions never expire by themselves; without this the table only grows."""
    management.call_command("clearsessions")


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_outbox(self, message_ids: list[int]) -> None:
    """Send a batch of claimed messages. The task's id is the claim token: the broker's redelivery
    of this very task (its worker was lost) recognises its own claims."""
    delivery.send_messages(message_ids, token=self.request.id)


@shared_task(ignore_result=True)
def dispatch_outbox() -> int:
    """Every minute (beat): hand what is due to the workers, and raise or clear the stall alarm."""
    handed = delivery.hand_out(delivery.dispatch_due())
    health.alert_if_stalled()
    return handed
