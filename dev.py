#!/usr/bin/env python3
"""The two commands a fresh machine needs (nothing but Python 3.11):

    python3 dev.py serve   # set up, migrate, seed demo data, run the site + Celery worker and beat
    python3 dev.py test    # set up and run the whole test suite (extra arguments go to pytest)

Everything lands in .venv/ and var/ inside the checkout; run either command again at any time.
"""

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


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
    say("Starting the Celery worker with its embedded beat (reminders are really dispatched)")
    worker = subprocess.Popen(
        [str(BIN / "celery"), "-A", "clinic", "worker", "-B", "--loglevel=INFO", "--concurrency=2"],
        cwd=ROOT,
        env=env,
    )
    say(f"Serving the site on http://127.0.0.1:{port}/  (Ctrl+C stops everything)")
    try:
        return subprocess.call(manage + ["runserver", f"127.0.0.1:{port}"], cwd=ROOT, env=env)
    except KeyboardInterrupt:
        return 0
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


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
