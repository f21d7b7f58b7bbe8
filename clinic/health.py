"""Whether messages flow: what /health/, the staff pages and ``manage.py reminders_status`` show,
and the one e-mail the clinic admin gets when they stop (clinic/health_rules.py has the rules).

That e-mail is the one message that does not go through the outbox: the outbox is what stalled.
It is sent directly, by whichever process notices first (the dispatcher when messages are late,
the health check a load balancer or ``dev.py serve`` polls, the status command), and only once
per stall: the alarm is a column claimed with a conditional update, cleared when messages flow
again.
"""

from __future__ import annotations

import datetime
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import health_rules
from .models import MessageStatus, OutboxHealth, OutboxMessage, Role, StaffMember

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    flow: health_rules.Flow
    waiting: int  # messages due and not yet sent
    alarm_raised_at: object = None


def snapshot(*, now=None, count: bool = True) -> Snapshot:
    """One statement of small indexed subqueries (``count=False``, the staff pages' banner: without
    counting what waits); raises DatabaseError when the database is down."""
    now = now or timezone.now()
    health, outbox = OutboxHealth._meta.db_table, OutboxMessage._meta.db_table
    # Each "oldest due" subquery reads one end of the partial/compound index on (status, send_at).
    oldest = f"SELECT MIN(send_at) FROM {outbox} WHERE status = %s AND send_at <= %s"
    waiting = f"SELECT COUNT(*) FROM {outbox} WHERE status IN (%s, %s) AND send_at <= %s" if count else "SELECT 0"
    params = [MessageStatus.PENDING.value, now, MessageStatus.QUEUED.value, now]
    params += [MessageStatus.PENDING.value, MessageStatus.QUEUED.value, now] if count else []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT last_run_at FROM {health} WHERE id = 1), (SELECT alarm_raised_at FROM {health} WHERE id = 1),"
            f" ({oldest}), ({oldest}), ({waiting})",
            params,
        )
        last_run_at, alarm_raised_at, first_pending, first_queued, waiting_count = cursor.fetchone()
    firsts = [_aware(t) for t in (first_pending, first_queued) if t]
    flow = health_rules.Flow(now=now, last_run_at=_aware(last_run_at), oldest_due_at=min(firsts) if firsts else None)
    return Snapshot(flow=flow, waiting=waiting_count if firsts else 0, alarm_raised_at=_aware(alarm_raised_at))


def _aware(value):
    """A raw query's datetime as Django's fields give it: aware, in UTC (SQLite returns text)."""
    if value is None:
        return None
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.timezone.utc)
    return value


def register_figures() -> None:
    """What the staff pages need from the outbox, read with the other staff-page figures (clinic.chrome)."""
    from . import chrome

    health, outbox = OutboxHealth._meta.db_table, OutboxMessage._meta.db_table
    oldest = f"SELECT MIN(send_at) FROM {outbox} WHERE status = %s AND send_at <= %s"
    chrome.register("outbox_last_run_at", f"SELECT last_run_at FROM {health} WHERE id = 1")
    chrome.register("outbox_first_pending", oldest, lambda: [MessageStatus.PENDING.value, timezone.now()])
    chrome.register("outbox_first_queued", oldest, lambda: [MessageStatus.QUEUED.value, timezone.now()])
    chrome.register("outbox_problems", f"SELECT COUNT(*) FROM {outbox} WHERE status IN (%s, %s)",
                    lambda: [MessageStatus.FAILED.value, MessageStatus.UNKNOWN.value])


def banner_flow() -> health_rules.Flow:
    """The staff pages' banner: is anything stalled? From the figures every staff page reads anyway."""
    from . import chrome

    figures = chrome.figures()
    firsts = [_aware(figures[k]) for k in ("outbox_first_pending", "outbox_first_queued") if figures.get(k)]
    return health_rules.Flow(now=timezone.now(), last_run_at=_aware(figures.get("outbox_last_run_at")),
                             oldest_due_at=min(firsts) if firsts else None)


def broker_ok() -> tuple[bool, str]:
    """Can this process reach the broker? (A folder for the embedded transport.)"""
    from .celery import app

    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        return folder.is_dir(), "" if folder.is_dir() else "the broker folder is missing"
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        return True, ""
    except Exception as exc:  # any transport error means "not reachable"; the JSON says which
        return False, exc.__class__.__name__


def report(*, now=None, check_broker: bool = True) -> tuple[int, dict]:
    """The /health/ answer: (HTTP status, JSON). No patient data: times and counts only.

    200 while this web process can serve (its database answers), even when messages are stalled:
    a load balancer must not take every web process out because the workers stopped. 503 when the
    database does not answer. ``status`` says "ok", "degraded" (messages stalled or broker down)
    or "down"; monitors alert on it.
    """
    now = now or timezone.now()
    body: dict = {"time": now.isoformat()}
    try:
        snap = snapshot(now=now)
    except DatabaseError as exc:
        body.update(status="down", database={"ok": False, "error": exc.__class__.__name__})
        return 503, body
    flow = snap.flow
    body["database"] = {"ok": True}
    if check_broker:
        ok, error = broker_ok()
        body["broker"] = {"ok": ok, **({"error": error} if error else {})}
    body["dispatcher"] = {
        "ok": not flow.dispatcher_stopped,
        "last_run": flow.last_run_at.isoformat() if flow.last_run_at else None,
        "minutes_ago": health_rules.minutes(flow.since_last_run),
    }
    body["oldest_due_message"] = {
        "ok": not flow.messages_late,
        "due_at": flow.oldest_due_at.isoformat() if flow.oldest_due_at else None,
        "minutes_late": health_rules.minutes(flow.oldest_due_wait),
        "waiting": snap.waiting,
    }
    degraded = flow.stalled or not body.get("broker", {"ok": True})["ok"]
    body["status"] = "degraded" if degraded else "ok"
    return 200, body


# --- The stall alarm --------------------------------------------------------------------------


def _recipients() -> list[str]:
    admins = list(
        StaffMember.objects.filter(role=Role.CLINIC_ADMIN, is_active=True, user__is_active=True)
        .order_by("user__email").values_list("user__email", flat=True)
    )
    if admins:
        return admins
    from .models import Clinic

    clinic = Clinic.objects.current()
    return [clinic.email] if clinic and clinic.email else []


def _alarm_text(flow: health_rules.Flow) -> tuple[str, str]:
    lines = [_("Reminders and other messages from the clinic's website are not going out."), ""]
    if flow.dispatcher_stopped:
        lines.append(_("The dispatcher last ran %(minutes)s minutes ago; it should run every minute.")
                     % {"minutes": health_rules.minutes(flow.since_last_run)})
    if flow.messages_late:
        lines.append(_("A message due %(minutes)s minutes ago has not been sent yet.")
                     % {"minutes": health_rules.minutes(flow.oldest_due_wait)})
    lines += [
        "",
        _("Check that the Celery worker and the beat are running (see the README, \"Production\"), "
          "then open the staff home to see whether messages flow again:"),
        settings.SITE_URL + reverse("staff_home"),
        "",
        _("You get this e-mail once; the next one only comes if it stops again after it recovered."),
    ]
    return _("Reminders have stopped"), "\n".join(lines) + "\n"


def alert_if_stalled(*, now=None, background: bool = False) -> str:
    """Raise the alarm once per stall (one e-mail to the clinic admins), or clear it on recovery.

    Returns "raised", "cleared" or "". Safe to call from many processes at once: the conditional
    update lets exactly one of them send. A failed send gives the alarm back, so the next check
    tries again.
    """
    now = now or timezone.now()
    snap = snapshot(now=now)
    if not snap.flow.stalled:
        if snap.alarm_raised_at is not None and OutboxHealth.objects.filter(pk=1, alarm_raised_at__isnull=False).update(
            alarm_raised_at=None, alarm_cleared_at=now
        ):
            log.info("messages flow again; the stall alarm is cleared")
            return "cleared"
        return ""
    OutboxHealth.row()
    if not OutboxHealth.objects.filter(pk=1, alarm_raised_at__isnull=True).update(alarm_raised_at=now):
        return ""  # raised already (by us earlier, or by another process just now)
    subject, body = _alarm_text(snap.flow)
    recipients = _recipients()
    if background:  # a web request that noticed: it must not wait on a mail server
        threading.Thread(target=_send_alarm_in_thread, args=(subject, body, recipients, now), daemon=True).start()
    else:
        _send_alarm(subject, body, recipients, now)
    return "raised"


def _send_alarm(subject: str, body: str, recipients: list[str], raised_at) -> None:
    try:
        if not recipients:
            log.error("messages have stopped and no clinic admin or clinic address is set to tell")
            return
        send_mail(subject, body, None, recipients)
        log.warning("messages have stopped; the clinic admins were told (%d addresses)", len(recipients))
    except Exception:  # a mail server that is down too: give the alarm back for the next check
        log.exception("could not e-mail the stall alarm; the next check tries again")
        OutboxHealth.objects.filter(pk=1, alarm_raised_at=raised_at).update(alarm_raised_at=None)


def _send_alarm_in_thread(*args) -> None:
    try:
        _send_alarm(*args)
    finally:
        connection.close()  # this thread's own database connection
