"""The beat runs as its own process, with its schedule in the database; two of them at once double
nothing. Real processes: a Celery worker, one or two beats, the embedded broker, an SMTP server."""

import shutil
import subprocess
import time

import pytest

from clinic.models import MessageStatus, OutboxHealth, OutboxMessage
from tests.outbox import due_confirmations
from tests.services import ROOT, BeatProcess, SMTPSink, WorkerProcess, embedded_broker, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def smtp():
    sink = SMTPSink().start()
    yield sink
    sink.stop()


def test_two_beats_at_once_send_each_message_once(make_appointment, smtp, tmp_path):
    broker, folder = embedded_broker(tmp_path / "broker")
    env = {**folder, "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "OUTBOX_DISPATCH_SECONDS": "1"}
    total = due_confirmations(make_appointment, 40)
    processes = [WorkerProcess(broker, env=env), BeatProcess(broker, env=env, name="-1"), BeatProcess(broker, env=env, name="-2")]
    try:
        for process in processes:
            process.start()
        assert wait_for(lambda: OutboxMessage.objects.filter(status=MessageStatus.SENT).count() == total)
        time.sleep(4)  # both beats keep dispatching: nothing more may go out
        beats = [p.output().count("Sending due task clinic-dispatch-outbox") for p in processes[1:]]
    finally:
        for process in processes:
            process.stop()
    assert all(n >= 2 for n in beats), beats  # both beats really dispatched, several times each
    assert OutboxHealth.objects.get().runs >= 2  # the runs are recorded (some may still wait in the queue)
    counts = smtp.delivered()
    assert len(counts) == total and set(counts.values()) == {1}


def test_a_fresh_checkout_with_no_var_folder_starts_the_beat(tmp_path):
    """Production's failure: `var/` did not exist and the beat died at start-up. The schedule now
    lives in the database; nothing is written under the checkout."""
    checkout = tmp_path / "checkout"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, checkout / name)
    assert not (checkout / "var").exists()
    broker, folder = embedded_broker(tmp_path / "broker")
    beat = BeatProcess(broker, env={**folder, "OUTBOX_DISPATCH_SECONDS": "1", "DEBUG": "false",
                                    "SECRET_KEY": "fresh-checkout-" + "k" * 40}, cwd=checkout)
    try:
        beat.start()
        assert wait_for(lambda: "Sending due task clinic-dispatch-outbox" in beat.output(), timeout=30), beat.output()
        time.sleep(2)
        assert beat.process.poll() is None, beat.output()  # still running
    finally:
        beat.stop()
    assert "Traceback" not in beat.output() and "FileNotFoundError" not in beat.output()
    assert not (checkout / "var").exists()
