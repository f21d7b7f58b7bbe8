"""Reading free-text answers: which known words a text names, and how it says them.

Pure Python, standard library only. The words themselves are data, in ``intake/lexicon.toml``
(medicines, sclerosants, allergens and conditions, each with its category and source, and the small
words around them). The screening rules in ``intake.rules`` never look at raw text: they ask this
module what a text names (``read_text``) and which words it could not place, so that nothing a
patient writes can slip silently through to "cleared".

Matching is case-insensitive and ignores punctuation, accents, doses and frequencies
("XARELTO 20mg", "Eliquis 5mg twice a day"). Typos are forgiven with difflib on whole words of at
least ``FUZZY_MIN_LENGTH`` letters ("elliquis", "aethoxysclerol"); shorter words ("ASA", "STS",
"HRT") must match exactly, because at that length a one-letter slip turns one word into another.

A negation covers only its own phrase: "no allergies except polidocanol" names polidocanol; "no
blood thinners except xarelto" names Xarelto; "factor V Leiden negative" denies it. Every match
keeps where it stands in the text (``start``, ``end``), so a page can highlight the patient's own
words without changing them.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum
from functools import cache
from pathlib import Path

FUZZY_CUTOFF = 0.85
FUZZY_MIN_LENGTH = 5
LEXICON_PATH = Path(__file__).with_name("lexicon.toml")


class Category(StrEnum):
    """What a recognised term is, as far as the screening rules care."""

    # Sclerosants: an allergy to one rules that agent out
    POLIDOCANOL = "polidocanol"
    SODIUM_TETRADECYL_SULFATE = "sodium_tetradecyl_sulfate"
    SCLEROSANT = "sclerosant"  # a vein-injection medicine or the treatment, agent not named
    # Medicines
    ANTICOAGULANT = "anticoagulant"
    BLOOD_THINNER = "blood_thinner"  # lay words that may mean an anticoagulant or an antiplatelet
    ANTIPLATELET = "antiplatelet"
    ASPIRIN = "aspirin"
    NSAID = "nsaid"
    CORTICOSTEROID = "corticosteroid"
    ANTIBIOTIC = "antibiotic"
    HORMONE = "hormone"
    NO_CONCERN = "no_concern"  # common medicines with no bearing on sclerotherapy screening
    # Allergies
    ALLERGEN = "allergen"  # common non-drug allergens (latex, nuts, pollen...)
    # Conditions: each stands for an answer to one of the questionnaire's questions
    CLOT = "clot"
    THROMBOPHLEBITIS = "thrombophlebitis"
    CLOTTING_DISORDER = "clotting_disorder"
    BLOOD_DISORDER = "blood_disorder"
    PREGNANCY = "pregnancy"
    RECENT_PREGNANCY = "recent_pregnancy"
    BREASTFEEDING = "breastfeeding"
    SHUNT = "shunt"
    MIGRAINE_AURA = "migraine_aura"
    CANCER = "cancer"
    ARTERIAL = "arterial"
    DIABETES = "diabetes"
    SURGERY = "surgery"
    INFECTION = "infection"
    SKIN_INFECTION = "skin_infection"
    # Words that are only at home in some boxes (the rules say which)
    BODY_AREA = "body_area"
    EXPECTED_REACTION = "expected_reaction"


class Cue(StrEnum):
    """How a term is said: words around it that change how the rules read it."""

    NEGATED = "negated"  # "no DVT", "not on blood thinners", "factor V Leiden negative"
    STOPPED = "stopped"  # in the past: "stopped warfarin", "no longer on the pill", "used to"
    HEDGED = "hedged"  # "maybe pregnant", "not sure if it was a clot", "DVT?"
    REGULAR = "regular"  # "daily", "75mg every morning", "baby aspirin", "long term"
    OCCASIONAL = "occasional"  # "ibuprofen when needed", "aspirin for headaches"
    SHORT_COURSE = "short_course"  # "prednisolone 5 day course", "finished last week"
    LOCAL = "local"  # creams, inhalers, nasal sprays, eye drops


# --- The lexicon ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One lexicon entry: a canonical name, its category, every other name, and the source."""

    canonical: str
    category: Category
    names: tuple[str, ...]
    source: str
    is_class: bool = False  # a class or lay word ("steroids", "blood thinners"), not a named medicine
    reads_as: str | None = None  # for some conditions: "unsure", "severe", "poorly_controlled"
    misspellings: frozenset[str] = frozenset()  # the names above that are misspellings


def _normalise(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_TOKEN = re.compile(r"[^\W\d_]+|\d+(?:[.,]\d+)?")


def _words(text: str) -> tuple[str, ...]:
    return tuple(_normalise(m.group()) for m in _TOKEN.finditer(text))


def load_lexicon(path: Path = LEXICON_PATH) -> tuple[tuple[Entry, ...], dict[str, tuple[tuple[str, ...], ...]]]:
    """The entries and the word lists of the lexicon file. Raises ValueError on a malformed file."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    entries = []
    for raw in data.get("entry", []):
        missing = {"canonical", "category", "names", "source"} - set(raw)
        if missing or not raw["names"] or not str(raw["source"]).strip():
            raise ValueError(f"lexicon entry {raw.get('canonical')!r}: needs canonical, category, names, source")
        names = (raw["canonical"], *raw["names"], *raw.get("spanish", ()), *raw.get("misspellings", ()))
        entries.append(
            Entry(
                canonical=raw["canonical"],
                category=Category(raw["category"]),
                names=tuple(dict.fromkeys(names)),
                source=raw["source"],
                is_class=bool(raw.get("class", False)),
                reads_as=raw.get("reads_as"),
                misspellings=frozenset(raw.get("misspellings", ())),
            )
        )
    words = {kind: tuple(_words(phrase) for phrase in phrases) for kind, phrases in data["words"].items()}
    return tuple(entries), words


ENTRIES, _WORD_LISTS = load_lexicon()


def _single(kind: str) -> frozenset[str]:
    return frozenset(w for phrase in _WORD_LISTS[kind] for w in phrase)


_NONE_WORDS = _single("none")
_DETAIL_WORDS = _single("detail") | frozenset().union(*(_single(k) for k in ("regular", "occasional", "short_course")))
_FILLER = _single("filler") | _NONE_WORDS  # a way of saying "nothing" names nothing either
_CUE_WORDS = {
    Cue.REGULAR: _single("regular"),
    Cue.OCCASIONAL: _single("occasional"),
    Cue.SHORT_COURSE: _single("short_course"),
    Cue.LOCAL: _single("local"),
}
# Words a typo-tolerant match must never bend into a drug name ("efficient" is close to "Effient").
_NEVER_FUZZY = _FILLER | _single("never_fuzzy")

# Markers: word sequences that change how a phrase is read. Earlier kinds win a tie in length
# ("not sure" is doubt, not negation; "no longer" is the past, not negation).
_MARKER_KINDS = ("hedge", "past", "scope_end", "negation", "negation_after")
_MARKERS: dict[tuple[str, ...], str] = {}
for _kind in reversed(_MARKER_KINDS):
    for _phrase in _WORD_LISTS[_kind]:
        _MARKERS[_phrase] = _kind
_LONGEST_MARKER = max(len(p) for p in _MARKERS)
_NEGATES_AFTER = frozenset(_WORD_LISTS["negation_after"])

# List separators: punctuation (a dot only when not a decimal point) and joining words.
_SEPARATOR = re.compile(
    r"[,;\n\r/+&()\[\]|]|(?<!\d)\.|\.(?!\d)|\b(?:and|plus|also|then|y)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class _Alias:
    tokens: tuple[str, ...]
    entry: Entry
    misspelt: bool = False


def _build_aliases() -> dict[str, tuple[_Alias, ...]]:
    """Aliases grouped by their first word."""
    by_first: dict[str, list[_Alias]] = defaultdict(list)
    for entry in ENTRIES:
        for name in entry.names:
            tokens = _words(name)
            if tokens:
                by_first[tokens[0]].append(_Alias(tokens, entry, name in entry.misspellings))
    return {first: tuple(aliases) for first, aliases in by_first.items()}


_ALIASES_BY_FIRST = _build_aliases()
_ALIAS_WORDS = frozenset(w for aliases in _ALIASES_BY_FIRST.values() for a in aliases for w in a.tokens)


def _word_similarity(written: str, known: str) -> float:
    if written == known:
        return 1.0
    if (
        len(written) < FUZZY_MIN_LENGTH
        or len(known) < FUZZY_MIN_LENGTH
        or written in _NEVER_FUZZY
        or written.isdigit()
        or known.isdigit()
    ):
        return 0.0
    matcher = SequenceMatcher(None, written, known)
    if matcher.real_quick_ratio() < FUZZY_CUTOFF or matcher.quick_ratio() < FUZZY_CUTOFF:
        return 0.0
    ratio = matcher.ratio()
    return ratio if ratio >= FUZZY_CUTOFF else 0.0


@cache
def _close_words(written: str) -> tuple[tuple[str, float], ...]:
    """Lexicon words this written word may stand for, with how close each is (cached per word)."""
    if written in _ALIAS_WORDS and (written in _NEVER_FUZZY or len(written) < FUZZY_MIN_LENGTH):
        return ((written, 1.0),)
    found = []
    for known in _ALIAS_WORDS:
        score = _word_similarity(written, known)
        if score:
            found.append((known, score))
    return tuple(found)


def _similarity(written: str, known: str) -> float:
    return dict(_close_words(written)).get(known, 0.0)


# --- Reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """One known term found in a free-text answer, where it stands and how it is said."""

    category: Category
    canonical: str
    matched_text: str  # the words exactly as the patient wrote them
    fuzzy: bool  # True when a typo was forgiven (a known misspelling, or a near spelling)
    item: str  # the list item it came from, e.g. "Eliquis 5mg twice a day"
    cues: frozenset[Cue]
    start: int = 0  # matched_text == text[start:end]
    end: int = 0
    is_class: bool = False
    reads_as: str | None = None

    @property
    def label(self) -> str:
        """How to name it back to a person: "Eliquis (apixaban)", or just "warfarin"."""
        if _normalise(self.matched_text) == _normalise(self.canonical):
            return self.matched_text
        return f"{self.matched_text} ({self.canonical})"

    @property
    def negated(self) -> bool:
        return Cue.NEGATED in self.cues

    def to_dict(self) -> dict[str, object]:
        return {
            "category": self.category.value,
            "canonical": self.canonical,
            "matched_text": self.matched_text,
            "fuzzy": self.fuzzy,
            "cues": sorted(cue.value for cue in self.cues),
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Span:
    """Words in a text that the reader could not place: text[start:end]."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Reading:
    """Everything the reader made of one free-text answer."""

    text: str
    matches: tuple[Match, ...]  # every match, denied ones too (their cues say so)
    unplaced: tuple[Span, ...]  # words not understood (not counting denied ones: "no stroke")
    says_none: bool  # empty, or only "none / nil / n/a / no known allergies"-type words

    @property
    def unrecognised(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(span.text for span in self.unplaced))

    @property
    def found(self) -> tuple[Match, ...]:
        """The matches that are not denied."""
        return tuple(m for m in self.matches if not m.negated)

    def of(self, *categories: Category) -> tuple[Match, ...]:
        return tuple(m for m in self.matches if m.category in categories)


@dataclass(frozen=True)
class _Token:
    norm: str
    start: int
    end: int
    item: int


def _items(text: str) -> list[tuple[int, int]]:
    """The (start, end) span of each list item."""
    items, start = [], 0
    for cut in _SEPARATOR.finditer(text):
        items.append((start, cut.start()))
        start = cut.end()
    items.append((start, len(text)))
    return items


def _tokens(text: str, items: list[tuple[int, int]]) -> list[_Token]:
    tokens, item = [], 0
    for m in _TOKEN.finditer(text):
        while m.start() >= items[item][1]:
            item += 1
        tokens.append(_Token(_normalise(m.group()), m.start(), m.end(), item))
    return tokens


def _best_alias_at(tokens: list[_Token], i: int) -> tuple[_Alias, float] | None:
    """The best alias starting at token i: the longest, then the closest spelling."""
    best: tuple[tuple[int, float], _Alias] | None = None
    for first, _score in _close_words(tokens[i].norm):
        for alias in _ALIASES_BY_FIRST.get(first, ()):
            size = len(alias.tokens)
            window = tokens[i : i + size]
            if len(window) < size or window[-1].item != window[0].item:
                continue
            scores = [_similarity(t.norm, word) for t, word in zip(window, alias.tokens)]
            if not all(scores):
                continue
            rank = (size, sum(scores) / size)
            if best is None or rank > best[0]:
                best = (rank, alias)
    if best is None:
        return None
    (_, score), alias = best
    return alias, score


def _marker_at(tokens: list[_Token], i: int, free: list[bool]) -> tuple[str, int] | None:
    """A marker (kind, length in words) starting at token i, among tokens no term has taken."""
    for size in range(min(_LONGEST_MARKER, len(tokens) - i), 0, -1):
        window = tokens[i : i + size]
        if window[-1].item != window[0].item or not all(free[i : i + size]):
            continue
        kind = _MARKERS.get(tuple(t.norm for t in window))
        if kind is not None:
            return kind, size
    return None


@dataclass
class _Element:
    """One thing in a phrase: a term, a run of unplaced words, or a marker."""

    kind: str  # "match", "words" or a marker kind
    first: int  # token index
    last: int
    words: tuple[str, ...] = ()
    alias: _Alias | None = None
    score: float = 1.0


def _elements(tokens: list[_Token]) -> list[_Element]:
    """Terms first (longest match at each place), then markers among the words left over."""
    found: list[_Element] = []
    free = [True] * len(tokens)
    i = 0
    while i < len(tokens):
        best = _best_alias_at(tokens, i)
        if best is None:
            i += 1
            continue
        alias, score = best
        size = len(alias.tokens)
        found.append(_Element("match", i, i + size - 1, alias=alias, score=score))
        for k in range(i, i + size):
            free[k] = False
        i += size
    i = 0
    while i < len(tokens):
        marker = _marker_at(tokens, i, free) if free[i] else None
        if marker is None:
            if free[i]:
                found.append(_Element("words", i, i, words=(tokens[i].norm,)))
            i += 1
            continue
        kind, size = marker
        found.append(_Element(kind, i, i + size - 1, words=tuple(t.norm for t in tokens[i : i + size])))
        for k in range(i, i + size):
            free[k] = False
        i += size
    return sorted(found, key=lambda e: e.first)


def _phrases(elements: list[_Element], tokens: list[_Token]) -> list[list[_Element]]:
    """Elements grouped by list item, and within an item cut at the words that end a scope."""
    phrases: list[list[_Element]] = []
    current: list[_Element] = []
    item = None
    for element in elements:
        this_item = tokens[element.first].item
        if current and (this_item != item or element.kind == "scope_end"):
            phrases.append(current)
            current = []
        item = this_item
        if element.kind != "scope_end":
            current.append(element)
    if current:
        phrases.append(current)
    return phrases


def _is_filler(word: str) -> bool:
    return word in _FILLER or len(word) == 1 or word[0].isdigit()


def _is_detail(word: str) -> bool:
    return word in _DETAIL_WORDS or len(word) == 1 or word[0].isdigit()


def _is_content(element: _Element) -> bool:
    return element.kind == "match" or (element.kind == "words" and not _is_filler(element.words[0]))


def _negated_positions(phrase: list[_Element]) -> set[int]:
    """Indices (in the phrase) of the terms and words a negation covers."""
    negated: set[int] = set()
    # "no X", "not on X or Y": everything after the negation in its phrase.
    for i, element in enumerate(phrase):
        if element.kind == "negation":
            later = [j for j in range(i + 1, len(phrase)) if _is_content(phrase[j])]
            if later:
                negated.update(later)
                break
    # "X negative", "pregnant: no": a denial after the last term denies what came before it.
    content = [j for j, e in enumerate(phrase) if _is_content(e)]
    for i, element in enumerate(phrase):
        if element.words in _NEGATES_AFTER and element.kind in ("negation", "negation_after"):
            before = [j for j in content if j < i]
            after = [j for j in content if j > i]
            if before and not after:
                negated.update(before)
    return negated


def read_text(text: str) -> Reading:
    """Read a free-text answer: the known terms it names, how, and the words it could not place."""
    items = _items(text)
    tokens = _tokens(text, items)
    item_words: dict[int, set[str]] = defaultdict(set)
    for token in tokens:
        item_words[token.item].add(token.norm)
    doubtful_items = {n for n, (start, end) in enumerate(items) if "?" in text[start:end]}

    matches: list[Match] = []
    unplaced: list[Span] = []
    denied_words = False
    elements = _elements(tokens)
    denied_items: set[int] = set()
    for phrase in _phrases(elements, tokens):
        negated = _negated_positions(phrase)
        kinds = {e.kind for e in phrase}
        item = tokens[phrase[0].first].item
        cues = {cue for cue, words in _CUE_WORDS.items() if item_words[item] & words}
        if "past" in kinds:
            cues.add(Cue.STOPPED)
        if "hedge" in kinds or item in doubtful_items:
            cues.add(Cue.HEDGED)
        run: list[int] = []  # indices of consecutive unplaced words in this phrase
        for i, element in enumerate(phrase + [_Element("end", 0, 0)]):
            if element.kind == "words" and not _is_filler(element.words[0]):
                run.append(i)
                continue
            if element.kind == "words":  # filler: may sit inside a run ("St John's wort")
                if run:
                    run.append(i)
                continue
            while run and _is_filler(phrase[run[-1]].words[0]):
                run.pop()
            if run:
                first, last = tokens[phrase[run[0]].first], tokens[phrase[run[-1]].last]
                if run[0] in negated:
                    denied_words = True
                    denied_items.add(first.item)
                else:
                    unplaced.append(Span(text[first.start : last.end], first.start, last.end))
                run = []
            if element.kind != "match":
                continue
            alias = element.alias
            assert alias is not None
            first, last = tokens[element.first], tokens[element.last]
            item_start, item_end = items[first.item]
            matches.append(
                Match(
                    category=alias.entry.category,
                    canonical=alias.entry.canonical,
                    matched_text=text[first.start : last.end],
                    fuzzy=element.score < 1.0 or alias.misspelt,
                    item=text[item_start:item_end].strip(),
                    cues=frozenset(cues | ({Cue.NEGATED} if i in negated else set())),
                    start=first.start,
                    end=last.end,
                    is_class=alias.entry.is_class,
                    reads_as=alias.entry.reads_as,
                )
            )

    # A list item that names nothing and is not a way of saying "nothing", how much, how often or how
    # it reacts ("some tablets", "a cream", "don't know", "?") is not understood as a whole. Item by item, so
    # that adding words elsewhere never turns it into "understood".
    placed_items = {tokens[e.first].item for e in elements if e.kind == "match"}
    placed_items |= {i for i, (start, end) in enumerate(items) for s in unplaced if start <= s.start < end}
    placed_items |= denied_items
    for n, (start, end) in enumerate(items):
        if n in placed_items:
            continue
        words = [t.norm for t in tokens if t.item == n]
        doubtful = n in doubtful_items or any(e.kind == "hedge" and tokens[e.first].item == n for e in elements)
        if doubtful or (words and not all(w in _NONE_WORDS or _is_detail(w) for w in words)):
            piece = text[start:end].strip()
            if piece:
                at = text.index(piece, start)
                unplaced.append(Span(piece, at, at + len(piece)))
    unplaced.sort(key=lambda s: s.start)
    return Reading(
        text=text,
        matches=tuple(matches),
        unplaced=tuple(unplaced),
        says_none=not matches and not unplaced and not denied_words,
    )


def match_terms(text: str) -> list[Match]:
    """The known terms (medicines, sclerosants, allergens, conditions) a free text names, in order.

    Denied ones ("no DVT") are included with the NEGATED cue; ``read_text(text).found`` leaves them out.
    """
    return list(read_text(text).matches)


def lexicon_problems() -> list[str]:
    """Names that mean two different things (a test keeps this list empty)."""
    meaning: dict[tuple[str, ...], tuple[Category, str]] = {}
    problems = []
    for entry in ENTRIES:
        for name in entry.names:
            key = _words(name)
            seen = meaning.setdefault(key, (entry.category, entry.canonical))
            if seen != (entry.category, entry.canonical):
                problems.append(f"{name!r}: {seen} and {(entry.category, entry.canonical)}")
    return problems
