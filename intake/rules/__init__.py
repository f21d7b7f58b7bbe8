"""Screening rules for sclerotherapy intake: who may be treated, who must wait, who needs a clinician.

Pure Python (standard library only) so it can be tested without Django and audited on its own.
Shaped like Django's password validators: ``RULES`` is a list of small rule objects, every one of
them runs on every screening, and every finding becomes a ``Flag`` with a stable code. Nothing stops
at the first hit.

    result = screen(answers, today=date(2026, 11, 21))
    result.outcome          # Outcome.CLEARED / POSTPONE / REVIEW / NOT_ELIGIBLE
    result.flags            # every finding, most severe first
    result.to_dict()        # JSON-safe, stored with the screening; never recomputed

Rule of thumb from CLINICAL_RULES.md: when in doubt, clinician review — never eligible. So an
unanswered question, an "unsure" on a serious item and any free text the reader cannot place all
lead to review, and every word a patient types is read for every category, whatever box it is in.

One job per module:

- ``schema``: the answer schema and its coercion (``Answers``, ``Reconfirmation``, ``ScreeningConfig``)
- ``results``: results and flags (``Flag``, ``ScreeningResult``), stored as decided
- ``text``: what the patient's own words say, box by box (read with ``intake.matching``)
- ``checks``: the checks, one question each
- ``catalogue``: the rule catalogue (codes, severities, wording, sources) and ``RULESET_VERSION``
- ``engine``: running them (``screen``, ``reconfirm``, ``apply_changes``)
- ``dates``: calendar arithmetic

The facts and their sources are in ../shared/CLINICAL_RULES.md; the audit view of every rule is
docs/screening.md.
"""

from intake.matching import match_terms

from .catalogue import RECONFIRMATION_RULES, RULES, RULESET_VERSION, Rule
from .checks import Context, Hit
from .dates import add_months, age_on
from .engine import apply_changes, reconfirm, screen
from .results import Flag, ScreeningResult
from .schema import (
    DEFAULT_CONFIG,
    NOTHING_TO_REPORT,
    TEXT_FIELDS,
    Answers,
    Area,
    ArterialDisease,
    Diabetes,
    Mobility,
    Outcome,
    Reconfirmation,
    Reply,
    ScreeningConfig,
    Severity,
    VeinType,
)

__all__ = [
    "DEFAULT_CONFIG",
    "NOTHING_TO_REPORT",
    "RULES",
    "RULESET_VERSION",
    "RECONFIRMATION_RULES",
    "TEXT_FIELDS",
    "Answers",
    "Area",
    "ArterialDisease",
    "Context",
    "Diabetes",
    "Flag",
    "Hit",
    "Mobility",
    "Outcome",
    "Reconfirmation",
    "Reply",
    "Rule",
    "ScreeningConfig",
    "ScreeningResult",
    "Severity",
    "VeinType",
    "add_months",
    "age_on",
    "apply_changes",
    "match_terms",
    "reconfirm",
    "screen",
]
