from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.spacing import (
    SpacingRule,
    Window,
    allowed_window,
    check_course,
    check_gap,
    check_move,
    course_status,
)

LA = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
RULE = SpacingRule()


def at(tz: ZoneInfo, y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=tz)


def days_after(start: datetime, days: int) -> datetime:
    """Same local wall time ``days`` calendar days later."""
    local = start.astimezone(LONDON)
    return (local.replace(tzinfo=None) + timedelta(days=days)).replace(tzinfo=LONDON)


PREVIOUS = at(LONDON, 2026, 3, 3)


def test_default_rule_is_14_to_42_days():
    assert RULE == SpacingRule(min_days=14, max_days=42)


def test_rule_rejects_a_minimum_below_one_day():
    with pytest.raises(ValueError):
        SpacingRule(min_days=0, max_days=42)


def test_rule_rejects_a_maximum_below_the_minimum():
    with pytest.raises(ValueError):
        SpacingRule(min_days=21, max_days=20)


def test_session_13_days_after_previous_is_refused_as_too_soon():
    check = check_gap(PREVIOUS, days_after(PREVIOUS, 13), LONDON, RULE)
    assert not check.ok
    assert check.reason == "too_soon"
    assert check.days_apart == 13


def test_session_14_days_after_previous_is_allowed():
    check = check_gap(PREVIOUS, days_after(PREVIOUS, 14), LONDON, RULE)
    assert check.ok
    assert check.reason is None
    assert check.days_apart == 14


def test_session_42_days_after_previous_is_allowed():
    assert check_gap(PREVIOUS, days_after(PREVIOUS, 42), LONDON, RULE).ok


def test_session_43_days_after_previous_is_refused_as_too_late():
    check = check_gap(PREVIOUS, days_after(PREVIOUS, 43), LONDON, RULE)
    assert not check.ok
    assert check.reason == "too_late"
    assert check.days_apart == 43


def test_session_before_the_previous_one_is_too_soon():
    check = check_gap(PREVIOUS, PREVIOUS - timedelta(days=2), LONDON, RULE)
    assert check.reason == "too_soon"
    assert check.days_apart == -2


def test_window_after_3_march_runs_from_17_march_to_14_april():
    window = allowed_window(PREVIOUS, LONDON, RULE)
    assert window == Window(date(2026, 3, 17), date(2026, 4, 14))
    assert window.contains(date(2026, 3, 17))
    assert window.contains(date(2026, 4, 14))
    assert not window.contains(date(2026, 3, 16))
    assert not window.contains(date(2026, 4, 15))


def test_any_time_of_day_on_the_window_boundary_dates_is_allowed():
    assert check_gap(PREVIOUS, at(LONDON, 2026, 3, 17, 0, 0), LONDON, RULE).ok
    assert check_gap(PREVIOUS, at(LONDON, 2026, 4, 14, 23, 59), LONDON, RULE).ok
    assert not check_gap(PREVIOUS, at(LONDON, 2026, 3, 16, 23, 59), LONDON, RULE).ok
    assert not check_gap(PREVIOUS, at(LONDON, 2026, 4, 15, 0, 0), LONDON, RULE).ok


def test_refusal_message_names_the_window_in_plain_words():
    check = check_gap(PREVIOUS, at(LONDON, 2026, 3, 16), LONDON, RULE)
    assert check.message.endswith(
        "The next session must be between Tuesday 17 March and Tuesday 14 April 2026."
    )
    assert "Monday 16 March 2026 is too soon" in check.message


def test_too_late_message_also_names_the_window():
    check = check_gap(PREVIOUS, at(LONDON, 2026, 4, 20), LONDON, RULE)
    assert "too long after" in check.message
    assert "between Tuesday 17 March and Tuesday 14 April 2026" in check.message


def test_window_crossing_new_year_names_both_years():
    window = allowed_window(at(LONDON, 2026, 12, 1), LONDON, RULE)
    assert window.describe() == "between Tuesday 15 December 2026 and Tuesday 12 January 2027"


def test_late_evening_session_counts_by_local_date_not_utc_date():
    # 20:00 on 3 March in Los Angeles is already 04:00 on 4 March in UTC.
    previous = at(LA, 2026, 3, 3, 20, 0)
    assert previous.astimezone(UTC).date() == date(2026, 3, 4)
    assert allowed_window(previous, LA, RULE) == Window(date(2026, 3, 17), date(2026, 4, 14))
    # 17 March 08:00 local is 13 UTC dates after the previous UTC date, yet 14 local dates.
    assert check_gap(previous, at(LA, 2026, 3, 17, 8, 0), LA, RULE).ok


def test_early_morning_candidate_counts_by_local_date_not_utc_date():
    # 14 April 18:00 in Los Angeles is 15 April 01:00 UTC, still the last day of the window.
    assert check_gap(at(LA, 2026, 3, 3), at(LA, 2026, 4, 14, 18, 0), LA, RULE).ok


def test_previous_start_given_in_utc_is_read_in_the_clinic_time_zone():
    previous_utc = at(LA, 2026, 3, 3, 20, 0).astimezone(UTC)
    assert allowed_window(previous_utc, LA, RULE).first_day == date(2026, 3, 17)


def test_dst_change_between_sessions_does_not_shift_the_window():
    # London moves to BST on 29 March 2026: 00:30 BST on 3 April is 23:30 UTC on 2 April.
    previous = at(LONDON, 2026, 3, 20, 9, 0)
    candidate = at(LONDON, 2026, 4, 3, 0, 30)
    check = check_gap(previous, candidate, LONDON, RULE)
    assert check.ok
    assert check.days_apart == 14


def test_window_bounds_utc_run_from_local_midnight_to_midnight_after_last_day_across_dst():
    window = Window(date(2026, 3, 17), date(2026, 4, 14))
    start, end = window.bounds_utc(LONDON)
    assert start == datetime(2026, 3, 17, 0, 0, tzinfo=UTC)  # GMT
    assert end == datetime(2026, 4, 14, 23, 0, tzinfo=UTC)  # midnight BST
    start, end = window.bounds_utc(LA)
    assert start == datetime(2026, 3, 17, 7, 0, tzinfo=UTC)  # PDT from 8 March
    assert end == datetime(2026, 4, 15, 7, 0, tzinfo=UTC)


def test_clinic_specific_rule_is_honoured():
    rule = SpacingRule(min_days=21, max_days=28)
    assert check_gap(PREVIOUS, days_after(PREVIOUS, 20), LONDON, rule).reason == "too_soon"
    assert check_gap(PREVIOUS, days_after(PREVIOUS, 21), LONDON, rule).ok
    assert check_gap(PREVIOUS, days_after(PREVIOUS, 28), LONDON, rule).ok
    assert check_gap(PREVIOUS, days_after(PREVIOUS, 29), LONDON, rule).reason == "too_late"


def test_naive_datetime_is_rejected():
    with pytest.raises(ValueError):
        check_gap(datetime(2026, 3, 3, 10), at(LONDON, 2026, 3, 20), LONDON, RULE)


def test_check_course_checks_each_consecutive_pair():
    sessions = [PREVIOUS, days_after(PREVIOUS, 14), days_after(PREVIOUS, 14 + 42)]
    checks = check_course(sessions, LONDON, RULE)
    assert [c.ok for c in checks] == [True, True]


def test_check_course_skips_pairs_with_an_unbooked_session():
    sessions = [PREVIOUS, None, days_after(PREVIOUS, 100)]
    assert check_course(sessions, LONDON, RULE) == [None, None]


def test_moving_session_two_later_pushes_session_three_out_of_its_window():
    sessions = [PREVIOUS, days_after(PREVIOUS, 14), days_after(PREVIOUS, 14 + 30)]
    sessions[1] = days_after(PREVIOUS, 35)  # fine after session 1, only 9 days before session 3
    checks = check_course(sessions, LONDON, RULE)
    assert checks[0].ok
    assert checks[1].reason == "too_soon"
    assert checks[1].days_apart == 9


def test_moving_session_two_earlier_leaves_session_three_too_late():
    sessions = [PREVIOUS, days_after(PREVIOUS, 30), days_after(PREVIOUS, 70)]
    assert all(c.ok for c in check_course(sessions, LONDON, RULE))
    sessions[1] = days_after(PREVIOUS, 20)
    checks = check_course(sessions, LONDON, RULE)
    assert checks[0].ok
    assert checks[1].reason == "too_late"
    assert checks[1].days_apart == 50


def test_check_move_reports_the_following_session_leaving_its_window():
    sessions = [PREVIOUS, days_after(PREVIOUS, 14), days_after(PREVIOUS, 14 + 40)]
    result = check_move(sessions, 1, days_after(PREVIOUS, 42), LONDON, RULE)
    assert not result.ok
    assert result.into is not None and result.into.ok
    assert result.following is not None and result.following.reason == "too_soon"
    assert "following session on Sunday 26 April 2026" in result.message
    assert "between Tuesday 28 April and Tuesday 26 May 2026" in result.message


def test_check_move_within_both_windows_is_ok():
    sessions = [PREVIOUS, days_after(PREVIOUS, 14), days_after(PREVIOUS, 40)]
    result = check_move(sessions, 1, days_after(PREVIOUS, 20), LONDON, RULE)
    assert result.ok
    assert result.message == ""


def test_check_move_of_the_first_session_only_checks_the_following_one():
    sessions = [PREVIOUS, days_after(PREVIOUS, 14)]
    result = check_move(sessions, 0, days_after(PREVIOUS, 1), LONDON, RULE)
    assert result.into is None
    assert result.following is not None and result.following.reason == "too_soon"


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (date(2026, 3, 16), "too_early"),
        (date(2026, 3, 17), "open"),
        (date(2026, 4, 6), "open"),  # 8 days before the last day
        (date(2026, 4, 7), "closing_soon"),  # 7 days before the last day
        (date(2026, 4, 14), "closing_soon"),
        (date(2026, 4, 15), "overdue"),
    ],
)
def test_course_status_follows_the_window_after_the_last_session(today, status):
    assert course_status(PREVIOUS, today, LONDON, RULE) == status


def test_course_status_closing_soon_margin_is_configurable():
    today = date(2026, 4, 4)  # 10 days before the last day
    assert course_status(PREVIOUS, today, LONDON, RULE) == "open"
    assert course_status(PREVIOUS, today, LONDON, RULE, closing_soon_days=10) == "closing_soon"
