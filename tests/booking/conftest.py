from datetime import UTC, datetime

import pytest
import time_machine

from tests.booking.factories import Calendar

# Monday 2 March 2026, 09:00 in Los Angeles (PST, UTC-8).
NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def cal(db):
    return Calendar()


@pytest.fixture
def cleared(monkeypatch):
    """Stands in for intake's answer until branch intake lands (see the report)."""
    import sys
    import types
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class BookingClearance:
        allowed: bool
        code: str
        message: str
        action_url: str | None

    state = {"allowed": True}

    def booking_clearance(patient, *, needs_screening, starts_at, now=None):
        if not needs_screening:
            return BookingClearance(True, "not_needed", "", None)
        if state["allowed"]:
            return BookingClearance(True, "cleared", "", None)
        return BookingClearance(False, "no_screening", "Please answer the health questionnaire first.", "/intake/")

    module = types.ModuleType("intake.eligibility")
    module.booking_clearance = booking_clearance
    module.BookingClearance = BookingClearance
    monkeypatch.setitem(sys.modules, "intake.eligibility", module)
    return state
