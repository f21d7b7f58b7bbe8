from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.availability import (
    BookingPolicy,
    ClinicianCalendar,
    Interval,
    RoomCalendar,
    ServiceSpec,
    Slot,
    WeeklyHours,
    check_slot,
    first_per_start,
    free_slots,
    nearest_free,
)
from booking.spacing import Window

LA = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")

MONDAY = date(2026, 6, 1)
TUESDAY = date(2026, 6, 2)
NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
HOUR = ServiceSpec(duration=timedelta(minutes=60), needs_room=False)
SESSION = ServiceSpec(duration=timedelta(minutes=45), needs_room=False)
HOURLY = BookingPolicy(step=timedelta(hours=1))


def t(text: str) -> time:
    return time.fromisoformat(text)


def local(tz: ZoneInfo, day: date, hhmm: str, fold: int = 0) -> datetime:
    """A local wall time on ``day`` as an aware UTC datetime."""
    return datetime.combine(day, t(hhmm), tzinfo=tz).replace(fold=fold).astimezone(UTC)


def week(*spans: tuple[str, str], days=range(7)) -> tuple[WeeklyHours, ...]:
    return tuple(WeeklyHours(d, t(start), t(end)) for d in days for start, end in spans)


def clinician(
    clinician_id: int = 1, *spans: tuple[str, str], busy: tuple[Interval, ...] = ()
) -> ClinicianCalendar:
    return ClinicianCalendar(clinician_id, week(*(spans or [("09:00", "17:00")])), busy)


def busy(tz: ZoneInfo, day: date, start: str, end: str, end_day: date | None = None) -> Interval:
    return Interval(local(tz, day, start), local(tz, end_day or day, end))


def slots(**kwargs) -> list[Slot]:
    args = dict(
        service=SESSION,
        clinicians=[clinician()],
        rooms=(),
        tz=LONDON,
        first_day=TUESDAY,
        last_day=TUESDAY,
        now=NOW,
    )
    args.update(kwargs)
    return free_slots(**args)


def times(found: list[Slot], tz: ZoneInfo = LONDON) -> list[str]:
    return [s.start.astimezone(tz).strftime("%H:%M") for s in found]


def recheck(start: datetime, clinician_id: int | None = 1, **kwargs):
    args = dict(
        service=SESSION,
        clinicians=[clinician()],
        rooms=(),
        tz=LONDON,
        now=NOW,
    )
    args.update(kwargs)
    return check_slot(start=start, clinician_id=clinician_id, **args)


# --- the working day ---------------------------------------------------------------------------


def test_working_day_is_cut_into_step_aligned_slots_that_fit():
    found = slots(clinicians=[clinician(1, ("09:00", "12:00"))])
    assert times(found) == [
        "09:00", "09:15", "09:30", "09:45", "10:00",
        "10:15", "10:30", "10:45", "11:00", "11:15",
    ]  # fmt: skip
    assert all(s.end - s.start == timedelta(minutes=45) for s in found)
    assert all(s.start.tzinfo == UTC and s.clinician_id == 1 and s.room_id is None for s in found)


def test_slots_align_to_the_step_from_the_start_of_each_working_interval():
    found = slots(
        clinicians=[clinician(1, ("09:10", "11:00"), ("13:05", "14:00"))],
        service=ServiceSpec(duration=timedelta(minutes=30), needs_room=False),
        policy=BookingPolicy(step=timedelta(minutes=30)),
    )
    assert times(found) == ["09:10", "09:40", "10:10", "13:05"]


def test_lunch_break_splits_the_day_into_two_working_intervals():
    found = slots(clinicians=[clinician(1, ("09:00", "12:00"), ("13:00", "17:00"))], service=HOUR, policy=HOURLY)
    assert times(found) == ["09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00"]


def test_overlapping_weekly_hours_do_not_produce_duplicate_slots():
    found = slots(clinicians=[clinician(1, ("09:00", "11:00"), ("10:00", "12:00"))], service=HOUR, policy=HOURLY)
    assert times(found) == ["09:00", "10:00", "11:00"]


def test_day_without_working_hours_has_no_slots():
    weekdays_only = ClinicianCalendar(1, week(("09:00", "17:00"), days=range(5)))
    saturday = date(2026, 6, 6)
    assert slots(clinicians=[weekdays_only], first_day=saturday, last_day=saturday) == []


def test_slots_cover_every_day_of_the_range_in_order():
    found = slots(first_day=MONDAY, last_day=date(2026, 6, 7), service=HOUR, policy=HOURLY)
    assert len(found) == 7 * 8
    assert [s.start for s in found] == sorted(s.start for s in found)


def test_midnight_as_end_time_means_the_end_of_the_day():
    found = slots(clinicians=[clinician(1, ("20:00", "00:00"))], service=HOUR, policy=HOURLY)
    assert times(found) == ["20:00", "21:00", "22:00", "23:00"]


def test_weekly_hours_must_end_after_they_start():
    with pytest.raises(ValueError):
        WeeklyHours(0, t("17:00"), t("09:00"))


def test_busy_interval_must_be_aware():
    with pytest.raises(ValueError):
        Interval(datetime(2026, 6, 2, 9), datetime(2026, 6, 2, 10))


# --- busy time and buffers ---------------------------------------------------------------------


def test_existing_appointment_removes_the_overlapping_slots():
    cal = clinician(1, busy=(busy(LONDON, TUESDAY, "10:00", "11:00"),))
    found = slots(clinicians=[cal], service=HOUR, policy=HOURLY)
    assert times(found) == ["09:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]


def test_slot_whose_after_buffer_would_overlap_an_existing_appointment_is_not_offered():
    service = ServiceSpec(duration=timedelta(minutes=45), buffer_after=timedelta(minutes=15), needs_room=False)
    cal = clinician(1, busy=(busy(LONDON, TUESDAY, "10:00", "11:00"),))
    found = times(slots(clinicians=[cal], service=service))
    assert "09:00" in found  # 09:00-09:45, buffer to 10:00: touches, does not overlap
    assert "09:15" not in found  # its buffer runs to 10:15


def test_slot_whose_before_buffer_would_overlap_an_existing_appointment_is_not_offered():
    service = ServiceSpec(duration=timedelta(minutes=45), buffer_before=timedelta(minutes=15), needs_room=False)
    cal = clinician(1, busy=(busy(LONDON, TUESDAY, "10:00", "11:00"),))
    found = times(slots(clinicians=[cal], service=service))
    assert "11:00" not in found  # its buffer starts at 10:45
    assert "11:15" in found
    assert "09:15" in found  # 09:15-10:00: the before-buffer lies before, not over, the busy time


def test_back_to_back_appointments_leave_room_for_both_buffers():
    service = ServiceSpec(
        duration=timedelta(minutes=45),
        buffer_before=timedelta(minutes=10),
        buffer_after=timedelta(minutes=10),
        needs_room=False,
    )
    # The existing 10:00-10:45 appointment is stored with its own buffers: 09:50-10:55.
    existing = service.blocked(local(LONDON, TUESDAY, "10:00"))
    assert existing == busy(LONDON, TUESDAY, "09:50", "10:55")
    cal = clinician(1, ("08:00", "12:00"), busy=(existing,))
    found = times(slots(clinicians=[cal], service=service, policy=BookingPolicy(step=timedelta(minutes=5))))
    assert "08:55" in found and "09:00" not in found  # 08:55-09:40, after-buffer to 09:50
    assert "11:05" in found and "11:00" not in found  # before-buffer from 10:55


def test_buffers_may_fall_outside_working_hours_by_default():
    service = ServiceSpec(
        duration=timedelta(minutes=60),
        buffer_before=timedelta(minutes=15),
        buffer_after=timedelta(minutes=15),
        needs_room=False,
    )
    assert times(slots(clinicians=[clinician(1, ("09:00", "11:00"))], service=service, policy=HOURLY)) == [
        "09:00",
        "10:00",
    ]


def test_buffers_inside_hours_policy_keeps_buffers_within_working_hours():
    service = ServiceSpec(
        duration=timedelta(minutes=60),
        buffer_before=timedelta(minutes=15),
        buffer_after=timedelta(minutes=15),
        needs_room=False,
    )
    policy = BookingPolicy(buffers_inside_hours=True)
    found = slots(clinicians=[clinician(1, ("09:00", "11:00"))], service=service, policy=policy)
    assert times(found) == ["09:15", "09:30", "09:45"]


def test_time_off_spanning_several_days_blocks_every_day_it_covers():
    time_off = busy(LONDON, TUESDAY, "12:00", "12:00", end_day=date(2026, 6, 4))
    found = slots(
        clinicians=[clinician(1, busy=(time_off,))],
        first_day=TUESDAY,
        last_day=date(2026, 6, 4),
        service=HOUR,
        policy=HOURLY,
    )
    by_day: dict[date, list[str]] = {}
    for s in found:
        by_day.setdefault(s.start.astimezone(LONDON).date(), []).append(times([s])[0])
    assert by_day == {
        TUESDAY: ["09:00", "10:00", "11:00"],
        date(2026, 6, 4): ["12:00", "13:00", "14:00", "15:00", "16:00"],
    }


def test_unsorted_overlapping_and_touching_busy_intervals_are_merged():
    cal = clinician(
        1,
        busy=(
            busy(LONDON, TUESDAY, "14:00", "15:00"),
            busy(LONDON, TUESDAY, "10:00", "11:30"),
            busy(LONDON, TUESDAY, "11:00", "12:00"),
            busy(LONDON, TUESDAY, "12:00", "13:00"),
        ),
    )
    assert times(slots(clinicians=[cal], service=HOUR, policy=HOURLY)) == ["09:00", "13:00", "15:00", "16:00"]


# --- the clinic ----------------------------------------------------------------------------------


def test_clinic_closure_date_has_no_slots():
    found = slots(first_day=MONDAY, last_day=date(2026, 6, 3), closures={TUESDAY}, service=HOUR, policy=HOURLY)
    assert {s.start.astimezone(LONDON).date() for s in found} == {MONDAY, date(2026, 6, 3)}


def test_opening_hours_narrower_than_clinician_hours_bound_the_slots():
    found = slots(
        clinicians=[clinician(1, ("08:00", "18:00"))],
        opening_hours=week(("10:00", "13:00"), ("14:00", "16:00")),
        service=HOUR,
        policy=HOURLY,
    )
    assert times(found) == ["10:00", "11:00", "12:00", "14:00", "15:00"]


def test_weekday_missing_from_opening_hours_is_closed():
    opening = week(("08:00", "18:00"), days=range(5))
    saturday = date(2026, 6, 6)
    assert slots(opening_hours=opening, first_day=saturday, last_day=saturday) == []
    assert slots(opening_hours=opening) != []


def test_empty_opening_hours_mean_never_open():
    assert slots(opening_hours=()) == []


# --- notice and horizon --------------------------------------------------------------------------


def test_slot_exactly_at_the_notice_limit_is_offered():
    now = local(LONDON, MONDAY, "10:30")
    assert times(slots(now=now))[:2] == ["10:30", "10:45"]


def test_slot_one_minute_before_the_notice_limit_is_not_offered():
    now = local(LONDON, MONDAY, "10:31")
    assert times(slots(now=now))[0] == "10:45"


def test_notice_is_configurable():
    now = local(LONDON, TUESDAY, "10:00")
    found = slots(now=now, policy=BookingPolicy(notice=timedelta(hours=2)))
    assert times(found)[0] == "12:00"


def test_horizon_excludes_slots_at_or_after_now_plus_horizon():
    now = local(LONDON, MONDAY, "11:00")
    policy = BookingPolicy(horizon=timedelta(days=8), step=timedelta(hours=1))
    found = slots(now=now, first_day=date(2026, 6, 9), last_day=date(2026, 6, 9), service=HOUR, policy=policy)
    assert times(found) == ["09:00", "10:00"]


def test_default_horizon_is_90_days():
    found = slots(first_day=MONDAY, last_day=date(2026, 12, 31), service=HOUR, policy=HOURLY)
    assert max(s.start for s in found) < NOW + timedelta(days=90)
    assert max(s.start for s in found) > NOW + timedelta(days=89)


# --- rooms ---------------------------------------------------------------------------------------


ROOM_SERVICE = ServiceSpec(duration=timedelta(minutes=60), buffer_after=timedelta(minutes=15), needs_room=True)


def test_room_needed_and_all_rooms_busy_means_no_slot():
    rooms = [
        RoomCalendar(1, (busy(LONDON, TUESDAY, "12:00", "13:00"),)),
        RoomCalendar(2, (busy(LONDON, TUESDAY, "11:30", "13:00"),)),
    ]
    found = slots(service=ROOM_SERVICE, rooms=rooms, policy=HOURLY)
    # 11:00 needs a room until 12:15 with its after-buffer: room 1 is busy from 12:00, room 2 from 11:30.
    assert times(found) == ["09:00", "10:00", "13:00", "14:00", "15:00", "16:00"]


def test_room_needed_and_no_rooms_at_all_means_no_slot():
    assert slots(service=ROOM_SERVICE, rooms=[]) == []


def test_first_free_room_by_id_is_assigned():
    rooms = [RoomCalendar(3), RoomCalendar(2, (busy(LONDON, TUESDAY, "09:00", "10:00"),)), RoomCalendar(5)]
    found = slots(service=ROOM_SERVICE, rooms=rooms, policy=HOURLY)
    # 09:00 needs a room until 10:15 and room 2 is busy until 10:00, so room 3; then room 2 again.
    assert [s.room_id for s in found[:3]] == [3, 2, 2]


def test_room_buffers_count_like_clinician_buffers():
    # The slot 09:00-10:00 needs the room until 10:15 because of its after-buffer.
    rooms = [RoomCalendar(1, (busy(LONDON, TUESDAY, "10:15", "11:00"),))]
    found = times(slots(service=ROOM_SERVICE, rooms=rooms))
    assert "09:00" in found and "09:15" not in found
    assert "11:00" in found and "10:45" not in found


def test_service_without_room_ignores_room_calendars():
    rooms = [RoomCalendar(1, (busy(LONDON, TUESDAY, "00:00", "23:00"),))]
    found = slots(rooms=rooms, service=HOUR, policy=HOURLY)
    assert len(found) == 8
    assert all(s.room_id is None for s in found)


def test_two_clinicians_share_one_room():
    rooms = [RoomCalendar(1)]
    found = slots(clinicians=[clinician(1), clinician(2)], service=ROOM_SERVICE, rooms=rooms, policy=HOURLY)
    # Both clinicians are offered each start: the room is free for either, not for both at once;
    # the booking transaction and the database constraint decide who gets it.
    assert len(found) == 16


# --- any clinician -------------------------------------------------------------------------------


def test_several_clinicians_are_sorted_by_start_then_clinician_id():
    found = slots(
        clinicians=[clinician(2, ("09:00", "11:00")), clinician(1, ("10:00", "12:00"))],
        service=HOUR,
        policy=HOURLY,
    )
    assert [(times([s])[0], s.clinician_id) for s in found] == [
        ("09:00", 2),
        ("10:00", 1),
        ("10:00", 2),
        ("11:00", 1),
    ]


def test_first_per_start_collapses_the_any_clinician_view_to_one_slot_per_time():
    found = slots(
        clinicians=[clinician(2, ("09:00", "11:00")), clinician(1, ("10:00", "12:00"))],
        service=HOUR,
        policy=HOURLY,
    )
    collapsed = first_per_start(found)
    assert [(times([s])[0], s.clinician_id) for s in collapsed] == [("09:00", 2), ("10:00", 1), ("11:00", 1)]


def test_limit_returns_the_earliest_slots_across_days():
    found = slots(first_day=MONDAY, last_day=date(2026, 6, 30), limit=3, service=HOUR, policy=HOURLY)
    assert [s.start for s in found] == [local(LONDON, MONDAY, h) for h in ("09:00", "10:00", "11:00")]


def test_nearest_free_returns_the_closest_slots_in_time_order():
    found = slots(service=HOUR, policy=HOURLY)
    nearest = nearest_free(found, local(LONDON, TUESDAY, "12:20"), n=3)
    assert times(nearest) == ["11:00", "12:00", "13:00"]


def test_nearest_free_prefers_the_earlier_slot_on_a_tie_and_handles_the_edges():
    found = slots(service=HOUR, policy=HOURLY)
    assert times(nearest_free(found, local(LONDON, TUESDAY, "12:30"), n=1)) == ["12:00"]
    assert times(nearest_free(found, local(LONDON, TUESDAY, "06:00"), n=2)) == ["09:00", "10:00"]
    assert times(nearest_free(found, local(LONDON, TUESDAY, "23:00"), n=2)) == ["15:00", "16:00"]
    assert nearest_free([], local(LONDON, TUESDAY, "12:00")) == []


# --- spacing window ------------------------------------------------------------------------------


def test_spacing_window_bounds_slots_to_its_local_dates():
    window = Window(date(2026, 6, 3), date(2026, 6, 4))
    found = slots(first_day=MONDAY, last_day=date(2026, 6, 7), within=window, service=HOUR, policy=HOURLY)
    assert {s.start.astimezone(LONDON).date() for s in found} == {date(2026, 6, 3), date(2026, 6, 4)}


def test_utc_bounds_limit_slot_starts_to_a_half_open_interval():
    within = Interval(local(LONDON, TUESDAY, "10:00"), local(LONDON, TUESDAY, "12:00"))
    assert times(slots(within=within, service=HOUR, policy=HOURLY)) == ["10:00", "11:00"]


# --- daylight saving time ------------------------------------------------------------------------


LA_SPRING = date(2026, 3, 8)  # 02:00 PST -> 03:00 PDT
LA_FALL = date(2026, 11, 1)  # 02:00 PDT -> 01:00 PST
LONDON_SPRING = date(2026, 3, 29)  # 01:00 GMT -> 02:00 BST
LONDON_FALL = date(2026, 10, 25)  # 02:00 BST -> 01:00 GMT


def dst_slots(tz: ZoneInfo, first_day: date, last_day: date, *spans: tuple[str, str], **kwargs) -> list[Slot]:
    kwargs.setdefault("service", HOUR)
    kwargs.setdefault("policy", HOURLY)
    return slots(
        tz=tz,
        clinicians=[clinician(1, *spans)],
        first_day=first_day,
        last_day=last_day,
        now=datetime.combine(first_day, time(), tzinfo=UTC) - timedelta(days=3),
        **kwargs,
    )


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "before", "after", "utc_before", "utc_after"),
    [
        (LA, date(2026, 3, 6), date(2026, 3, 9), (17, 21), (16, 20)),  # PST -8 -> PDT -7
        (LA, date(2026, 10, 30), date(2026, 11, 2), (16, 20), (17, 21)),  # PDT -7 -> PST -8
        (LONDON, date(2026, 3, 27), date(2026, 3, 30), (9, 13), (8, 12)),  # GMT -> BST +1
        (LONDON, date(2026, 10, 23), date(2026, 10, 26), (8, 12), (9, 13)),  # BST +1 -> GMT
    ],
)
def test_9am_and_1pm_local_slots_map_to_the_right_utc_instant_around_dst_changes(
    tz, before, after, utc_before, utc_after
):
    found = dst_slots(tz, before, after, ("09:00", "12:00"), ("13:00", "17:00"))
    starts = {s.start for s in found}
    for day, (nine, one) in ((before, utc_before), (after, utc_after)):
        assert utc(day.year, day.month, day.day, nine) in starts
        assert utc(day.year, day.month, day.day, one) in starts
    assert all(s.start.astimezone(tz).minute == 0 for s in found)
    assert {s.start.astimezone(tz).hour for s in found} == {9, 10, 11, 13, 14, 15, 16}


def test_slot_after_1pm_in_dst_week_starts_at_1pm_local():
    found = dst_slots(LA, date(2026, 3, 9), date(2026, 3, 9), ("09:00", "12:00"), ("13:00", "17:00"))
    afternoon = [s for s in found if s.start.astimezone(LA).hour >= 13]
    assert afternoon[0].start.astimezone(LA).strftime("%H:%M") == "13:00"
    assert afternoon[0].start == utc(2026, 3, 9, 20)


@pytest.mark.parametrize("tz, day", [(LA, LA_SPRING), (LA, LA_FALL), (LONDON, LONDON_SPRING), (LONDON, LONDON_FALL)])
def test_working_interval_on_the_dst_change_day_lasts_its_wall_clock_hours(tz, day):
    found = dst_slots(tz, day, day, ("09:00", "17:00"))
    assert times(found, tz) == ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]
    assert found[-1].end == local(tz, day, "17:00")
    assert found[-1].end - found[0].start == timedelta(hours=8)


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [(LA, LA_SPRING, 23), (LA, LA_FALL, 25), (LONDON, LONDON_SPRING, 23), (LONDON, LONDON_FALL, 25)],
)
def test_day_with_23_or_25_hours_produces_one_hourly_slot_per_real_hour(tz, day, hours):
    found = dst_slots(tz, day, day, ("00:00", "00:00"))
    assert len(found) == hours
    assert len({s.start for s in found}) == hours
    assert found[-1].end == local(tz, day + timedelta(days=1), "00:00")
    assert all(b.start - a.start == timedelta(hours=1) for a, b in zip(found, found[1:]))


def test_quarter_hour_grid_on_a_23_hour_day_skips_the_missing_hour():
    found = dst_slots(LA, LA_SPRING, LA_SPRING, ("00:00", "00:00"), policy=BookingPolicy())
    assert len(found) == 23 * 4 - 3  # the last three 60-minute slots would run past midnight
    assert not any(s.start.astimezone(LA).hour == 2 for s in found)


def test_wall_times_in_the_skipped_hour_are_not_offered():
    service = ServiceSpec(duration=timedelta(minutes=30), needs_room=False)
    policy = BookingPolicy(step=timedelta(minutes=30))
    found = dst_slots(LA, LA_SPRING, LA_SPRING, ("01:00", "04:00"), service=service, policy=policy)
    assert times(found, LA) == ["01:00", "01:30", "03:00", "03:30"]
    assert found[1].end == found[2].start  # 01:30 PST + 30 min is 03:00 PDT


def test_repeated_wall_times_are_offered_once_per_occurrence():
    service = ServiceSpec(duration=timedelta(minutes=30), needs_room=False)
    policy = BookingPolicy(step=timedelta(minutes=30))
    found = dst_slots(LONDON, LONDON_FALL, LONDON_FALL, ("00:30", "03:00"), service=service, policy=policy)
    assert times(found) == ["00:30", "01:00", "01:30", "01:00", "01:30", "02:00", "02:30"]
    assert [s.start.astimezone(LONDON).fold for s in found] == [0, 0, 0, 1, 1, 0, 0]


def test_working_interval_starting_in_the_repeated_hour_starts_at_its_first_occurrence():
    service = ServiceSpec(duration=timedelta(minutes=30), needs_room=False)
    policy = BookingPolicy(step=timedelta(minutes=30))
    found = dst_slots(LONDON, LONDON_FALL, LONDON_FALL, ("01:30", "03:00"), service=service, policy=policy)
    assert times(found) == ["01:30", "01:30", "02:00", "02:30"]
    assert found[0].start == utc(2026, 10, 25, 0, 30)  # 01:30 BST


def test_working_interval_starting_in_the_skipped_hour_starts_when_the_clocks_jump():
    service = ServiceSpec(duration=timedelta(minutes=30), needs_room=False)
    policy = BookingPolicy(step=timedelta(minutes=30))
    found = dst_slots(LA, LA_SPRING, LA_SPRING, ("02:30", "05:00"), service=service, policy=policy)
    assert times(found, LA) == ["03:00", "03:30", "04:00", "04:30"]
    assert found[0].start == utc(2026, 3, 8, 10)


def test_working_interval_ending_in_the_skipped_hour_ends_when_the_clocks_jump():
    policy = BookingPolicy(step=timedelta(minutes=30))
    found = dst_slots(LA, LA_SPRING, LA_SPRING, ("00:00", "02:30"), policy=policy)
    assert times(found, LA) == ["00:00", "00:30", "01:00"]  # 01:00 PST + 1 h is 03:00 PDT


def test_spacing_window_across_dst_uses_local_midnights():
    window = Window(LONDON_SPRING, LONDON_SPRING + timedelta(days=1))
    found = dst_slots(
        LONDON, date(2026, 3, 28), date(2026, 3, 31), ("00:00", "00:00"), within=window
    )
    assert found[0].start == utc(2026, 3, 29, 0)  # 00:00 GMT
    assert found[-1].end == utc(2026, 3, 30, 23)  # midnight BST
    assert len(found) == 23 + 24


# --- server-side re-check ------------------------------------------------------------------------


def test_recheck_accepts_an_offered_slot_and_assigns_the_first_free_room():
    rooms = [RoomCalendar(2), RoomCalendar(1, (busy(LONDON, TUESDAY, "10:00", "10:30"),))]
    result = recheck(local(LONDON, TUESDAY, "10:00"), service=ROOM_SERVICE, rooms=rooms)
    assert result.ok and result.reason is None
    assert result.slot == Slot(
        local(LONDON, TUESDAY, "10:00"), local(LONDON, TUESDAY, "11:00"), clinician_id=1, room_id=2
    )


@pytest.mark.parametrize(
    ("hhmm", "reason"),
    [
        ("10:07", "off_grid"),
        ("08:00", "outside_hours"),
        ("16:30", "outside_hours"),  # would end after 17:00
        ("12:00", "taken"),
        ("11:30", "taken"),  # overlaps the busy time by 15 minutes
    ],
)
def test_recheck_of_a_tampered_slot_returns_the_reason(hhmm, reason):
    cal = clinician(1, busy=(busy(LONDON, TUESDAY, "12:00", "13:00"),))
    result = recheck(local(LONDON, TUESDAY, hhmm), clinicians=[cal])
    assert not result.ok
    assert result.reason == reason
    assert result.slot is None


def test_recheck_accepts_a_slot_ending_exactly_when_busy_time_begins():
    cal = clinician(1, busy=(busy(LONDON, TUESDAY, "12:00", "13:00"),))
    assert recheck(local(LONDON, TUESDAY, "11:15"), clinicians=[cal]).ok
    assert recheck(local(LONDON, TUESDAY, "13:00"), clinicians=[cal]).ok


def test_recheck_refuses_a_slot_inside_the_notice_period():
    start = NOW + timedelta(hours=23)
    assert recheck(start).reason == "too_soon"


def test_recheck_refuses_a_slot_beyond_the_horizon():
    assert recheck(local(LONDON, date(2026, 9, 1), "10:00")).reason == "too_far"


def test_recheck_refuses_a_closed_day_and_a_start_outside_the_spacing_window():
    start = local(LONDON, TUESDAY, "10:00")
    assert recheck(start, closures={TUESDAY}).reason == "closed"
    assert recheck(start, within=Window(date(2026, 6, 3), date(2026, 6, 5))).reason == "outside_window"


def test_recheck_refuses_when_no_room_is_free():
    rooms = [RoomCalendar(1, (busy(LONDON, TUESDAY, "10:00", "10:30"),))]
    assert recheck(local(LONDON, TUESDAY, "10:00"), service=ROOM_SERVICE, rooms=rooms).reason == "no_room"


def test_recheck_refuses_an_unknown_clinician():
    assert recheck(local(LONDON, TUESDAY, "10:00"), clinician_id=99).reason == "unknown_clinician"


def test_recheck_for_any_clinician_picks_the_first_free_one():
    busy_one = clinician(1, busy=(busy(LONDON, TUESDAY, "10:00", "11:00"),))
    result = recheck(local(LONDON, TUESDAY, "10:00"), clinician_id=None, clinicians=[clinician(2), busy_one])
    assert result.ok and result.slot.clinician_id == 2
    both_busy = [busy_one, clinician(2, busy=busy_one.busy)]
    assert recheck(local(LONDON, TUESDAY, "10:00"), clinician_id=None, clinicians=both_busy).reason == "taken"


def test_recheck_agrees_with_free_slots_on_every_start_of_a_busy_week():
    tz, monday, tuesday = LA, date(2026, 3, 9), date(2026, 3, 10)  # the week clocks went forward
    clinicians = [
        clinician(1, ("09:00", "12:00"), ("13:00", "17:00"), busy=(busy(tz, LA_SPRING, "10:00", "11:20"),)),
        clinician(2, ("08:30", "16:00"), busy=(busy(tz, monday, "08:00", "09:00", end_day=tuesday),)),
    ]
    rooms = [
        RoomCalendar(1, (busy(tz, monday, "12:00", "15:00"),)),
        RoomCalendar(2, (busy(tz, monday, "13:00", "14:00"),)),
    ]
    common = dict(
        service=ServiceSpec(timedelta(minutes=45), timedelta(minutes=5), timedelta(minutes=10), needs_room=True),
        clinicians=clinicians,
        rooms=rooms,
        tz=tz,
        now=utc(2026, 3, 6, 18, 7),
        opening_hours=week(("08:00", "16:30")),
        closures={date(2026, 3, 11)},
    )
    found = free_slots(first_day=date(2026, 3, 6), last_day=date(2026, 3, 13), **common)
    offered = {(s.start, s.clinician_id): s for s in found}
    assert len(offered) == len(found) > 100
    start = utc(2026, 3, 6, 0)
    while start < utc(2026, 3, 14, 12):
        for c in (1, 2):
            result = check_slot(start=start, clinician_id=c, **common)
            assert result.ok == ((start, c) in offered), (start, c, result.reason)
            if result.ok:
                assert result.slot == offered[(start, c)]
        start += timedelta(minutes=5)
