from celery import shared_task
from django.core import management


@shared_task
def clear_expired_sessions():
    """Database sessions never expire by themselves; without this the table only grows."""
    management.call_command("clearsessions")
