"""Soak test of the whole stack: does it stay up, and does every due message go out exactly once?

    .venv/bin/python benchmarks/soak.py --stack embedded [--minutes 30] [--port 8103]
    .venv/bin/python benchmarks/soak.py --stack postgres --database-url postgres://postgres@127.0.0.1:5432/clinic_soak \\
        --broker-url redis://127.0.0.1:6379/7 [--minutes 30] [--port 8113]

Not a test: it runs for a given time and prints figures.

- ``embedded``: the README's first command, ``python3 dev.py serve``, in a fresh clone of this
  repository (SQLite, the embedded broker, dev.py supervising the web server, the worker and the beat).
- ``postgres``: the production shape: PostgreSQL and Redis, with gunicorn, a Celery worker and the
  beat as three separate processes (the database is dropped and created again).

Both are driven over HTTP by a scripted mix (fixed random seed): patients book consultations, move
and cancel them; the front desk books visits for today and checks patients in; a patient answers
the aftercare check-in. At the end it stops driving, waits for what is due to go out, stops the
stack (timing the stop), and checks:

- the worker and the beat stayed alive throughout (same processes, no restart);
- the dispatcher ran all the time (largest gap between two runs);
- every due message was sent, exactly once (counted in the e-mail and text files the stack wrote);
- none went for a cancelled or moved time (a message handed over after the driver's cancel or
  move of its visit had returned).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = re.compile(r"^X-Clinic-Message: (msg-\d+)", re.MULTILINE)
PASSWORD = "vein-demo-2026"
DEMO = "demo.clinic"


def log(text: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {text}", flush=True)


# --- The stacks -------------------------------------------------------------------------------


class Stack:
    """The processes under test, their environment, and where they write messages."""

    def __init__(self, checkout: Path, env: dict, mail_dir: Path, sms_dir: Path, port: int):
        self.checkout, self.env, self.mail_dir, self.sms_dir, self.port = checkout, env, mail_dir, sms_dir, port
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        path = self.checkout / "var" / f"soak-{name}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.logs[name] = path
        process = subprocess.Popen(command, cwd=self.checkout, env=self.env, stdout=path.open("ab"),
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name] = process
        return process

    def pids(self) -> dict[str, int]:
        raise NotImplementedError

    def alive(self) -> dict[str, bool]:
        return {name: _pid_alive(pid) for name, pid in self.pids().items()}

    def restarts(self) -> int:
        return 0

    def stop(self) -> tuple[float, list[int]]:
        """Stop everything; returns (seconds taken, pids of the stack still alive after it)."""
        raise NotImplementedError


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


def _descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        p, pp = (int(x) for x in line.split())
        children.setdefault(pp, []).append(p)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class EmbeddedStack(Stack):
    """``python3 dev.py serve`` in a fresh clone."""

    def start(self) -> None:
        self.spawn("dev-serve", [sys.executable, "dev.py", "serve"])
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            text = self.logs["dev-serve"].read_text(errors="replace")
            if "Serving the site" in text and "celery@" in text and "beat: Starting" in text:
                break
            if self.processes["dev-serve"].poll() is not None:
                raise SystemExit(f"dev.py serve exited; see {self.logs['dev-serve']}")
            time.sleep(1)
        else:
            raise SystemExit("dev.py serve did not start in 10 minutes")
        self._pids = self._started_pids()
        self._all = [self.processes["dev-serve"].pid] + _descendants(self.processes["dev-serve"].pid)

    def _started_pids(self) -> dict[str, int]:
        text = self.logs["dev-serve"].read_text(errors="replace")
        pids = {}
        for name in ("web server", "Celery worker", "Celery beat"):
            found = re.findall(rf"==> {name} started \(pid (\d+)\)", text)
            pids[name] = int(found[0])
        return pids

    def pids(self) -> dict[str, int]:
        return self._pids

    def restarts(self) -> int:
        return self.logs["dev-serve"].read_text(errors="replace").count("stopped unexpectedly")

    def stop(self) -> tuple[float, list[int]]:
        everything = set(self._all) | set(_descendants(self.processes["dev-serve"].pid))
        began = time.monotonic()
        self.processes["dev-serve"].send_signal(signal.SIGTERM)
        self.processes["dev-serve"].wait(timeout=60)
        while time.monotonic() - began < 30 and any(_pid_alive(p) for p in everything):
            time.sleep(0.1)
        return time.monotonic() - began, sorted(p for p in everything if _pid_alive(p))


class PostgresStack(Stack):
    """gunicorn, a Celery worker and the beat, as three processes, on PostgreSQL and Redis."""

    def start(self) -> None:
        python = str(self.checkout / ".venv" / "bin" / "python")
        for step in (["migrate", "--no-input"], ["seed_demo"]):
            subprocess.run([python, "manage.py", *step], cwd=self.checkout, env=self.env, check=True,
                           stdout=subprocess.DEVNULL)
        self.spawn("web", [python, "-m", "gunicorn", "clinic.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{self.port}"])
        self.spawn("worker", [python, "-m", "celery", "-A", "clinic", "worker", "--loglevel=INFO", "--concurrency=2"])
        self.spawn("beat", [python, "-m", "celery", "-A", "clinic", "beat", "--loglevel=INFO"])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if "ready." in self.logs["worker"].read_text(errors="replace") and _answers(self.url):
                return
            time.sleep(1)
        raise SystemExit("the PostgreSQL stack did not start in 2 minutes")

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.processes.items()}

    def stop(self) -> tuple[float, list[int]]:
        everything = {p.pid for p in self.processes.values()}
        for p in self.processes.values():
            everything |= set(_descendants(p.pid))
        began = time.monotonic()
        for p in self.processes.values():
            p.send_signal(signal.SIGTERM)
        while time.monotonic() - began < 30 and any(_pid_alive(p) for p in everything):
            time.sleep(0.1)
        for p in self.processes.values():
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return time.monotonic() - began, []


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/health/", timeout=5).status_code == 200
    except requests.RequestException:
        return False


# --- The driver -------------------------------------------------------------------------------


class Browser:
    """A logged-in person: a requests session that posts forms with their CSRF token."""

    def __init__(self, base: str, email: str):
        self.base, self.email = base, email
        self.http = requests.Session()
        self.latencies: list[float] = []
        self.login()

    def _timed(self, method, path, **kwargs):
        began = time.monotonic()
        response = self.http.request(method, self.base + path, timeout=60, **kwargs)
        self.latencies.append(time.monotonic() - began)
        return response

    def get(self, path):
        return self._timed("GET", path)

    def post(self, path, data, referer=None):
        token = self.http.cookies.get("csrftoken", "")
        return self._timed("POST", path, data={"csrfmiddlewaretoken": token, **data},
                           headers={"Referer": self.base + (referer or path)}, allow_redirects=False)

    def login(self):
        self.get("/accounts/login/")
        response = self.post("/accounts/login/", {"username": self.email, "password": PASSWORD})
        if response.status_code != 302:
            raise RuntimeError(f"{self.email} could not log in ({response.status_code})")


SLOT = re.compile(r'name="start" value="([^"]+)"')


class Driver:
    def __init__(self, stack: Stack, seed: int):
        from booking.models import Service

        self.stack = stack
        self.rng = random.Random(seed)
        self.patients = [Browser(stack.url, f"patient{n:02d}@{DEMO}") for n in range(1, 21)]
        self.desk = Browser(stack.url, f"desk@{DEMO}")
        self.consultation = Service.objects.get(slug="consultation")
        self.counts: Counter = Counter()
        self.changes: dict[int, list[tuple[str, float]]] = {}  # appointment -> [(what, wall time after it returned)]

    def step(self) -> None:
        action = self.rng.choices(["book", "move", "cancel", "desk_check_in", "check_in_answers"],
                                  weights=[40, 20, 15, 10, 15])[0]
        try:
            getattr(self, action)()
        except (requests.RequestException, RuntimeError, IndexError, ValueError) as exc:
            self.counts[f"{action} error"] += 1
            self.counts[f"error: {exc.__class__.__name__}"] += 1

    def _day(self, ahead: int) -> str:
        from clinic.models import Clinic

        return str((datetime.now(Clinic.objects.current_time_zone()) + timedelta(days=ahead)).date())

    def book(self) -> None:
        who = self.rng.choice(self.patients)
        page = who.get(f"/booking/consultation/?day={self._day(self.rng.randint(1, 7))}").text
        slots = SLOT.findall(page)
        if not slots:
            self.counts["book: no slot that day"] += 1
            return
        response = who.post("/booking/consultation/", {"start": self.rng.choice(slots)}, referer="/booking/consultation/")
        if response.status_code != 302 or "/holds/" not in response.headers.get("Location", ""):
            self.counts["book: slot just taken"] += 1
            return
        hold = response.headers["Location"]
        confirmed = who.post(hold.replace(self.stack.url, ""), {"action": "confirm"})
        self.counts["book ok" if confirmed.status_code == 302 else "book: confirm refused"] += 1

    def _own_booked(self, who: Browser):
        from booking.models import Appointment, Status

        return list(Appointment.objects.filter(patient__email=who.email, status=Status.BOOKED,
                                               start__gt=datetime.now().astimezone() + timedelta(days=1, hours=1))
                    .values_list("pk", flat=True))

    def move(self) -> None:
        who = self.rng.choice(self.patients)
        own = self._own_booked(who)
        if not own:
            self.counts["move: nothing to move"] += 1
            return
        pk = self.rng.choice(own)
        page = who.get(f"/booking/appointments/{pk}/move/?day={self._day(self.rng.randint(2, 8))}").text
        slots = SLOT.findall(page)
        if not slots:
            self.counts["move: no slot that day"] += 1
            return
        response = who.post(f"/booking/appointments/{pk}/move/", {"start": self.rng.choice(slots)})
        if response.status_code == 302:
            self.changes.setdefault(pk, []).append(("moved", time.time()))
            self.counts["move ok"] += 1
        else:
            self.counts["move refused"] += 1

    def cancel(self) -> None:
        who = self.rng.choice(self.patients)
        own = self._own_booked(who)
        if not own:
            self.counts["cancel: nothing to cancel"] += 1
            return
        pk = self.rng.choice(own)
        response = who.post(f"/booking/appointments/{pk}/cancel/", {"reason": "soak"})
        if response.status_code == 302:
            self.changes.setdefault(pk, []).append(("cancelled", time.time()))
            self.counts["cancel ok"] += 1
        else:
            self.counts["cancel refused"] += 1

    def desk_check_in(self) -> None:
        from django.utils import timezone

        from booking import selectors
        from booking.models import Appointment, Status
        from clinic.models import Clinic, Patient

        tz = Clinic.objects.current_time_zone()
        today = timezone.localdate(timezone=tz)
        waiting = list(Appointment.objects.filter(status=Status.BOOKED, start__date__gte=today - timedelta(days=1))
                       .filter(start__lt=timezone.now() + timedelta(hours=12)).values_list("pk", "start"))
        waiting = [pk for pk, start in waiting if start.astimezone(tz).date() == today]
        if not waiting:
            slots = selectors.slot_list(service=self.consultation, first_day=today, last_day=today,
                                        now=timezone.now(), staff=True, limit=20)
            if not slots:
                self.counts["desk: no time free today"] += 1
                return
            slot = self.rng.choice(slots)
            patient = Patient.objects.get(email=f"patient{self.rng.randint(1, 20):02d}@{DEMO}")
            local = slot.start.astimezone(tz)
            response = self.desk.post(f"/booking/desk/book/?patient={patient.pk}", {
                "service": self.consultation.pk, "day": str(local.date()), "time": local.strftime("%H:%M"),
            })
            if response.status_code != 302:
                self.counts["desk: booking for today refused"] += 1
                return
            self.counts["desk booked for today"] += 1
            waiting = [int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])]
        pk = self.rng.choice(waiting)
        response = self.desk.post(f"/booking/desk/appointments/{pk}/check_in/", {})
        self.counts["desk check-in ok" if response.status_code == 302 else "desk check-in refused"] += 1

    def check_in_answers(self) -> None:
        from booking.models import Appointment, ServiceKind, Status

        session = (Appointment.objects.filter(patient__email=f"patient01@{DEMO}", status=Status.COMPLETED,
                                              service__kind=ServiceKind.SESSION).order_by("-start").first())
        if session is None:
            self.counts["check-in: no session"] += 1
            return
        who = self.patients[0]
        answers = {"redness": self.rng.choice(["none", "around_injections"]),
                   "pain": self.rng.choice(["none", "mild", "severe"])}
        for box in ("bruising", "itching", "lumps"):
            if self.rng.random() < 0.4:
                answers[box] = "on"
        if self.rng.random() < 0.1:
            answers["leg_swelling"] = "on"  # alerts the clinic (once per session)
        response = who.post(f"/aftercare/check-in/{session.pk}/", answers)
        self.counts["check-in answers ok" if response.status_code == 302 else "check-in answers refused"] += 1

    def latencies(self) -> list[float]:
        return [x for b in [*self.patients, self.desk] for x in b.latencies]


# --- The checks -------------------------------------------------------------------------------


def delivered(mail_dir: Path, sms_dir: Path) -> Counter:
    counts: Counter = Counter()
    if mail_dir.is_dir():
        for path in mail_dir.iterdir():
            counts.update(REFERENCE.findall(path.read_text(errors="replace")))
    if sms_dir.is_dir():
        for path in sms_dir.glob("*.json"):
            counts[json.loads(path.read_text())["reference"]] += 1
    return counts


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def start_history(appointment_id: int) -> list:
    """The visit's start after its booking and after each move, oldest first (from booking's log:
    each move notes the start it came from)."""
    from booking.models import Appointment, AppointmentLog

    moves = list(AppointmentLog.objects.filter(appointment_id=appointment_id, action="booking.appointment.moved")
                 .order_by("at", "pk").values_list("note", flat=True))
    starts = [datetime.fromisoformat(note.split(";")[0].removeprefix("from ")) for note in moves]
    return starts + [Appointment.objects.values_list("start", flat=True).get(pk=appointment_id)]


def wrong_time(changes: dict[int, list[tuple[str, float]]]) -> list[tuple[int, str, str]]:
    """Messages handed to the provider when their visit no longer was at the time they were planned
    for, or was cancelled: judged against the driver's moves and cancellations that had returned
    (committed) before the hand-over. A message planned by a move is due at least the grace period
    after it, so the driver's timestamp (just after the commit) is never later than its hand-over."""
    from django.contrib.contenttypes.models import ContentType

    from booking.models import Appointment
    from clinic.models import MessageStatus, OutboxMessage

    wrong = []
    rows = OutboxMessage.objects.filter(
        about_type=ContentType.objects.get_for_model(Appointment), about_id__in=[int(k) for k in changes],
        status=MessageStatus.SENT,
    ).exclude(kind="booking.cancelled").values("pk", "kind", "about_id", "planned_for", "provider_called_at")
    histories = {}
    for r in rows:
        done = [c for c in changes.get(r["about_id"], changes.get(str(r["about_id"]), [])) if c[1] < r["provider_called_at"].timestamp()]
        if not done:
            continue
        history = histories.setdefault(r["about_id"], start_history(r["about_id"]))
        what = done[-1][0]
        moves_done = sum(1 for c in done if c[0] == "moved")
        if what == "cancelled" or history[moves_done] != r["planned_for"]:
            wrong.append((r["pk"], r["kind"], what))
    return wrong


def check(mail_dir: Path, sms_dir: Path, changes: dict, began: datetime, ended: datetime, runs: list[datetime]) -> dict:
    from clinic.models import MessageStatus, OutboxMessage

    counts = delivered(mail_dir, sms_dir)
    rows = list(OutboxMessage.objects.filter(created_at__gte=began).values(
        "pk", "kind", "status", "send_at", "sent_at", "provider_called_at", "about_id", "planned_for"))
    by_status = Counter(r["status"] for r in rows)
    sent_ids = {f"msg-{r['pk']}" for r in rows if r["status"] == MessageStatus.SENT}
    all_sent = {f"msg-{pk}" for pk in OutboxMessage.objects.filter(status=MessageStatus.SENT).values_list("pk", flat=True)}
    twice = {ref: n for ref, n in counts.items() if n > 1}
    not_marked = set(counts) - all_sent  # went out but the outbox does not say sent
    missing = sent_ids - set(counts)  # marked sent but never written
    due_unsent = [r for r in rows if r["send_at"] <= ended - timedelta(minutes=2)
                  and r["status"] in (MessageStatus.PENDING, MessageStatus.QUEUED, MessageStatus.SENDING)]
    gaps = [(b - a).total_seconds() for a, b in zip(runs, runs[1:])]
    late = [(r["sent_at"] - r["send_at"]).total_seconds() for r in rows if r["sent_at"]]
    return {
        "messages": dict(by_status), "delivered": sum(counts.values()), "twice": twice, "not_marked": sorted(not_marked),
        "missing": sorted(missing), "due_unsent": len(due_unsent), "wrong_time": wrong_time(changes),
        "dispatcher_runs": len(runs), "largest_gap_s": max(gaps) if gaps else None,
        "send_delay_p50_s": percentile(late, 0.5), "send_delay_p95_s": percentile(late, 0.95),
        "send_delay_max_s": max(late) if late else None,
    }


def dispatcher_run() -> datetime | None:
    from clinic.models import OutboxHealth

    return OutboxHealth.objects.filter(pk=1).values_list("last_run_at", flat=True).first()


# --- Main -------------------------------------------------------------------------------------


def fresh_clone(into: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(into)], check=True)
    # The clone's dev.py would install the same pinned requirements again: share ours.
    (into / ".venv").symlink_to(ROOT / ".venv")
    return into


def recheck(args) -> int:
    """The checks of a finished run, again (its stack is stopped; its database and files remain)."""
    state = json.loads((args.workdir / "soak-state.json").read_text())
    checkout = args.workdir / "clinic"
    if args.stack == "embedded":
        os.environ["DATABASE_URL"] = f"sqlite:///{checkout / 'var' / 'clinic.sqlite3'}"
        mail_dir, sms_dir = checkout / "var" / "mail", checkout / "var" / "sms"
    else:
        os.environ["DATABASE_URL"] = args.database_url
        mail_dir, sms_dir = args.workdir / "mail", args.workdir / "sms"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    os.environ.setdefault("DEBUG", "true")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from booking.models import AppointmentLog

    changes = {int(k): [tuple(c) for c in v] for k, v in state["changes"].items()}
    runs = sorted({datetime.fromisoformat(r) for r in state["runs"]})
    result = check(mail_dir, sms_dir, changes, datetime.fromisoformat(state["began"]),
                   datetime.fromisoformat(state["ended"]), runs)
    logged = Counter(AppointmentLog.objects.filter(action="booking.appointment.moved", appointment_id__in=changes)
                     .values_list("appointment_id", flat=True))
    driven = {k: sum(1 for c in v if c[0] == "moved") for k, v in changes.items()}
    print(f"moves the driver saw succeed vs moves booking logged: {sum(driven.values())} vs {sum(logged.values())}; "
          f"visits that differ: {sum(1 for k in changes if driven[k] != logged.get(k, 0))}")
    return report(args, state["counts"], [], state["deaths"], state["restarts"], {}, state["stop_seconds"],
                  state["left"], result, health_failures=None)


def report(args, counts, lat, deaths, restarts, alive_at_end, stop_seconds, left, result, health_failures) -> int:
    print()
    print(f"== soak: {args.stack} stack, {args.minutes:g} minutes of driving, seed {args.seed}")
    print(f"actions: {dict(sorted(counts.items()))}")
    if lat:
        print(f"HTTP requests: {len(lat)}, p50 {percentile(lat, .5) * 1000:.0f} ms, p95 {percentile(lat, .95) * 1000:.0f} ms, "
              f"max {max(lat) * 1000:.0f} ms; /health/ failed {health_failures} times")
    print(f"processes: died during the run {deaths or 'none'}; restarted by the supervisor {restarts}; "
          f"alive at the end {alive_at_end or '(see the run)'}")
    print(f"dispatcher: {result['dispatcher_runs']} runs seen, largest gap {result['largest_gap_s']} s")
    print(f"messages written during the run: {result['messages']}")
    print(f"delivered (files): {result['delivered']}; sent twice: {len(result['twice'])} {result['twice'] or ''}")
    print(f"delivered but not marked sent: {result['not_marked'] or 'none'}; marked sent but not delivered: "
          f"{result['missing'] or 'none'}")
    print(f"due but not sent at the end: {result['due_unsent']}")
    print(f"sent for a cancelled or moved time: {len(result['wrong_time'])} {result['wrong_time'] or ''}")
    print(f"send delay after due: p50 {result['send_delay_p50_s']:.1f} s, p95 {result['send_delay_p95_s']:.1f} s, "
          f"max {result['send_delay_max_s']} s")
    print(f"stop: {stop_seconds:.1f} s; processes left behind: {left or 'none'}")
    ok = (not deaths and not restarts and not result["twice"] and not result["not_marked"] and not result["missing"]
          and not result["due_unsent"] and not result["wrong_time"] and stop_seconds <= 10 and not left)
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", choices=["embedded", "postgres"], default="embedded")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--port", type=int, default=8103)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/clinic_soak")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--pace", type=float, default=2.0, help="seconds between the driver's actions")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--workdir", type=Path, default=None, help="where to clone (default: a new temporary folder)")
    parser.add_argument("--recheck", action="store_true",
                        help="check a finished run again from --workdir's soak-state.json and its database")
    args = parser.parse_args()
    if args.recheck:
        return recheck(args)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix=f"soak-{args.stack}-"))
    checkout = fresh_clone(workdir / "clinic")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_", "EMAIL_", "SMS_"))}
    env.update(PORT=str(args.port), SITE_URL=f"http://127.0.0.1:{args.port}")
    if args.stack == "embedded":
        env["DATABASE_URL"] = f"sqlite:///{checkout / 'var' / 'clinic.sqlite3'}"
        mail_dir, sms_dir = checkout / "var" / "mail", checkout / "var" / "sms"
        stack: Stack = EmbeddedStack(checkout, env, mail_dir, sms_dir, args.port)
    else:
        import psycopg2
        import redis

        base, name = args.database_url.rsplit("/", 1)
        admin = psycopg2.connect(f"{base}/postgres")
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        admin.close()
        redis.Redis.from_url(args.broker_url).flushdb()
        mail_dir, sms_dir = workdir / "mail", workdir / "sms"
        env.update(DATABASE_URL=args.database_url, CELERY_BROKER_URL=args.broker_url, DEBUG="false",
                   SECRET_KEY="soak-only-secret-key-" + "s" * 40, ALLOWED_HOSTS="127.0.0.1",
                   SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false",
                   STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
                   EMAIL_URL="filemail://", EMAIL_FILE_PATH=str(mail_dir), SMS_FILE_PATH=str(sms_dir))
        stack = PostgresStack(checkout, env, mail_dir, sms_dir, args.port)

    log(f"starting the {args.stack} stack in {checkout}")
    stack.start()
    os.environ["DATABASE_URL"] = env["DATABASE_URL"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    os.environ.setdefault("DEBUG", "true")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import close_old_connections
    from django.utils import timezone

    began = timezone.now()
    driver = Driver(stack, args.seed)
    deadline = time.monotonic() + args.minutes * 60
    runs: list[datetime] = []
    deaths: list[str] = []
    health_failures = 0
    next_look = 0.0
    log(f"driving for {args.minutes:g} minutes; processes {stack.pids()}")
    while time.monotonic() < deadline:
        driver.step()
        close_old_connections()
        if time.monotonic() >= next_look:
            next_look = time.monotonic() + 20
            run = dispatcher_run()
            if run and (not runs or run != runs[-1]):
                runs.append(run)
            for name, ok in stack.alive().items():
                if not ok and name not in deaths:
                    deaths.append(name)
                    log(f"{name} is not running!")
            if not _answers(stack.url):
                health_failures += 1
        time.sleep(driver.rng.uniform(0.5, 1.5) * args.pace)
    log("stopped driving; waiting for what is due to go out")
    from clinic.models import MessageStatus, OutboxMessage

    settle = time.monotonic() + 8 * 60
    while time.monotonic() < settle:
        run = dispatcher_run()
        if run and (not runs or run != runs[-1]):
            runs.append(run)
        waiting = OutboxMessage.objects.filter(
            send_at__lte=timezone.now(), status__in=[MessageStatus.PENDING, MessageStatus.QUEUED, MessageStatus.SENDING]
        ).count()
        if not waiting:
            break
        time.sleep(10)
    ended = timezone.now()
    restarts = stack.restarts()
    alive_at_end = stack.alive()
    stop_seconds, left = stack.stop()
    state = {"began": began.isoformat(), "ended": ended.isoformat(), "runs": [r.isoformat() for r in runs],
             "changes": driver.changes, "counts": driver.counts, "deaths": deaths, "restarts": restarts,
             "stop_seconds": stop_seconds, "left": left}
    (workdir / "soak-state.json").write_text(json.dumps(state, indent=1, default=str))  # to check again by hand
    result = check(stack.mail_dir, stack.sms_dir, driver.changes, began, ended, sorted(set(runs)))
    lat = driver.latencies()
    code = report(args, driver.counts, lat, deaths, restarts, alive_at_end, stop_seconds, left, result, health_failures)
    ok = code == 0
    if args.workdir is None and ok:
        shutil.rmtree(workdir, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
