"""Drain 10,000 due reminders with one Celery worker; print messages per second and check exactly-once.

    python benchmarks/reminders.py [--messages 10000] [--concurrency 2]

Not a test: it prints figures (target: all sent within 60 s). It builds a throwaway database
(a temporary SQLite file, or DATABASE_URL if that is a PostgreSQL URL: a database named
bench_reminders is created there), uses Redis as the broker when one answers at CELERY_BROKER_URL
or 127.0.0.1:6379 (else kombu's filesystem transport), and delivers e-mail to a local SMTP server
that counts what it receives.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = re.compile(rb"^X-Clinic-Message: (\S+)", re.MULTILINE)
sys.path.insert(0, str(ROOT))


def choose_database() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        base = url.rsplit("/", 1)[0]
        import psycopg2

        admin = psycopg2.connect(f"{base}/postgres")
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("DROP DATABASE IF EXISTS bench_reminders")
            cursor.execute("CREATE DATABASE bench_reminders")
        admin.close()
        return f"{base}/bench_reminders"
    return f"sqlite:///{tempfile.mkdtemp(prefix='bench-reminders-')}/bench.sqlite3"


def choose_broker() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        url = "redis://127.0.0.1:6379/13"
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.ping()
        client.flushdb()
        return url
    except Exception:
        return "filesystem://"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4, help="worker processes (sending waits on SMTP)")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = choose_database()
    os.environ["CELERY_BROKER_URL"] = choose_broker()
    if os.environ["CELERY_BROKER_URL"].startswith("filesystem://"):
        os.environ["CELERY_BROKER_FOLDER"] = tempfile.mkdtemp(prefix="bench-broker-")
    os.environ.setdefault("DEBUG", "true")
    os.environ["DJANGO_SETTINGS_MODULE"] = "clinic.settings"

    from tests.services import SMTPSink

    class CountingSink(SMTPSink):
        """Only reads our message header, so the sink takes as little CPU from the worker as it can."""

        async def handle_DATA(self, server, session, envelope):
            match = REFERENCE.search(envelope.original_content)
            with self.lock:
                self.messages.append(match.group(1).decode() if match else "")
            return "250 OK"

    sink = CountingSink().start()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{sink.port}"

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from django.contrib.contenttypes.models import ContentType

    from booking.models import Appointment, Service
    from clinic import celery_app, delivery
    from clinic.delivery import batches
    from clinic.models import Clinic, Clinician, MessageStatus, OutboxMessage, Patient, Role, StaffMember, User
    from clinic.tasks import send_outbox

    print(f"database: {os.environ['DATABASE_URL'].split('@')[-1]}   broker: {os.environ['CELERY_BROKER_URL']}")
    clinic = Clinic.objects.create(name="Bench clinic", address="1 Bench Road", phone="+12065550100")
    user = User.objects.create_user(email="bench-doc@example.org", password=None)
    clinician = Clinician.objects.create(staff=StaffMember.objects.create(user=user, role=Role.CLINICIAN))
    service = Service.objects.get(slug="review")  # no room needed
    patients = Patient.objects.bulk_create(
        Patient(first_name="Pat", last_name=f"Bench{n}", date_of_birth="1980-01-01", email=f"p{n}@example.org")
        for n in range(100)
    )
    first = timezone.now() + timedelta(days=30)
    appointments = Appointment.objects.bulk_create(
        Appointment(patient=patients[n % 100], service=service, clinician=clinician, start=first + timedelta(minutes=20 * n),
                    end=first + timedelta(minutes=20 * n + 15), blocked_start=first + timedelta(minutes=20 * n),
                    blocked_end=first + timedelta(minutes=20 * n + 15), booked_at=timezone.now())
        for n in range(args.messages)
    )
    now = timezone.now()
    appointment_type = ContentType.objects.get_for_model(Appointment)
    OutboxMessage.objects.bulk_create(
        OutboxMessage(about_type=appointment_type, about_id=a.pk, patient_id=a.patient_id, kind="booking_confirmation",
                      channel="email", send_at=now - timedelta(minutes=1), planned_for=a.start)
        for a in appointments
    )
    assert clinic.pk and OutboxMessage.objects.count() == args.messages

    env = {**os.environ}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "clinic", "worker", "--loglevel=WARNING", f"--concurrency={args.concurrency}",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        started = time.perf_counter()
        # What beat does once a minute, here in a loop until the outbox is empty.
        while True:
            ids = delivery.dispatch_due()
            if not ids:
                break
            with celery_app.connection_for_write() as connection:
                for batch in batches(ids):
                    send_outbox.apply_async((batch,), connection=connection)
        enqueued = time.perf_counter() - started
        deadline = started + 600
        while time.perf_counter() < deadline:
            done = OutboxMessage.objects.filter(status__in=[MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.UNKNOWN]).count()
            if done == args.messages:
                break
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        sink.stop()

    statuses = Counter(OutboxMessage.objects.values_list("status", flat=True))
    delivered = Counter(sink.messages)
    duplicates = sum(1 for n in delivered.values() if n > 1)
    print(f"messages:            {args.messages}")
    print(f"worker concurrency:  {args.concurrency}")
    print(f"dispatched in:       {enqueued:.1f} s")
    print(f"all drained in:      {elapsed:.1f} s   (target: under 60 s)")
    print(f"throughput:          {args.messages / elapsed:.0f} messages/s")
    print(f"statuses:            {dict(statuses)}")
    print(f"delivered by SMTP:   {sum(delivered.values())} ({len(delivered)} distinct, {duplicates} duplicated)")
    exactly_once = statuses.get("sent") == args.messages and len(delivered) == args.messages and duplicates == 0
    print(f"exactly once:        {'yes' if exactly_once else 'NO'}")
    if not exactly_once:
        sys.exit(1)


if __name__ == "__main__":
    main()
