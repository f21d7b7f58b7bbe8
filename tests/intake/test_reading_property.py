"""Property (issue 13.8): for random answer sets, adding a finding to any free-text box never makes
the outcome less cautious.

The answer sets are drawn from the schema itself (every field of ``Answers`` by its kind: replies,
choices, dates, numbers, typed text made of lexicon names, negations, doubts, "nothing" words and
unknown words). The finding is any name from a lexicon category that means something to the rules,
written as a patient would (alone, with a dose, or with a doubt), added as its own list item
before or after what the box already says. Deterministic for CI: derandomized, a fixed number of
examples, no deadline."""

from dataclasses import fields
from datetime import date, timedelta
from enum import Enum

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.matching import ENTRIES, Category
from intake.rules import NOTHING_TO_REPORT, TEXT_FIELDS, Answers, Outcome, screen
from intake.rules.schema import Many

TODAY = date(2026, 12, 1)
NOT_A_FINDING = {Category.NO_CONCERN, Category.BODY_AREA, Category.EXPECTED_REACTION}
FINDINGS = sorted({name for e in ENTRIES if e.category not in NOT_A_FINDING for name in e.names})
ANY_NAME = sorted({name for e in ENTRIES for name in e.names})
SMALL_WORDS = ["none", "no", "not", "never", "except", "but", "stopped", "maybe", "daily", "5mg", "twice",
               "when needed", "cream", "?", "N/A", "nil", "NKDA", "for", "and", "since 2019", "negative"]
UNKNOWN = ["zorbitol", "needle phobia", "blood pressure", "St John's wort", "grapefruit", "some tablets", "a cream",
           "don't know"]
SEPARATORS = ["; ", ", ", "\n", ". ", " / "]


def _reply_like(enum: type[Enum]) -> st.SearchStrategy:
    values = [m.value for m in enum]
    # Mostly "no", so that the findings have something to change; sometimes unanswered.
    no = [v for v in values if v == "no"] * 3
    return st.sampled_from([*no, *values, None])


# A third each: a lexicon name, a small word (negation, doubt, dose, "nothing"), a word nobody knows.
word = st.one_of(st.sampled_from(ANY_NAME), st.sampled_from(SMALL_WORDS), st.sampled_from(UNKNOWN))
phrase = st.lists(word, min_size=1, max_size=4).map(" ".join)
typed = st.one_of(
    st.sampled_from(["", "none", "no", "N/A", "nothing"]),
    st.sampled_from(UNKNOWN),
    st.lists(phrase, min_size=1, max_size=3).flatmap(
        lambda items: st.sampled_from(SEPARATORS).map(lambda sep: sep.join(items))
    ),
)


def _field_strategy(f) -> st.SearchStrategy:
    kind = f.metadata["kind"]
    if isinstance(kind, Many):
        return st.lists(st.sampled_from([m.value for m in kind.enum]), min_size=1, max_size=3)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _reply_like(kind)
    if kind is str:
        return typed
    if kind is float:
        return st.one_of(st.none(), st.floats(min_value=140, max_value=200) if f.name == "height_cm"
                         else st.floats(min_value=40, max_value=130))
    if kind is int:
        return st.one_of(st.none(), st.integers(min_value=1990, max_value=2026))
    if f.name == "date_of_birth":
        return st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31))
    if f.name == "long_flight_on":
        return st.one_of(st.none(), st.integers(0, 90).map(lambda d: TODAY + timedelta(days=d)))
    return st.one_of(st.none(), st.integers(1, 200).map(lambda d: TODAY - timedelta(days=d)))


STRATEGY = {f.name: _field_strategy(f) for f in fields(Answers)}


@st.composite
def answer_sets(draw):
    """Someone with nothing to report, with a few answers changed and a few boxes typed in: close
    enough to "cleared" that a finding has something to change, and any of the schema's values."""
    data = {**NOTHING_TO_REPORT, "date_of_birth": draw(STRATEGY["date_of_birth"])}
    others = [name for name in STRATEGY if name not in TEXT_FIELDS and name != "date_of_birth"]
    for name in draw(st.lists(st.sampled_from(others), max_size=2, unique=True)):
        data[name] = draw(STRATEGY[name])
    for name in draw(st.lists(st.sampled_from(list(TEXT_FIELDS)), max_size=2, unique=True)):
        data[name] = draw(typed)
    return data
# Findings that only advise (an NSAID, an antibiotic, an allergen) are the ones that could hide a
# doubt next to them, so they are drawn as often as all the others together.
ADVICE_ONLY = sorted({name for e in ENTRIES if e.category in (Category.NSAID, Category.ANTIBIOTIC, Category.ALLERGEN)
                      for name in e.names})
finding = st.tuples(
    st.one_of(st.sampled_from(FINDINGS), st.sampled_from(ADVICE_ONLY)),
    st.sampled_from(["{}", "{} 20mg daily", "{} since 2019", "maybe {}", "{}?", "I take {}", "had {}"]),
).map(lambda pair: pair[1].format(pair[0]))


def _caution(result) -> tuple:
    # Outcome first; among postponements, open-ended beats any date, a later date beats an earlier one.
    until = result.postpone_until or date.min
    return result.caution, result.postpone_open_ended, until if result.outcome is Outcome.POSTPONE else date.min


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=answer_sets(), choose=st.data(), words=finding, where=st.sampled_from(["after", "before"]),
       separator=st.sampled_from(SEPARATORS))
def test_adding_a_finding_to_any_box_never_makes_the_outcome_less_cautious(data, choose, words, where, separator):
    typed_in = [name for name in TEXT_FIELDS if data.get(name)]
    # Half the time the finding goes into a box that already has words, where they could interfere.
    box = choose.draw(st.sampled_from(typed_in) if typed_in and choose.draw(st.booleans())
                      else st.sampled_from(list(TEXT_FIELDS)), label="box")
    before_answers = Answers.from_dict(data)
    existing = data.get(box)
    if not existing or not existing.strip():
        written = words
    else:
        written = f"{existing}{separator}{words}" if where == "after" else f"{words}{separator}{existing}"
    after_answers = Answers.from_dict({**data, box: written})

    before = screen(before_answers, today=TODAY)
    after = screen(after_answers, today=TODAY)

    assert _caution(after) >= _caution(before), (box, written, before.codes, after.codes)
    assert not after.cleared or before.cleared
    # A sclerosant ruled out stays ruled out.
    ruled_out = {c for c in before.codes if c.startswith("allergies.") and "unrecognised" not in c}
    assert ruled_out - {"allergies.other"} <= set(after.codes)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(box=st.sampled_from(list(TEXT_FIELDS)), words=finding)
def test_a_finding_alone_in_a_box_is_behind_a_flag_that_points_at_it(box, words):
    nothing_else = {**NOTHING_TO_REPORT, "date_of_birth": "1990-05-01"}

    result = screen(Answers.from_dict({**nothing_else, box: words}), today=TODAY)

    spans = [s for flag in result.flags for s in flag.spans if s["field"] == box]
    assert spans, (box, words, result.codes)
