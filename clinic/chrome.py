"""Figures every staff page shows around its content (the menu's badges, the reminders banner),
read in one statement per request.

Apps register scalar subqueries from their AppConfig.ready(), without clinic importing them:

    chrome.register("open_check_ins", "SELECT COUNT(*) FROM aftercare_checkin WHERE handled_at IS NULL")

and read them back with ``chrome.figures()["open_check_ins"]``. Each subquery must return one
value and use an index; ``params`` is called when the statement runs (e.g. for the time now).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

from . import scope


@dataclass(frozen=True)
class Figure:
    sql: str
    params: Callable[[], list]


_figures: dict[str, Figure] = {}


def register(name: str, sql: str, params: Callable[[], list] = list) -> None:
    _figures[name] = Figure(sql, params)


def figures() -> dict[str, object]:
    return scope.once("staff_chrome", _load)


def _load() -> dict[str, object]:
    if not _figures:
        return {}
    names = sorted(_figures)
    params: list = []
    for name in names:
        params += _figures[name].params()
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"({_figures[n].sql})" for n in names), params)
        return dict(zip(names, cursor.fetchone()))
