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
def cleared(patient, now):
    """Alice's screening is cleared and her consent signed, through intake's own rows."""
    from tests.intake.factories import ScreeningFactory, sign_consent

    screening = ScreeningFactory(patient=patient)
    sign_consent(patient)
    return screening


@pytest.fixture
def no_record_needed(monkeypatch):
    """Booking's own rules for completing a session, without the treatment app's "record and sign
    the treatment first" (that objection is tested with the treatment record, in tests/treatment)."""
    from booking import hooks

    monkeypatch.setattr(hooks, "_completion_checks", [])
