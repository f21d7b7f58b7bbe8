"""Are messages flowing? Pure rules (no Django), the time passed in.

The dispatcher runs every minute (beat), and a due message is normally handed out within that
minute. The front desk sees a red banner, and the clinic admin gets one e-mail, when either:

- the dispatcher ran before but not for ``DISPATCHER_LATE`` (the beat or every worker stopped), or
- a due message has waited ``MESSAGE_LATE`` (dispatched but no worker sends, or too much to send).

A dispatcher that never ran is reported ("not started yet") but raises no alarm by itself: a fresh
installation has nothing to send; its first due message raises one ten minutes later if nothing runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

DISPATCHER_LATE = timedelta(minutes=5)
MESSAGE_LATE = timedelta(minutes=10)


@dataclass(frozen=True)
class Flow:
    now: datetime
    last_run_at: datetime | None
    oldest_due_at: datetime | None  # the send time of the longest-waiting message not yet sent

    @property
    def since_last_run(self) -> timedelta | None:
        return None if self.last_run_at is None else max(self.now - self.last_run_at, timedelta(0))

    @property
    def oldest_due_wait(self) -> timedelta:
        return timedelta(0) if self.oldest_due_at is None else max(self.now - self.oldest_due_at, timedelta(0))

    @property
    def dispatcher_stopped(self) -> bool:
        return self.since_last_run is not None and self.since_last_run >= DISPATCHER_LATE

    @property
    def messages_late(self) -> bool:
        return self.oldest_due_wait >= MESSAGE_LATE

    @property
    def stalled(self) -> bool:
        return self.dispatcher_stopped or self.messages_late

    @property
    def minutes_since_last_run(self) -> int | None:
        return minutes(self.since_last_run)

    @property
    def minutes_late(self) -> int:
        return minutes(self.oldest_due_wait)


def minutes(delta: timedelta | None) -> int | None:
    return None if delta is None else int(delta.total_seconds() // 60)
