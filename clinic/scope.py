"""Reads done once per request, however many parts of the page ask for them.

clinic.middleware opens a scope around every request; inside it ``once(key, load)`` calls ``load``
the first time and hands back the same value after. Outside a request (workers, commands, shells)
there is no scope and every call loads afresh, so nothing stale outlives a request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_memo: ContextVar[dict | None] = ContextVar("request_memo", default=None)


@contextmanager
def request() -> Iterator[None]:
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def once(key: Any, load: Callable[[], T]) -> T:
    memo = _memo.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]


def forget(key: Any) -> None:
    """After a write in the same request: the next ``once`` reads afresh."""
    memo = _memo.get()
    if memo is not None:
        memo.pop(key, None)
