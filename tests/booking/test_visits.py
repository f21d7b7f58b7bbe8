"""The visit state machine on its own: every transition, allowed and refused by the clock."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.visits import (
    BOOKED,
    CANCELLED,
    CHECKED_IN,
    COMPLETED,
    HELD,
    NO_SHOW,
    NOT_TREATED,
    Action,
    Refusal,
    Visit,
    available,
    refusal,
    target,
)

LA = ZoneInfo("America/Los_Angeles")
# Wednesday 4 March 2026, 10:00 in Los Angeles.
START = datetime(2026, 3, 4, 10, 0, tzinfo=LA).astimezone(UTC)


def at(hhmm: str, day: int = 4) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(2026, 3, day, h, m, tzinfo=LA).astimezone(UTC)


def booked() -> Visit:
    return Visit(status=BOOKED, start=START)


# --- check-in: only on the visit's own clinic day ----------------------------------------------


@pytest.mark.parametrize(
    "now, allowed",
    [
        (at("00:00"), True),  # first minute of the day
        (at("09:59"), True),  # before the start, same day
        (at("18:00"), True),  # after the end, still the day
        (at("23:59"), True),
        (at("23:59", day=3), False),  # the evening before
        (at("00:00", day=5), False),  # the day after
        (at("10:00", day=2), False),  # two days early
    ],
)
def test_check_in_is_allowed_only_on_the_visits_clinic_day(now, allowed):
    assert (refusal(Action.CHECK_IN, booked(), now=now, tz=LA) is None) is allowed
    if not allowed:
        assert refusal(Action.CHECK_IN, booked(), now=now, tz=LA) == Refusal.NOT_TODAY


def test_the_clinic_day_is_local_not_utc():
    # 17:00 in Los Angeles on the 4th is already 01:00 UTC on the 5th: still the visit's day.
    evening = at("17:00")
    assert evening.date().day == 5
    assert refusal(Action.CHECK_IN, booked(), now=evening, tz=LA) is None


# --- completed and no-show: only after the start ----------------------------------------------


@pytest.mark.parametrize("action", [Action.COMPLETE, Action.NOT_TREATED, Action.NO_SHOW])
def test_completed_not_treated_and_no_show_wait_for_the_start(action):
    assert refusal(action, booked(), now=START - timedelta(seconds=1), tz=LA) == Refusal.NOT_STARTED
    assert refusal(action, booked(), now=START - timedelta(days=16), tz=LA) == Refusal.NOT_STARTED
    assert refusal(action, booked(), now=START, tz=LA) is None
    assert refusal(action, booked(), now=START + timedelta(days=3), tz=LA) is None


def test_a_checked_in_visit_can_be_completed_or_marked_not_treated_but_not_no_show():
    visit = Visit(status=CHECKED_IN, start=START, status_changed_at=at("09:50"), checked_in_at=at("09:50"))
    assert refusal(Action.COMPLETE, visit, now=at("10:30"), tz=LA) is None
    assert refusal(Action.NOT_TREATED, visit, now=at("10:30"), tz=LA) is None
    assert target(Action.NOT_TREATED, visit) == NOT_TREATED
    assert refusal(Action.NO_SHOW, visit, now=at("10:30"), tz=LA) == Refusal.WRONG_STATUS


@pytest.mark.parametrize("status", [COMPLETED, NOT_TREATED, CANCELLED, NO_SHOW, HELD])
def test_nothing_moves_a_visit_that_is_over_or_held_forward(status):
    visit = Visit(status=status, start=START, status_changed_at=at("11:00"))
    for action in (Action.CHECK_IN, Action.COMPLETE, Action.NOT_TREATED, Action.NO_SHOW, Action.CANCEL):
        assert refusal(action, visit, now=at("11:00"), tz=LA) == Refusal.WRONG_STATUS


# --- cancel: only before the start -----------------------------------------------------------


def test_a_visit_can_be_cancelled_until_it_starts():
    assert refusal(Action.CANCEL, booked(), now=START - timedelta(minutes=1), tz=LA) is None
    assert refusal(Action.CANCEL, booked(), now=START, tz=LA) == Refusal.STARTED


# --- undo: the same clinic day, back to where it came from --------------------------------------


@pytest.mark.parametrize(
    "status, checked_in_at, back_to",
    [
        (CHECKED_IN, at("09:50"), BOOKED),
        (COMPLETED, at("09:50"), CHECKED_IN),  # the patient had been checked in
        (COMPLETED, None, BOOKED),  # completed straight from booked
        (NOT_TREATED, at("09:50"), CHECKED_IN),
        (NOT_TREATED, None, BOOKED),
        (NO_SHOW, None, BOOKED),
    ],
)
def test_undo_goes_back_one_step_the_same_day(status, checked_in_at, back_to):
    visit = Visit(status=status, start=START, status_changed_at=at("10:50"), checked_in_at=checked_in_at)
    assert refusal(Action.UNDO, visit, now=at("23:59"), tz=LA) is None
    assert target(Action.UNDO, visit) == back_to


def test_undo_is_refused_the_next_clinic_day():
    visit = Visit(status=NO_SHOW, start=START, status_changed_at=at("10:50"))
    assert refusal(Action.UNDO, visit, now=at("00:00", day=5), tz=LA) == Refusal.UNDO_TOO_LATE


def test_undo_counts_from_when_the_status_was_recorded_not_from_the_visit():
    # A no-show recorded the morning after the visit can be undone that morning.
    visit = Visit(status=NO_SHOW, start=START, status_changed_at=at("08:00", day=5))
    assert refusal(Action.UNDO, visit, now=at("12:00", day=5), tz=LA) is None


def test_undo_without_a_recorded_time_is_refused():
    visit = Visit(status=COMPLETED, start=START, status_changed_at=None)
    assert refusal(Action.UNDO, visit, now=at("11:00"), tz=LA) == Refusal.UNDO_NO_TIME


@pytest.mark.parametrize("status", [BOOKED, CANCELLED, HELD])
def test_there_is_nothing_to_undo_on_a_booked_cancelled_or_held_visit(status):
    visit = Visit(status=status, start=START, status_changed_at=at("09:00"))
    assert refusal(Action.UNDO, visit, now=at("09:30"), tz=LA) == Refusal.WRONG_STATUS


# --- what a page offers ------------------------------------------------------------------------


def test_a_booked_visit_offers_check_in_today_and_explains_the_rest():
    offered = available(booked(), now=at("09:30"), tz=LA)
    assert offered == {
        Action.CHECK_IN: None,
        Action.COMPLETE: Refusal.NOT_STARTED,
        Action.NO_SHOW: Refusal.NOT_STARTED,
        Action.NOT_TREATED: Refusal.NOT_STARTED,
        Action.CANCEL: None,
    }


def test_a_completed_visit_offers_only_undo():
    visit = Visit(status=COMPLETED, start=START, status_changed_at=at("10:45"), checked_in_at=at("09:55"))
    assert available(visit, now=at("11:00"), tz=LA) == {Action.UNDO: None}


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        refusal(Action.CHECK_IN, booked(), now=datetime(2026, 3, 4, 10), tz=LA)
