"""Real outside services for integration tests: a Redis broker, a Celery worker process, an SMTP server.

A test that needs one skips with the reason when it is missing, except on CI (CI=true), where a
missing service is a failure: CI has them all, and a silent skip there would hide a broken run.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
ON_CI = os.environ.get("CI") == "true"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def need(condition: bool, reason: str) -> None:
    if not condition:
        if ON_CI:
            pytest.fail(f"{reason} (CI must run this test)")
        pytest.skip(reason)


def redis_broker_url() -> str:
    """The Redis the suite was given (CELERY_BROKER_URL), else TEST_REDIS_URL or a local default.

    Skips if unreachable. Two checkouts testing at once on one machine give each its own
    TEST_REDIS_URL database, or their workers would take each other's tasks.
    """
    import redis

    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        need(False, f"needs a Redis server at {url}: {exc}")
    return url


def database_url_for_workers() -> str:
    """A DATABASE_URL for other processes that points at *this* test run's database."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = quote(s["USER"] or "") + (f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class WorkerProcess:
    """`celery -A clinic worker` in its own process group, on the test database and a real broker."""

    arguments = ("worker", "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat")
    ready = "ready."

    def __init__(self, broker_url: str, env: dict | None = None, concurrency: int = 2, cwd: Path = ROOT, name: str = ""):
        self.broker_url = broker_url
        self.extra_env = env or {}
        self.concurrency = concurrency
        self.cwd = cwd
        self.process = None
        self.log = ROOT / "var" / f"test-{self.arguments[0]}{name}-{os.getpid()}.log"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "celery", "-A", "clinic", *self.arguments, f"--concurrency={self.concurrency}"]

    def start(self):
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.write_bytes(b"")
        env = {
            **os.environ,
            "DATABASE_URL": database_url_for_workers(),
            "CELERY_BROKER_URL": self.broker_url,
            "DJANGO_SETTINGS_MODULE": "clinic.settings",
            **self.extra_env,
        }
        self.process = subprocess.Popen(
            self.command(), cwd=self.cwd, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.ready in self.log.read_text(errors="replace"):
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.arguments[0]} exited early; see {self.log}")
            time.sleep(0.2)
        raise RuntimeError(f"{self.arguments[0]} did not start in 60 s; see {self.log}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self):
        """kill -9 the whole process group: the worker and its pool children, mid-work."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class BeatProcess(WorkerProcess):
    """`celery -A clinic beat`: its own process, with the database scheduler, as in production."""

    arguments = ("beat", "--loglevel=INFO")
    ready = "beat: Starting"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "celery", "-A", "clinic", *self.arguments]


def embedded_broker(folder: Path) -> tuple[str, dict]:
    """The embedded broker in a folder of the test's own, for processes the test starts."""
    return "filesystem://", {"CELERY_BROKER_FOLDER": str(folder)}


def wait_for(condition, timeout=90, every=0.2) -> bool:
    """Polls `condition` until it holds or `timeout` seconds pass; whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


class SMTPSink:
    """A real SMTP server on localhost (aiosmtpd) that keeps what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages = []
        self.lock = threading.Lock()
        self.port = free_port()  # aiosmtpd checks readiness by connecting, so port 0 won't do
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        from email import message_from_bytes

        with self.lock:
            self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def delivered(self):
        """How many times each outbox message (its X-Clinic-Message header) arrived."""
        from collections import Counter

        with self.lock:
            return Counter(m["X-Clinic-Message"] for m in self.messages)


class SlowSMTPSink(SMTPSink):
    """Takes a moment per message, so a batch is still running when a worker is killed."""

    delay = 0.02

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)

