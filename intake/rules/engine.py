"""Running the rules: a screening, and the re-screening after "anything changed?"."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from intake.matching import read_text

from . import catalogue
from .catalogue import Rule
from .checks import Context, missing_reconfirmation
from .results import ScreeningResult
from .schema import DEFAULT_CONFIG, YES_OR_UNSURE, Answers, Reconfirmation, Reply, ScreeningConfig


def screen(
    answers: Answers,
    *,
    today: date,
    config: ScreeningConfig = DEFAULT_CONFIG,
    rules: Sequence[Rule] | None = None,
) -> ScreeningResult:
    """Run every rule on the answers and return all findings with the most severe outcome."""
    return _run(Context(answers, today, config), catalogue.RULES if rules is None else rules)


def _run(ctx: Context, rules: Iterable[Rule]) -> ScreeningResult:
    flags = [flag for rule in rules if (flag := rule.evaluate(ctx)) is not None]
    return ScreeningResult.from_flags(
        flags, screened_on=ctx.today, config=ctx.config, ruleset_version=catalogue.RULESET_VERSION
    )


def _append_text(previous: str | None, new: str | None) -> str | None:
    if new is None or read_text(new).says_none:
        return previous
    if previous is None or read_text(previous).says_none:
        return new
    return f"{previous}; {new}"


def apply_changes(previous: Answers, changes: Reconfirmation) -> Answers:
    """The answers as they stand after the "anything changed?" form.

    A new clot never erases an old one; "unwell now: no" clears both infection answers, "yes"
    sets the general one (either way the patient waits until they tell us they're well). The
    new words are added to the old ones, each in its own box, and read like every other answer.
    """
    updates: dict[str, Any] = {}
    if changes.pregnant_now is not None:
        updates["pregnant"] = changes.pregnant_now
    if changes.new_clot in YES_OR_UNSURE and previous.clot_history is not Reply.YES:
        updates["clot_history"] = changes.new_clot
    if changes.unwell_now is Reply.NO:
        updates.update(skin_infection_in_area=Reply.NO, fever_or_acute_illness=Reply.NO)
    elif changes.unwell_now is not None:
        updates["fever_or_acute_illness"] = changes.unwell_now
    updates["medications"] = _append_text(previous.medications, changes.new_medications)
    updates["allergies"] = _append_text(previous.allergies, changes.new_allergies)
    updates["anything_else"] = _append_text(previous.anything_else, changes.other_changes)
    return replace(previous, **updates)


def reconfirm(
    changes: Reconfirmation,
    previous: Answers,
    *,
    today: date,
    config: ScreeningConfig = DEFAULT_CONFIG,
) -> ScreeningResult | None:
    """Re-screen after the "anything changed?" form.

    Returns None when nothing changed, so the standing decision (perhaps a clinician's) holds.
    Otherwise the merged answers are screened again; an unanswered question adds a review flag.
    """
    merged = apply_changes(previous, changes)
    ctx = Context(merged, today, config, changes=changes)
    unanswered = missing_reconfirmation(ctx) is not None
    if merged == previous and not unanswered:
        return None
    return _run(ctx, catalogue.RULES + catalogue.RECONFIRMATION_RULES)
