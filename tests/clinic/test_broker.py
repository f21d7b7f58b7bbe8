"""The embedded broker (clinic/broker.py): several processes publish and consume at once through
files, with no server, and nothing is lost, doubled or left half-written."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter

from tests.services import ROOT

COMMON = textwrap.dedent("""
    import json, os, sys, time
    from kombu import Connection, Exchange, Queue
    folder = sys.argv[1]
    options = {"data_folder_in": folder + "/queue", "data_folder_out": folder + "/queue"}
    def connect():
        return Connection("filesystem://", transport="clinic.broker:Transport", transport_options=options)
    queue = Queue("soak", Exchange("soak", type="direct"), routing_key="soak")
""")

PRODUCER = COMMON + textwrap.dedent("""
    name, count = sys.argv[2], int(sys.argv[3])
    with connect() as conn:
        producer = conn.Producer()
        for n in range(count):
            producer.publish({"id": f"{name}-{n}", "pad": "x" * 4000}, exchange=queue.exchange, routing_key="soak",
                             declare=[queue], serializer="json")
""")

CONSUMER = COMMON + textwrap.dedent("""
    out, until_idle, hold = sys.argv[2], float(sys.argv[3]), sys.argv[4] == "hold"
    seen = open(out, "a")
    last = time.monotonic()
    with connect() as conn:
        def got(body, message):
            global last
            seen.write(body["id"] + "\\n"); seen.flush()
            last = time.monotonic()
            if hold:  # take one and never acknowledge it, then wait to be killed
                print("holding", flush=True)
                time.sleep(600)
            message.ack()
        with conn.Consumer(queue, callbacks=[got], accept=["json"]) as consumer:
            consumer.qos(prefetch_count=1)
            while time.monotonic() - last < until_idle:
                try:
                    conn.drain_events(timeout=0.5)
                except TimeoutError:
                    pass
""")


def python(code, *args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, env=env, **kwargs)


def test_many_writers_and_readers_at_once_deliver_every_message_exactly_once(tmp_path):
    folder = tmp_path / "broker"
    (folder / "queue").mkdir(parents=True)
    consumers = [python(CONSUMER, folder, tmp_path / f"seen-{n}.txt", 6, "ack", stderr=subprocess.PIPE) for n in range(3)]
    producers = [python(PRODUCER, folder, f"p{n}", 400, stderr=subprocess.PIPE) for n in range(3)]
    for p in producers + consumers:
        _, err = p.communicate(timeout=180)
        assert p.returncode == 0, err.decode()
    seen = Counter(line for n in range(3) for line in (tmp_path / f"seen-{n}.txt").read_text().split())
    assert len(seen) == 1200 and set(seen.values()) == {1}
    assert sum(1 for n in range(3) if (tmp_path / f"seen-{n}.txt").read_text()) >= 2  # really shared out
    assert not list((folder / "queue").iterdir())  # nothing left behind
    assert not (folder / "bad").exists() or not list((folder / "bad").iterdir())  # and nothing unreadable


def test_a_message_a_killed_consumer_had_taken_is_delivered_to_the_next_one(tmp_path):
    folder = tmp_path / "broker"
    (folder / "queue").mkdir(parents=True)
    producer = python(PRODUCER, folder, "p", 1)
    assert producer.wait(timeout=60) == 0
    holder = python(CONSUMER, folder, tmp_path / "held.txt", 60, "hold", stdout=subprocess.PIPE, start_new_session=True)
    assert holder.stdout.readline().strip() == b"holding"
    assert not list((folder / "queue").iterdir())  # taken, not acknowledged
    os.killpg(holder.pid, signal.SIGKILL)  # kill -9: no chance to put it back
    holder.wait(timeout=10)
    nextone = python(CONSUMER, folder, tmp_path / "next.txt", 8, "ack")
    assert nextone.wait(timeout=120) == 0
    assert (tmp_path / "held.txt").read_text().split() == ["p-0"]
    assert (tmp_path / "next.txt").read_text().split() == ["p-0"]  # redelivered, as acks_late promises
    assert not list((folder / "unacked").iterdir())


def test_a_file_that_cannot_be_read_is_set_aside_instead_of_stopping_the_consumer(tmp_path):
    folder = tmp_path / "broker"
    (folder / "queue").mkdir(parents=True)
    (folder / "queue" / "000000000000001_x.soak.msg").write_text('{"half-writ')
    producer = python(PRODUCER, folder, "p", 2)
    assert producer.wait(timeout=60) == 0
    consumer = python(CONSUMER, folder, tmp_path / "seen.txt", 4, "ack", stderr=subprocess.PIPE)
    _, err = consumer.communicate(timeout=120)
    assert consumer.returncode == 0, err.decode()
    assert sorted((tmp_path / "seen.txt").read_text().split()) == ["p-0", "p-1"]
    assert [p.name for p in (folder / "bad").iterdir()] == ["000000000000001_x.soak.msg"]
    assert "could not be read" in err.decode()


def test_the_exchange_table_is_rewritten_whole_under_a_lock(tmp_path):
    code = COMMON + textwrap.dedent("""
        from kombu import Queue, Exchange
        with connect() as conn:
            channel = conn.default_channel
            for n in range(50):
                channel._queue_bind("fan", "", "", f"q-{sys.argv[2]}-{n}")
    """)
    folder = tmp_path / "broker"
    (folder / "queue").mkdir(parents=True)
    writers = [python(code, folder, n, stderr=subprocess.PIPE) for n in range(4)]
    for w in writers:
        _, err = w.communicate(timeout=120)
        assert w.returncode == 0, err.decode()
    table = json.loads((folder / "control" / "fan.exchange").read_text())
    assert len(table) == 200  # every binding of every process, none lost to a concurrent rewrite
