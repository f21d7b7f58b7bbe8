"""Questions booking asks the apps built on it before a visit changes, without importing them.

An app that depends on booking registers a check from its AppConfig.ready():

    from booking import hooks
    hooks.register_completion_check(my_check)

``my_check(appointment)`` returns why the visit cannot be marked completed yet, in words shown to
staff as they are (e.g. "Sign the treatment record first."), or None when it has no objection.
Every check runs, inside the completing transaction with the appointment row locked, and every
objection is reported, so staff see all that is missing at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Appointment

CompletionCheck = Callable[["Appointment"], "str | None"]

_completion_checks: list[CompletionCheck] = []


def register_completion_check(check: CompletionCheck) -> None:
    if check not in _completion_checks:  # ready() can run twice
        _completion_checks.append(check)


def completion_objections(appointment: Appointment) -> list[str]:
    return [reason for check in _completion_checks if (reason := check(appointment))]
