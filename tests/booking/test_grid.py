"""The grid's layout on its own: rows, shading, free and past times, visits with their buffers."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from booking.grid import Away, Frame, Visit, column, frame_for, now_row

LA = ZoneInfo("America/Los_Angeles")
WED = date(2026, 3, 4)
FRAME = Frame(8 * 60, 18 * 60)  # 08:00-18:00: 120 rows of 5 minutes
WORK = [(9 * 60, 12 * 60 + 30), (13 * 60 + 30, 17 * 60)]


def at(hhmm: str, day: date = WED) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=LA).astimezone(UTC)


def cells(**kwargs):
    args = {"day": WED, "tz": LA, "frame": FRAME, "step": 15, "open_spans": WORK, "now": at("07:00")}
    return column(**{**args, **kwargs})


def kinds(result, kind):
    return [c for c in result if c.kind == kind]


def test_the_frame_covers_whole_hours_of_every_span():
    assert frame_for([(9 * 60 + 10, 12 * 60), (13 * 60, 17 * 60 + 20)]) == Frame(9 * 60, 18 * 60)
    assert frame_for([]) == Frame(8 * 60, 18 * 60)
    assert Frame(8 * 60, 10 * 60).rows == 24
    assert Frame(8 * 60, 10 * 60).hours() == [(1, 480), (13, 540)]


def test_hours_outside_work_are_shaded_and_work_is_cut_into_free_steps():
    result = cells()
    off = [(c.row, c.span) for c in kinds(result, "off")]
    assert off == [(1, 12), (55, 12), (109, 12)]  # before 9:00, the lunch hour, after 17:00
    free = kinds(result, "free")
    assert len(free) == 14 + 14  # 3.5 hours in the morning, 3.5 in the afternoon, every 15 minutes
    assert free[0].start == at("09:00") and free[0].row == 13 and free[0].span == 3
    assert free[-1].start == at("16:45")


def test_times_gone_by_are_past_not_free():
    result = cells(now=at("10:05"))
    assert [c.start for c in kinds(result, "past")][-1] == at("10:00")
    assert kinds(result, "free")[0].start == at("10:15")


def test_a_visit_spans_its_blocked_range_and_its_buffers_are_marked():
    visit = Visit(at("10:00"), at("10:45"), at("09:55"), at("10:55"), payload="a")
    result = cells(visits=[visit])
    [drawn] = kinds(result, "visit")
    assert (drawn.row, drawn.span, drawn.before, drawn.after) == (24, 12, 1, 2)
    assert drawn.payload == "a"
    starts = {c.start for c in kinds(result, "free")}
    # 09:45 would run into the buffer before the visit; 10:45 into the one after it.
    assert at("09:30") in starts and at("09:45") not in starts
    assert at("10:45") not in starts and at("11:00") in starts


def test_time_off_is_shaded_with_its_label_and_takes_its_free_times():
    result = cells(away=[Away(at("14:00"), at("15:00"), "Training")])
    [away] = kinds(result, "timeoff")
    assert away.label == "Training" and away.span == 12
    starts = {c.start for c in kinds(result, "free")}
    assert at("13:45") in starts and at("14:00") not in starts and at("14:45") not in starts and at("15:00") in starts


def test_a_closed_day_is_one_shaded_cell_and_offers_nothing():
    result = cells(closed="Thanksgiving")
    assert [(c.kind, c.label, c.span) for c in result] == [("closed", "Thanksgiving", FRAME.rows)]


def test_a_visit_on_a_closed_day_is_still_drawn_over_the_closure():
    visit = Visit(at("10:00"), at("10:30"), at("10:00"), at("10:30"))
    result = cells(closed="Closed", visits=[visit])
    assert [c.kind for c in result] == ["closed", "visit"]


def test_in_move_mode_the_targets_replace_the_free_times():
    class Slot:
        def __init__(self, start):
            self.start = start

    result = cells(targets=[Slot(at("11:00")), Slot(at("14:15"))])
    assert kinds(result, "free") == []
    assert [c.start for c in kinds(result, "target")] == [at("11:00"), at("14:15")]


def test_cells_come_in_time_order_for_the_phone_list():
    visit = Visit(at("10:00"), at("10:30"), at("10:00"), at("10:30"))
    result = cells(visits=[visit])
    rows = [c.row for c in result]
    assert rows == sorted(rows)


def test_rows_follow_wall_time_across_the_spring_clock_change():
    # Sunday 8 March 2026: 13:00 is 20:00 UTC that day, 21:00 UTC the day before.
    sunday = date(2026, 3, 8)
    visit = Visit(at("13:00", sunday), at("13:30", sunday), at("13:00", sunday), at("13:30", sunday))
    result = column(day=sunday, tz=LA, frame=FRAME, step=15, open_spans=WORK, now=at("07:00", sunday), visits=[visit])
    [drawn] = kinds(result, "visit")
    assert drawn.row == (13 * 60 - FRAME.first) // 5 + 1
    assert visit.start.hour == 20


def test_the_current_time_line_is_drawn_only_on_today():
    assert now_row(at("10:30"), LA, WED, FRAME) == 30.0
    assert now_row(at("10:30"), LA, WED + timedelta(days=1), FRAME) is None
    assert now_row(at("07:00"), LA, WED, FRAME) is None  # before the frame
