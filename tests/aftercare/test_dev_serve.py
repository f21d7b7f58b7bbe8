"""`python3 dev.py serve` supervises the web server, the worker and the beat: a worker killed
mid-batch is started again and its messages still go out once; SIGTERM stops everything, with no
process left behind, within 10 seconds."""

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from clinic.models import MessageStatus, OutboxMessage
from tests.outbox import due_confirmations
from tests.services import ROOT, SlowSMTPSink, database_url_for_workers, free_port, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TERMINAL = {MessageStatus.SENT, MessageStatus.UNKNOWN, MessageStatus.SKIPPED, MessageStatus.FAILED}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def group_members(pgid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,pgid="], capture_output=True, text=True).stdout
    return [int(p) for p, g in (line.split() for line in out.splitlines()) if int(g) == pgid and alive(int(p))]


def test_dev_serve_restarts_a_killed_worker_sends_its_messages_once_and_stops_cleanly(make_appointment, tmp_path):
    smtp = SlowSMTPSink()
    smtp.delay = 0.05
    smtp.start()
    due_confirmations(make_appointment, 150)
    ours = set(OutboxMessage.objects.values_list("pk", flat=True))
    console = tmp_path / "console.log"
    env = {
        **os.environ, "DEBUG": "true", "DATABASE_URL": database_url_for_workers(), "PORT": str(free_port()),
        "CELERY_BROKER_URL": "filesystem://", "CELERY_BROKER_FOLDER": str(tmp_path / "broker"),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "SMS_FILE_PATH": str(tmp_path / "sms"),
        "OUTBOX_DISPATCH_SECONDS": "2", "REMINDER_REQUEUE_MINUTES": "1",
    }
    serve = subprocess.Popen([sys.executable, "dev.py", "serve"], cwd=ROOT, env=env, stdout=console.open("wb"),
                             stderr=subprocess.STDOUT, start_new_session=True)
    text = lambda: console.read_text(errors="replace")  # noqa: E731
    try:
        assert wait_for(lambda: "Serving the site" in text(), timeout=300), text()[-3000:]
        pids = {name: int(pid) for name, pid in re.findall(r"==> (web server|Celery worker|Celery beat) started \(pid (\d+)\)", text())}
        assert wait_for(lambda: len(smtp.messages) >= 20, timeout=120), "the worker sent nothing"
        os.killpg(pids["Celery worker"], signal.SIGKILL)  # kill -9 the worker and its pool, mid-batch
        assert len(smtp.messages) < len(ours), "the batch finished before the kill; the test proves nothing"
        assert wait_for(lambda: "Celery worker stopped unexpectedly (exit status -9); restarting it" in text(), timeout=30)
        started = lambda: [int(p) for p in re.findall(r"==> Celery worker started \(pid (\d+)\)", text())]  # noqa: E731
        assert wait_for(lambda: len(started()) == 2, timeout=10)
        restarted = started()
        assert alive(restarted[1])
        assert wait_for(lambda: set(OutboxMessage.objects.filter(pk__in=ours).values_list("status", flat=True)) <= TERMINAL,
                        timeout=180), Counter(OutboxMessage.objects.values_list("status", flat=True))
        assert alive(pids["Celery beat"]) and alive(pids["web server"])  # only the worker was restarted
        groups = [pids["web server"], pids["Celery beat"], restarted[1]]
        began = time.monotonic()
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=15)
        assert wait_for(lambda: not any(group_members(g) for g in groups), timeout=10 - (time.monotonic() - began))
        assert time.monotonic() - began < 10
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
        for pid in re.findall(r"started \(pid (\d+)\)", text()):
            try:
                os.killpg(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        smtp.stop()
    counts = smtp.delivered()
    statuses = dict(OutboxMessage.objects.filter(pk__in=ours).values_list("pk", "status"))
    assert max(counts.values()) == 1, "a message went out twice"
    assert set(statuses.values()) <= {MessageStatus.SENT, MessageStatus.UNKNOWN}
    unknown = [pk for pk, s in statuses.items() if s == MessageStatus.UNKNOWN]
    assert len(unknown) <= 2  # at most the one each pool process was handing over when killed
    for pk, status in statuses.items():
        if status == MessageStatus.SENT:
            assert counts[f"msg-{pk}"] == 1
    assert "Stopped" in text()
