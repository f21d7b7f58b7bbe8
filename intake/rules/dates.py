"""The calendar arithmetic the rules use. The clock is never read here: `today` is passed in."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """Calendar months later, clamped to the month's last day (30 Nov + 3 months = 28 Feb)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def birthday(born: date, year: int) -> date:
    # Someone born on 29 February has their birthday on 1 March in other years.
    if (born.month, born.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 3, 1)
    return date(year, born.month, born.day)


def age_on(born: date, today: date) -> int:
    """Age in whole years; a birthday counts from the day itself."""
    age = today.year - born.year
    return age if today >= birthday(born, today.year) else age - 1


def long_date(day: date) -> str:
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"
