"""Fault tests with a real Redis broker, real Celery worker processes and a real SMTP server.

They need a Redis server (CELERY_BROKER_URL, or 127.0.0.1:6379) and skip without one, except on
CI. The database rows are committed (transactional tests) so the worker processes see them.
"""

import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from booking import events
from booking.models import Appointment
from clinic import celery_app, delivery
from clinic.delivery import batches
from clinic.models import MessageStatus, OutboxMessage
from clinic.tasks import send_outbox
from tests.outbox import due_confirmations
from tests.services import (
    ROOT, SlowSMTPSink, WorkerProcess, database_url_for_workers, free_port, need, redis_broker_url, wait_for,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TERMINAL = {MessageStatus.SENT, MessageStatus.UNKNOWN, MessageStatus.SKIPPED, MessageStatus.FAILED}


@pytest.fixture
def smtp():
    sink = SlowSMTPSink().start()
    yield sink
    sink.stop()


def delivered(sink) -> Counter:
    return sink.delivered()


def enqueue(ids, broker_url):
    with celery_app.connection_for_write(broker_url) as connection:
        for batch in batches(ids):
            send_outbox.apply_async((batch,), connection=connection)


def worker_env(smtp, **extra):
    return {"EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "CELERY_VISIBILITY_TIMEOUT": "5", **extra}


def test_killing_the_worker_mid_batch_sends_no_message_twice_and_flags_the_in_flight_ones(make_appointment, smtp):
    broker = redis_broker_url()
    total = due_confirmations(make_appointment, 120)
    enqueue(delivery.dispatch_due(), broker)
    worker = WorkerProcess(broker, env=worker_env(smtp)).start()
    try:
        assert wait_for(lambda: sum(delivered(smtp).values()) >= total // 3, timeout=60), "the worker sent nothing"
        worker.kill()  # kill -9, mid-batch
        sent_before_kill = sum(delivered(smtp).values())
        assert sent_before_kill < total, "the batch finished before the kill; the test proves nothing"
        worker = WorkerProcess(broker, env=worker_env(smtp)).start()
        # Tasks the dead worker had taken come back after the visibility timeout; rows it never
        # got to are handed out again by the dispatcher.
        def finished():
            enqueue(delivery.dispatch_due(now=timezone.now() + timedelta(minutes=11)), broker)
            return set(OutboxMessage.objects.values_list("status", flat=True)) <= TERMINAL

        assert wait_for(finished, timeout=120, every=2), Counter(OutboxMessage.objects.values_list("status", flat=True))
    finally:
        worker.stop()

    counts = delivered(smtp)
    statuses = dict(OutboxMessage.objects.values_list("pk", "status"))
    assert max(counts.values()) == 1, "a message went out twice"
    assert set(statuses.values()) <= {MessageStatus.SENT, MessageStatus.UNKNOWN}
    for pk, status in statuses.items():
        if status == MessageStatus.SENT:
            assert counts[f"msg-{pk}"] == 1
    unknown = [pk for pk, status in statuses.items() if status == MessageStatus.UNKNOWN]
    assert len(unknown) <= 2  # at most one in flight per worker process
    assert sum(counts.values()) >= total - len(unknown)


def test_while_redis_is_down_bookings_go_through_and_their_messages_go_out_when_it_returns(make_appointment, smtp, tmp_path):
    need(shutil.which("redis-server") is not None, "needs the redis-server program to run a Redis it can stop")
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--dir", str(tmp_path)]
    redis_server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    worker = None
    try:
        time.sleep(0.5)
        worker = WorkerProcess(broker, env=worker_env(smtp)).start()
        redis_server.terminate()
        redis_server.wait(timeout=10)

        total = due_confirmations(make_appointment, 5)  # booking while the broker is down
        assert total == 5
        assert dispatch_elsewhere(broker) == 0  # nothing could be handed out...
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {MessageStatus.PENDING}  # ...and nothing is lost

        redis_server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        assert wait_for(lambda: _ping(broker), timeout=20)
        assert dispatch_elsewhere(broker) == 5
        assert wait_for(lambda: sum(delivered(smtp).values()) == 5, timeout=60), "the worker did not come back"
    finally:
        if worker:
            worker.stop()
        redis_server.terminate()
        redis_server.wait(timeout=10)
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def dispatch_elsewhere(broker) -> int:
    """One beat tick of the dispatcher, in its own process configured for `broker`."""
    env = {**os.environ, "DATABASE_URL": database_url_for_workers(), "CELERY_BROKER_URL": broker}
    code = "import django; django.setup(); from clinic.tasks import dispatch_outbox; print(dispatch_outbox())"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def _ping(url):
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False


def test_a_visit_moved_after_its_reminder_was_queued_never_gets_the_old_one(make_appointment, patient, smtp):
    broker = redis_broker_url()
    appointment = make_appointment(patient, service="consultation")
    events.appointment_booked.send(sender=Appointment, appointment=appointment)
    old = appointment.messages.get(kind="booking_confirmation")
    OutboxMessage.objects.filter(pk=old.pk).update(send_at=timezone.now() - timedelta(minutes=1))
    enqueue(delivery.dispatch_due(), broker)  # on the broker, no worker yet

    for field in ("start", "end", "blocked_start", "blocked_end"):
        setattr(appointment, field, getattr(appointment, field) + timedelta(days=1))
    appointment.save()
    events.appointment_moved.send(sender=Appointment, appointment=appointment, previous_start=old.planned_for,
                                  previous_end=None)
    new = appointment.messages.get(kind="booking_confirmation", planned_for=appointment.start)
    OutboxMessage.objects.filter(pk=new.pk).update(send_at=timezone.now() - timedelta(minutes=1))
    enqueue(delivery.dispatch_due(), broker)

    worker = WorkerProcess(broker, env=worker_env(smtp)).start()
    try:
        assert wait_for(lambda: OutboxMessage.objects.get(pk=new.pk).status == MessageStatus.SENT, timeout=60)
        assert wait_for(lambda: OutboxMessage.objects.get(pk=old.pk).status in TERMINAL | {MessageStatus.CANCELLED}, timeout=30)
    finally:
        worker.stop()
    assert OutboxMessage.objects.get(pk=old.pk).status == MessageStatus.CANCELLED
    assert delivered(smtp) == Counter({f"msg-{new.pk}": 1})
