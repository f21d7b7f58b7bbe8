#!/usr/bin/env python3
"""The two commands a fresh machine needs (nothing but Python 3.11):

    python3 dev.py serve   # set up, migrate, seed demo data, run the site + a Celery worker + the beat
    python3 dev.py test    # set up and run the whole test suite (extra arguments go to pytest)

Everything lands in .venv/ and var/ inside the checkout; run either command again at any time.

``serve`` supervises three processes: the web server, the Celery worker and the beat (its own
process, as in production). One that dies is started again, and the console says so. Ctrl+C or
SIGTERM stops them all within 10 seconds: each runs in its own process group, which is sent
SIGTERM and, if anything in it is still alive after a few seconds, SIGKILL. On Linux the children
are also told to stop if dev.py itself is killed, so none is left behind as an orphan.
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

STOP_GRACE = 6.0  # seconds between SIGTERM and SIGKILL: everything is gone well within 10 s
HEALTH_EVERY = 60.0  # seconds between looks at /health/ (it e-mails the clinic admin once if messages stall)


def say(text):
    print(f"==> {text}", flush=True)


def run(*args, **kwargs):
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kwargs)


def ensure_venv(requirements: str) -> None:
    """Create .venv and install the requirements, only when they changed since the last time."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        say("Creating the virtual environment in .venv/")
        venv.EnvBuilder(with_pip=True).create(VENV)
    req = ROOT / requirements
    digest = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in ("requirements.txt", requirements))).hexdigest()
    stamp = VENV / f".installed-{req.stem}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"Installing {requirements}")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", req)
    stamp.write_text(digest)


def _die_with_parent() -> None:
    """In the child, before exec: own process group, and SIGTERM if dev.py dies (Linux only)."""
    os.setsid()
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervised:
    """One long-running process, started again whenever it dies on its own."""

    def __init__(self, name: str, command: list[str], env: dict, *, warm_shutdown: bool = False):
        self.name, self.command, self.env = name, command, env
        self.warm_shutdown = warm_shutdown  # SIGTERM to the main process only: it stops its own children
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.next_start = 0.0

    def start(self) -> None:
        self.starts += 1
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env,
                                        preexec_fn=_die_with_parent if os.name == "posix" else None)
        say(f"{self.name} started (pid {self.process.pid})")

    def check(self, now: float) -> None:
        """Restart it if it died; a process that keeps dying is restarted at most every 10 s."""
        if self.process is None:
            if now >= self.next_start:
                self.start()
            return
        code = self.process.poll()
        if code is None:
            return
        self._reap_group()
        self.process = None
        delay = 0.0 if self.starts < 3 else 10.0
        self.next_start = now + delay
        say(f"{self.name} stopped unexpectedly (exit status {code}); restarting it"
            + (f" in {delay:.0f} s" if delay else ""))
        if not delay:
            self.start()

    def _reap_group(self) -> None:
        """Pool children of a killed worker may outlive it: the whole group goes."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def terminate(self) -> None:
        """SIGTERM to the process group, or only to the main process when it stops its own
        children (the worker's warm shutdown lets a running batch finish)."""
        if self.process is not None and self.process.poll() is None:
            try:
                if self.warm_shutdown:
                    self.process.send_signal(signal.SIGTERM)
                else:
                    os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass


class Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise Stop(signal.Signals(signum).name)


def _look_at_health(port: str) -> None:
    """What a load balancer does in production: the health check raises the stall alarm if needed."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=10) as response:
            body = json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return  # the web server is (re)starting
    if body.get("status") != "ok":
        say(f"health: {body.get('status')} — dispatcher last ran {body.get('dispatcher', {}).get('minutes_ago')} min ago, "
            f"oldest due message {body.get('oldest_due_message', {}).get('minutes_late')} min late")


def serve() -> int:
    ensure_venv("requirements.txt")
    env = {**os.environ}
    env.setdefault("DEBUG", "true")
    port = env.get("PORT", "8000")
    env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")  # links in the e-mails point at this server
    manage = [str(PYTHON), "manage.py"]
    say("Migrating the database")
    run(*manage, "migrate", "--no-input", env=env)
    say("Seeding demo data")
    run(*manage, "seed_demo", env=env)
    celery = [str(PYTHON), "-m", "celery", "-A", "clinic"]
    children = [
        Supervised("web server", manage + ["runserver", f"127.0.0.1:{port}"], env),
        # Remote control, mingle, gossip and heartbeats are broadcasts every process writes to the
        # broker; the embedded broker runs without them (clinic/broker.py).
        Supervised("Celery worker", celery + ["worker", "--loglevel=INFO", "--concurrency=2", "--without-mingle",
                                              "--without-gossip", "--without-heartbeat"], env, warm_shutdown=True),
        Supervised("Celery beat", celery + ["beat", "--loglevel=INFO"], env),
    ]
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    reason = ""
    try:
        for child in children:
            child.start()
        say(f"Serving the site on http://127.0.0.1:{port}/  (Ctrl+C stops everything)")
        next_health = time.monotonic() + HEALTH_EVERY
        while True:
            time.sleep(0.5)
            now = time.monotonic()
            for child in children:
                child.check(now)
            if now >= next_health:
                next_health = now + HEALTH_EVERY
                _look_at_health(port)
    except Stop as stop:
        reason = str(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl+C must not cut the clean-up short
        say(f"Stopping the web server, the worker and the beat{f' ({reason})' if reason else ''}")
        for child in children:
            child.terminate()
        deadline = time.monotonic() + STOP_GRACE
        while time.monotonic() < deadline and any(c.process and c.process.poll() is None for c in children):
            time.sleep(0.1)
        for child in children:
            child.kill()  # whatever is left in each process group, pool children included
        say("Stopped")
    return 0


def test(pytest_args: list[str]) -> int:
    ensure_venv("requirements-dev.txt")
    return subprocess.call([str(PYTHON), "-m", "pytest", *pytest_args], cwd=ROOT)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "serve":
        return serve()
    if command == "test":
        return test(argv[2:])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
