"""The reminder timeline: local wall times across DST, grace, quiet hours, and the send-time re-check."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftercare.plan import (
    DEFAULT_STEPS,
    PLANNED_ON_BOOKING,
    PLANNED_ON_COMPLETION,
    Anchor,
    Kind,
    QuietHours,
    SendFacts,
    Step,
    after_quiet_hours,
    at_local,
    plan,
    planned_time,
    should_send,
)

LA = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")


def la(*args):
    return datetime(*args, tzinfo=LA)


def booking_steps():
    return [s for s in DEFAULT_STEPS if s.anchor in PLANNED_ON_BOOKING]


def completion_steps():
    return [s for s in DEFAULT_STEPS if s.anchor in PLANNED_ON_COMPLETION]


def by_kind(planned, channel="email"):
    return {p.kind: p.send_at for p in planned if p.channel == channel}


def test_pre_treatment_reminders_go_at_local_morning_times_across_the_spring_change():
    # DST starts in Los Angeles on Sunday 8 March 2026; the session is on 12 March at 13:00 PDT.
    start = la(2026, 3, 12, 13, 0)
    planned = plan(booking_steps(), anchors={Anchor.BOOKED: la(2026, 2, 20, 9), Anchor.START: start}, start=start,
                   is_session=True, channels=("email",), tz=LA, now=la(2026, 2, 20, 9))
    times = {kind: at.astimezone(LA) for kind, at in by_kind(planned).items()}
    assert times[Kind.PAUSE_MEDICINES] == la(2026, 3, 2, 10, 0)  # still PST
    assert times[Kind.PAUSE_MEDICINES].utcoffset() == timedelta(hours=-8)
    assert times[Kind.RECONFIRM] == la(2026, 3, 6, 10, 0)  # inside the 7 days before 12 March 13:00
    assert times[Kind.STOCKINGS] == la(2026, 3, 10, 10, 0)  # PDT now
    assert times[Kind.STOCKINGS].utcoffset() == timedelta(hours=-7)
    assert times[Kind.APPOINTMENT_REMINDER] == la(2026, 3, 11, 10, 0)
    assert times[Kind.DAY_BEFORE_PREPARATION] == la(2026, 3, 11, 17, 0)
    assert times[Kind.BOOKING_CONFIRMATION] == la(2026, 2, 20, 9, 3)


@pytest.mark.parametrize("hour", [8, 13, 19])
def test_the_reconfirm_reminder_comes_when_an_answer_counts_for_the_session(hour):
    # intake accepts an "anything changed?" answer given in the 7 days before the session
    start = la(2026, 6, 10, hour, 0)
    planned = by_kind(plan(booking_steps(), anchors={Anchor.BOOKED: la(2026, 5, 1, 9), Anchor.START: start},
                           start=start, is_session=True, channels=("email",), tz=LA, now=la(2026, 5, 1, 9)))
    assert start - timedelta(days=7) <= planned[Kind.RECONFIRM] < start


def test_the_day_before_reminder_keeps_its_wall_time_across_the_autumn_change():
    # DST ends in London on Sunday 25 October 2026.
    start = datetime(2026, 10, 26, 9, 0, tzinfo=LONDON)
    at = planned_time(Step(Kind.APPOINTMENT_REMINDER, Anchor.START, days=-1, at=time(10)), anchors={Anchor.START: start}, tz=LONDON)
    assert at == datetime(2026, 10, 25, 10, 0, tzinfo=LONDON).astimezone(UTC) == datetime(2026, 10, 25, 10, 0, tzinfo=UTC)


def test_a_wall_time_inside_the_spring_gap_is_moved_past_it():
    assert at_local(date(2026, 3, 8), time(2, 30), LA).astimezone(LA).time() == time(3, 30)


def test_a_late_booking_sends_what_still_helps_right_away_and_skips_the_rest():
    now = la(2026, 5, 4, 9, 0)
    start = la(2026, 5, 7, 11, 0)  # three days ahead
    planned = by_kind(plan(booking_steps(), anchors={Anchor.BOOKED: now, Anchor.START: start}, start=start,
                           is_session=True, channels=("email",), tz=LA, now=now))
    assert planned[Kind.PAUSE_MEDICINES] == now + timedelta(minutes=3)  # late, still useful: 3 days to go
    assert planned[Kind.RECONFIRM] == now + timedelta(minutes=3)
    assert planned[Kind.STOCKINGS] == la(2026, 5, 5, 10, 0)


def test_pause_medicines_is_skipped_when_the_session_is_two_days_away_or_less():
    now = la(2026, 5, 4, 9, 0)
    start = la(2026, 5, 6, 8, 0)
    planned = by_kind(plan(booking_steps(), anchors={Anchor.BOOKED: now, Anchor.START: start}, start=start,
                           is_session=True, channels=("email",), tz=LA, now=now))
    assert Kind.PAUSE_MEDICINES not in planned
    assert Kind.APPOINTMENT_REMINDER in planned


def test_nothing_goes_out_inside_the_grace_period():
    now = la(2026, 5, 4, 9, 0)
    start = la(2026, 5, 5, 13, 0)
    planned = plan(booking_steps(), anchors={Anchor.BOOKED: now, Anchor.START: start}, start=start,
                   is_session=True, channels=("email",), tz=LA, now=now, grace=timedelta(minutes=3))
    assert min(p.send_at for p in planned) == now + timedelta(minutes=3)


def test_consultations_get_the_confirmation_and_the_reminder_but_no_treatment_instructions():
    now = la(2026, 5, 1, 9, 0)
    start = la(2026, 5, 20, 9, 0)
    kinds = set(by_kind(plan(booking_steps(), anchors={Anchor.BOOKED: now, Anchor.START: start}, start=start,
                             is_session=False, channels=("email",), tz=LA, now=now)))
    assert kinds == {Kind.BOOKING_CONFIRMATION, Kind.APPOINTMENT_REMINDER}


def test_text_messages_wait_out_the_quiet_hours_and_email_does_not():
    now = la(2026, 5, 4, 22, 30)
    start = la(2026, 5, 20, 9, 0)
    planned = plan(booking_steps(), anchors={Anchor.BOOKED: now, Anchor.START: start}, start=start,
                   is_session=True, channels=("email", "sms"), tz=LA, now=now)
    assert by_kind(planned, "email")[Kind.BOOKING_CONFIRMATION] == la(2026, 5, 4, 22, 33)
    assert by_kind(planned, "sms")[Kind.BOOKING_CONFIRMATION] == la(2026, 5, 5, 8, 0)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (la(2026, 5, 4, 20, 59), la(2026, 5, 4, 20, 59)),
        (la(2026, 5, 4, 21, 0), la(2026, 5, 5, 8, 0)),
        (la(2026, 5, 5, 3, 0), la(2026, 5, 5, 8, 0)),
        (la(2026, 5, 5, 7, 59), la(2026, 5, 5, 8, 0)),
        (la(2026, 5, 5, 8, 0), la(2026, 5, 5, 8, 0)),
        # The night of the spring change: 08:00 the next morning is PDT.
        (la(2026, 3, 7, 23, 0), la(2026, 3, 8, 8, 0)),
    ],
)
def test_quiet_hour_boundaries(local, expected):
    assert after_quiet_hours(local.astimezone(UTC), LA, QuietHours()) == expected.astimezone(UTC)


def test_aftercare_steps_follow_completion_and_the_spacing_window():
    completed = la(2026, 6, 1, 11, 45)
    last_day = date(2026, 7, 13)  # 42 days after 1 June
    planned = by_kind(plan(completion_steps(), anchors={Anchor.COMPLETED: completed, Anchor.WINDOW_LAST_DAY: last_day},
                           start=la(2026, 6, 1, 11, 0), is_session=True, channels=("email",), tz=LA, now=completed))
    assert planned[Kind.AFTERCARE] == completed + timedelta(minutes=3)
    assert planned[Kind.CHECK_IN] == la(2026, 6, 4, 10, 0)
    assert planned[Kind.NEXT_SESSION_NUDGE] == la(2026, 6, 15, 10, 0)
    assert planned[Kind.WINDOW_CLOSING] == la(2026, 7, 6, 10, 0)
    assert planned[Kind.OVERDUE] == la(2026, 7, 14, 10, 0)


def test_without_a_next_window_no_course_messages_are_planned():
    completed = la(2026, 6, 1, 11, 45)
    kinds = set(by_kind(plan(completion_steps(), anchors={Anchor.COMPLETED: completed}, start=completed,
                             is_session=True, channels=("email",), tz=LA, now=completed)))
    assert kinds == {Kind.AFTERCARE, Kind.CHECK_IN, Kind.NEXT_SESSION_NUDGE}


def test_a_step_with_a_day_offset_must_name_a_wall_time():
    with pytest.raises(ValueError):
        Step(Kind.CHECK_IN, Anchor.COMPLETED, days=3)


START = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)


def facts(kind, **changes):
    values = {"kind": kind, "status": "booked", "start": START, "planned_for_start": START,
              "now": START - timedelta(days=1)}
    return SendFacts(**{**values, **changes})


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (facts(Kind.APPOINTMENT_REMINDER), (True, "")),
        (facts(Kind.APPOINTMENT_REMINDER, start=START + timedelta(days=2)), (False, "moved")),
        (facts(Kind.APPOINTMENT_REMINDER, status="cancelled"), (False, "appointment cancelled")),
        (facts(Kind.STOCKINGS, now=START + timedelta(minutes=1)), (False, "appointment already started")),
        (facts(Kind.AFTERCARE, status="completed", now=START + timedelta(hours=1)), (True, "")),
        (facts(Kind.AFTERCARE, status="no_show", now=START + timedelta(hours=1)), (False, "appointment no_show")),
        # Whatever the status says, nothing "after the visit" goes before it (a completion recorded early).
        (facts(Kind.AFTERCARE, status="completed", now=START - timedelta(minutes=1)),
         (False, "the visit has not taken place yet")),
        (facts(Kind.CHECK_IN, status="completed", now=START - timedelta(days=1)), (False, "the visit has not taken place yet")),
        (facts(Kind.NEXT_SESSION_NUDGE, status="completed", course_continues=False, now=START + timedelta(days=14)),
         (False, "course finished")),
        (facts(Kind.NEXT_SESSION_NUDGE, status="completed", course_continues=True, next_session_booked=True,
               now=START + timedelta(days=14)), (False, "next session booked")),
        (facts(Kind.OVERDUE, status="completed", course_continues=True, now=START + timedelta(days=43)), (True, "")),
        (facts(Kind.RECONFIRM), (True, "")),
        # Confirmed inside the 7 days before the visit (the session starts 10 June 17:00): not asked again.
        (facts(Kind.RECONFIRM, health_confirmed_at=START - timedelta(days=7)),
         (False, "health answers already confirmed for this visit")),
        # Confirmed just before that window opened, e.g. for an earlier session: asked.
        (facts(Kind.RECONFIRM, health_confirmed_at=START - timedelta(days=7, seconds=1)), (True, "")),
        (facts(Kind.RECONFIRM, health_confirmed_at=START - timedelta(days=3), reconfirm_window=timedelta(days=2)),
         (True, "")),
        # Only the reconfirm reminder cares.
        (facts(Kind.APPOINTMENT_REMINDER, health_confirmed_at=START - timedelta(days=1)), (True, "")),
    ],
)
def test_should_send_rechecks_the_appointment_as_it_is_now(case, expected):
    assert should_send(case) == expected


def test_the_aftercare_page_shows_today_and_the_coming_days_from_the_session_day():
    from aftercare.plan import aftercare_days

    days = aftercare_days(date(2026, 6, 1), date(2026, 6, 3), ahead=2)
    assert [(d.day, d.day_number) for d in days] == [(date(2026, 6, 3), 2), (date(2026, 6, 4), 3), (date(2026, 6, 5), 4)]
    assert any("day and night" in text for text in days[0].advice)
    assert not any("day and night" in text for text in days[1].advice)
    assert any("during the day" in text for text in days[1].advice)
    assert any("No flights" in text for text in days[1].advice)
    assert not any("No flights" in text for text in days[2].advice)


def test_the_aftercare_page_is_empty_three_weeks_after_the_session():
    from aftercare.plan import aftercare_days

    assert aftercare_days(date(2026, 6, 1), date(2026, 6, 23)) == []
