"""Reading free-text answers (medicines, allergies) for the screening rules.

Pure Python, standard library only. The screening rules in ``intake.rules`` never look at raw text:
they ask this module which known terms a text names (``match_terms``) and which words it could not
place (``read_text(...).unrecognised``), so that nothing a patient writes can slip silently through
to "eligible".

Matching is case-insensitive and ignores punctuation, accents, doses and frequencies
("XARELTO 20mg", "Eliquis 5mg twice a day"). Typos are forgiven with difflib on whole words of at
least ``FUZZY_MIN_LENGTH`` letters ("elliquis", "aethoxysclerol"); shorter words ("ASA", "STS",
"HRT") must match exactly, because at that length a one-letter slip turns one word into another.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

FUZZY_CUTOFF = 0.85
FUZZY_MIN_LENGTH = 5


class Category(StrEnum):
    """What a recognised term is, as far as the screening rules care."""

    POLIDOCANOL = "polidocanol"
    SODIUM_TETRADECYL_SULFATE = "sodium_tetradecyl_sulfate"
    SCLEROSANT = "sclerosant"  # a vein-injection medicine, agent not named
    ANTICOAGULANT = "anticoagulant"
    BLOOD_THINNER = "blood_thinner"  # lay words that may mean an anticoagulant or an antiplatelet
    ANTIPLATELET = "antiplatelet"
    ASPIRIN = "aspirin"
    NSAID = "nsaid"
    CORTICOSTEROID = "corticosteroid"
    ANTIBIOTIC = "antibiotic"
    HORMONE = "hormone"
    NO_CONCERN = "no_concern"  # common medicines with no bearing on sclerotherapy screening
    ALLERGEN = "allergen"  # common non-drug allergens (latex, nuts, pollen...)


class Cue(StrEnum):
    """Words in the same list item as a term that change how the rules read it."""

    STOPPED = "stopped"  # "stopped warfarin", "no longer on the pill", "not taking aspirin"
    REGULAR = "regular"  # "daily", "75mg every morning", "baby aspirin", "long term"
    OCCASIONAL = "occasional"  # "ibuprofen when needed", "aspirin for headaches"
    SHORT_COURSE = "short_course"  # "prednisolone 5 day course", "finished last week"
    LOCAL = "local"  # creams, inhalers, nasal sprays, eye drops


# canonical name -> other names (brands, older spellings, common misspellings that the fuzzy
# match would not reach). The canonical name is always an alias of itself.
LEXICON: dict[Category, dict[str, tuple[str, ...]]] = {
    Category.POLIDOCANOL: {
        "polidocanol": (
            "asclera", "aethoxysklerol", "aethoxysclerol", "ethoxysclerol", "aetoxisclerol",
            "lauromacrogol", "lauromacrogol 400", "varithena", "sclerovein", "polidocanol foam",
        ),
    },
    Category.SODIUM_TETRADECYL_SULFATE: {
        "sodium tetradecyl sulfate": (
            "sodium tetradecyl sulphate", "tetradecyl sulfate", "tetradecyl sulphate",
            "sodium tetradecylsulfate", "tetradecyl", "sts", "sotradecol", "fibrovein", "fibro vein",
            "trombovar",
        ),
    },
    Category.SCLEROSANT: {
        "sclerosant (unspecified)": (
            "sclerosant", "sclerosants", "sclerosing", "sclerosing solution", "sclerosing agent",
            "sclerotherapy", "sclerotherapy solution", "vein injection", "vein injections",
            "hypertonic saline",
        ),
    },
    Category.ANTICOAGULANT: {
        "warfarin": ("coumadin", "jantoven", "marevan", "warfarin sodium"),
        "apixaban": ("eliquis",),
        "rivaroxaban": ("xarelto",),
        "dabigatran": ("pradaxa", "pradax", "dabigatran etexilate"),
        "edoxaban": ("savaysa", "lixiana", "roteas"),
        "heparin": ("unfractionated heparin",),
        "enoxaparin": ("lovenox", "clexane", "inhixa"),
        "dalteparin": ("fragmin",),
        "tinzaparin": ("innohep",),
        "fondaparinux": ("arixtra",),
        "acenocoumarol": ("sintrom",),
        "phenindione": (),
        "anticoagulant (unspecified)": (
            "anticoagulant", "anticoagulants", "anticoagulation", "anti coagulant",
            "anti coagulants", "doac", "noac", "lmwh",
        ),
    },
    Category.BLOOD_THINNER: {
        "blood thinner (unspecified)": (
            "blood thinner", "blood thinners", "blood thinning", "blood thinning tablets",
        ),
    },
    Category.ANTIPLATELET: {
        "clopidogrel": ("plavix",),
        "prasugrel": ("effient", "efient"),
        "ticagrelor": ("brilinta", "brilique"),
        "dipyridamole": ("persantin", "persantine", "aggrenox"),
        "cilostazol": ("pletal",),
        "antiplatelet (unspecified)": ("antiplatelet", "antiplatelets", "anti platelet"),
    },
    Category.ASPIRIN: {
        "aspirin": (
            "asa", "acetylsalicylic acid", "baby aspirin", "bayer", "disprin", "ecotrin", "aspro",
            "nu seals", "caprin", "bufferin", "excedrin",
        ),
    },
    Category.NSAID: {
        "ibuprofen": ("advil", "motrin", "nurofen", "brufen"),
        "naproxen": ("aleve", "naprosyn", "anaprox", "naprogesic"),
        "diclofenac": ("voltaren", "voltarol", "cataflam", "arthrotec"),
        "celecoxib": ("celebrex",),
        "meloxicam": ("mobic",),
        "ketorolac": ("toradol",),
        "indometacin": ("indomethacin",),
        "etoricoxib": ("arcoxia",),
        "nsaid (unspecified)": (
            "nsaid", "nsaids", "anti inflammatory", "anti inflammatories", "antiinflammatory",
            "antiinflammatories",
        ),
    },
    Category.CORTICOSTEROID: {
        "prednisone": ("deltasone",),
        "prednisolone": (),
        "dexamethasone": ("decadron",),
        "methylprednisolone": ("medrol", "solu medrol", "depo medrol"),
        "hydrocortisone": ("cortef", "cortisone"),
        "triamcinolone": ("kenalog",),
        "budesonide": ("pulmicort", "entocort", "symbicort"),
        "fluticasone": ("flonase", "flixotide", "seretide", "flixonase"),
        "beclometasone": ("beclomethasone", "qvar", "clenil"),
        "betamethasone": ("betnovate",),
        "corticosteroid (unspecified)": (
            "corticosteroid", "corticosteroids", "steroid", "steroids",
        ),
    },
    Category.ANTIBIOTIC: {
        "amoxicillin": ("amoxil", "amoxycillin"),
        "penicillin": ("penicillins", "penicillin v", "phenoxymethylpenicillin"),
        "flucloxacillin": ("floxapen",),
        "co-amoxiclav": ("co amoxiclav", "augmentin", "amoxicillin clavulanate"),
        "doxycycline": ("vibramycin",),
        "cephalexin": ("cefalexin", "keflex"),
        "azithromycin": ("zithromax", "z pak", "zpak", "z pack"),
        "clarithromycin": ("biaxin", "klaricid"),
        "erythromycin": (),
        "ciprofloxacin": ("cipro", "ciproxin"),
        "levofloxacin": ("levaquin",),
        "trimethoprim": (),
        "co-trimoxazole": ("co trimoxazole", "sulfamethoxazole", "bactrim", "septra"),
        "nitrofurantoin": ("macrobid", "macrodantin"),
        "metronidazole": ("flagyl",),
        "clindamycin": ("dalacin",),
        "minocycline": (),
        "tetracycline": (),
        "lymecycline": ("tetralysal",),
        "antibiotic (unspecified)": ("antibiotic", "antibiotics"),
    },
    Category.HORMONE: {
        "estradiol": (
            "oestradiol", "estrogen", "oestrogen", "estrogens", "oestrogens", "premarin",
            "conjugated estrogens", "evorel", "estrogel", "oestrogel", "vagifem",
        ),
        "oral contraceptive": (
            "the pill", "birth control", "birth control pill", "contraceptive pill",
            "contraceptive", "contraceptives", "oral contraceptives", "ocp", "coc", "mini pill",
            "combined pill", "microgynon", "yasmin", "yaz", "rigevidon", "loestrin", "cerazette",
            "desogestrel", "levonorgestrel", "ethinylestradiol", "drospirenone", "norethisterone",
            "nuvaring", "mirena", "implanon", "nexplanon",
        ),
        "hormone replacement therapy": (
            "hrt", "hormone replacement", "hormone therapy", "hormone treatment", "hormones",
        ),
        "tamoxifen": ("nolvadex",),
        "raloxifene": ("evista",),
        "testosterone": ("testogel", "androgel", "nebido"),
        "progesterone": (
            "progestogen", "utrogestan", "provera", "medroxyprogesterone", "depo provera",
        ),
    },
    Category.NO_CONCERN: {
        "lisinopril": ("zestril",),
        "ramipril": (),
        "amlodipine": ("norvasc",),
        "losartan": ("cozaar",),
        "metformin": ("glucophage",),
        "insulin": (),
        "levothyroxine": ("synthroid", "eltroxin", "euthyrox", "thyroxine"),
        "atorvastatin": ("lipitor",),
        "simvastatin": ("zocor",),
        "rosuvastatin": ("crestor",),
        "paracetamol": ("acetaminophen", "tylenol", "panadol", "calpol"),
        "omeprazole": ("prilosec", "losec"),
        "lansoprazole": (),
        "pantoprazole": (),
        "esomeprazole": ("nexium",),
        "cetirizine": ("zyrtec",),
        "loratadine": ("claritin",),
        "fexofenadine": ("allegra", "telfast"),
        "antihistamine": ("antihistamines",),
        "salbutamol": ("albuterol", "ventolin"),
        "vitamin": ("vitamin d", "vitamin c", "vitamin b", "multivitamin", "multivitamins",
                    "vitamins", "multi vitamin"),
        "calcium": (),
        "magnesium": (),
        "iron": ("ferrous sulphate", "ferrous sulfate", "ferrous fumarate"),
        "folic acid": (),
        "codeine": ("co codamol",),
        "morphine": (),
        "tramadol": (),
        "lidocaine": ("lignocaine", "local anaesthetic", "local anesthetic", "emla"),
    },
    Category.ALLERGEN: {
        "latex": ("rubber",),
        "nuts": ("nut", "peanut", "peanuts", "tree nuts", "almonds", "cashews", "walnuts"),
        "shellfish": ("seafood", "prawns", "shrimp", "crab", "lobster"),
        "fish": (),
        "eggs": ("egg",),
        "milk": ("dairy", "lactose"),
        "gluten": ("wheat", "coeliac", "celiac"),
        "soy": ("soya",),
        "sesame": (),
        "pollen": ("hay fever", "hayfever", "grass", "grasses", "trees"),
        "house dust mite": ("dust", "dust mite", "dust mites", "mites"),
        "animals": ("cat", "cats", "dog", "dogs", "pet", "pets", "animal", "dander", "horses"),
        "insect stings": ("bee", "bees", "wasp", "wasps", "sting", "stings", "bee stings",
                          "wasp stings", "insect bites"),
        "nickel": ("metal", "metals", "jewellery"),
        "adhesive": ("plaster", "plasters", "sticking plaster", "tape", "elastoplast", "band aid"),
        "iodine": ("betadine", "povidone iodine", "contrast", "contrast dye"),
        "chlorhexidine": ("hibiclens",),
        "alcohol wipes": ("alcohol", "alcohol swabs"),
        "sulfonamides": ("sulfa", "sulpha", "sulphonamides", "sulfa drugs"),
        "opiates": ("opioids",),
        "mould": ("mold",),
        "fragrance": ("perfume", "perfumes", "fragrances"),
        "fruit": ("strawberries", "kiwi", "citrus"),
    },
}

# Filler, doses, forms and frequency: words that neither name a medicine nor leave it in doubt.
_IGNORABLE = frozenset("""
    a an the and or of for to in on at with by from as if when my i im am is are was be been
    take takes taking took use uses using used per day days daily twice once times x week weeks
    weekly month months monthly year years yearly morning mornings night nights evening bedtime
    tablet tablets tab tabs pill pills capsule capsules cap caps mg mcg ug μg g gram grams ml iu
    unit units dose doses dosage low high strength every each needed prn bd bid tds tid qd od
    qds qid mane nocte sometimes occasionally occasional only also plus about approx around
    since last ago now currently current still just some medication medications medicine
    medicines meds drug drugs prescription prescribed over counter otc doctor gp dr cream creams
    ointment gel lotion inhaler inhalers puffer spray drops injection injections patch patches
    oral mouth allergy allergies allergic reaction reactions rash rashes hives itching itchy
    swelling mild moderate severe bad anaphylaxis anaphylactic intolerance intolerant sensitive
    sensitivity causes cause gives makes me sick vomiting none no nil nothing not known any
    stopped stop quit previously formerly former never longer anymore course short finished
    finishing planned plan planning regular regularly long term longterm short course repeat
    other etc eg ie but that which think maybe possibly probably unsure sure dont don t s
    headache headaches pain pains ache aches period periods cramps hangover
    nkda nka na n/a applicable topical inhaled nasal eye eyes ear skin
""".split())

# A text made only of these says "nothing to declare".
_NONE_WORDS = frozenset("""
    none no nil nothing n a na not applicable known any allergies allergy allergic to medications
    medication medicines medicine meds drugs drug i im am at the moment present currently taking
    take regular regularly that of aware nka nkda kda
""".split())

_CUES: dict[Cue, frozenset[str]] = {
    Cue.STOPPED: frozenset(
        "stopped stop quit discontinued previously formerly former never longer anymore not no "
        "used past".split()
    ),
    Cue.REGULAR: frozenset(
        "daily everyday nightly morning mornings night nights od bd bid tds tid qd qds qid once "
        "twice regular regularly long longterm maintenance chronic years months ongoing lifelong "
        "permanently low baby junior 75 81 100".split()
    ),
    Cue.OCCASIONAL: frozenset(
        "occasional occasionally sometimes rarely prn needed required headache headaches "
        "hangover".split()
    ),
    Cue.SHORT_COURSE: frozenset("course short finished finishing burst days week".split()),
    Cue.LOCAL: frozenset(
        "cream creams ointment gel lotion topical inhaler inhalers inhaled puffer spray nasal drops "
        "eye ear skin".split()
    ),
}

# Words a typo-tolerant match must never bend into a drug name ("efficient" is close to "Effient").
_NEVER_FUZZY = _IGNORABLE | frozenset("efficient effect effects patient".split())

_TOKEN = re.compile(r"[^\W\d_]+|\d+(?:[.,]\d+)?")
# List separators: punctuation (a dot only when not a decimal point) and joining words.
_SEPARATOR = re.compile(
    r"[,;:\n\r/+&()\[\]|]|(?<!\d)\.|\.(?!\d)|\b(?:and|plus|also|then)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Match:
    """One known term found in a free-text answer."""

    category: Category
    canonical: str
    matched_text: str  # the words as the patient wrote them
    fuzzy: bool  # True when a typo was forgiven
    item: str  # the list item it came from, e.g. "Eliquis 5mg twice a day"
    cues: frozenset[Cue]

    @property
    def label(self) -> str:
        """How to name it back to a person: "Eliquis (apixaban)", or just "warfarin"."""
        if _normalise(self.matched_text) == _normalise(self.canonical):
            return self.matched_text
        return f"{self.matched_text} ({self.canonical})"

    def to_dict(self) -> dict[str, object]:
        return {
            "category": self.category.value,
            "canonical": self.canonical,
            "matched_text": self.matched_text,
            "fuzzy": self.fuzzy,
            "cues": sorted(cue.value for cue in self.cues),
        }


@dataclass(frozen=True)
class Reading:
    """Everything the matcher made of one free-text answer."""

    text: str
    matches: tuple[Match, ...]
    unrecognised: tuple[str, ...]
    says_none: bool  # empty, or only "none / nil / n/a / no known allergies"-type words

    def of(self, *categories: Category) -> tuple[Match, ...]:
        return tuple(m for m in self.matches if m.category in categories)


@dataclass(frozen=True)
class _Token:
    norm: str
    start: int
    end: int
    item: int


@dataclass(frozen=True)
class _Alias:
    tokens: tuple[str, ...]
    canonical: str
    category: Category


def _normalise(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _tokens(text: str) -> tuple[list[_Token], list[tuple[int, int]]]:
    """Words with their place in `text`, and the (start, end) span of each list item."""
    cuts = [m.span() for m in _SEPARATOR.finditer(text)]
    items, start = [], 0
    for cut_start, cut_end in cuts:
        items.append((start, cut_start))
        start = cut_end
    items.append((start, len(text)))

    tokens, item = [], 0
    for m in _TOKEN.finditer(text):
        while m.start() >= items[item][1]:
            item += 1
        tokens.append(_Token(_normalise(m.group()), m.start(), m.end(), item))
    return tokens, items


def _build_aliases() -> tuple[_Alias, ...]:
    aliases = []
    for category, entries in LEXICON.items():
        for canonical, others in entries.items():
            for name in (canonical, *others):
                words = tuple(_normalise(m.group()) for m in _TOKEN.finditer(name))
                aliases.append(_Alias(words, canonical, category))
    return tuple(aliases)


_ALIASES = _build_aliases()


def _word_similarity(written: str, known: str) -> float:
    if written == known:
        return 1.0
    if (
        len(written) < FUZZY_MIN_LENGTH
        or len(known) < FUZZY_MIN_LENGTH
        or written in _NEVER_FUZZY
        or written.isdigit()
    ):
        return 0.0
    matcher = SequenceMatcher(None, written, known)
    if matcher.real_quick_ratio() < FUZZY_CUTOFF or matcher.quick_ratio() < FUZZY_CUTOFF:
        return 0.0
    ratio = matcher.ratio()
    return ratio if ratio >= FUZZY_CUTOFF else 0.0


def _best_alias_at(tokens: list[_Token], i: int) -> tuple[_Alias, float] | None:
    """The best alias starting at token i: the longest, then the closest spelling."""
    best: tuple[tuple[int, float], _Alias] | None = None
    for alias in _ALIASES:
        size = len(alias.tokens)
        window = tokens[i : i + size]
        if len(window) < size or window[-1].item != window[0].item:
            continue
        scores = [_word_similarity(t.norm, word) for t, word in zip(window, alias.tokens)]
        if not all(scores):
            continue
        rank = (size, sum(scores) / size)
        if best is None or rank > best[0]:
            best = (rank, alias)
    if best is None:
        return None
    (_, score), alias = best
    return alias, score


def _cues(words: set[str]) -> frozenset[Cue]:
    return frozenset(cue for cue, cue_words in _CUES.items() if words & cue_words)


def _is_ignorable(token: _Token) -> bool:
    return token.norm in _IGNORABLE or len(token.norm) == 1 or token.norm[0].isdigit()


def _trimmed(run: list[_Token]) -> list[_Token]:
    """The run without filler at either end ("fluoxetine 20mg daily" -> "fluoxetine")."""
    kept = [i for i, token in enumerate(run) if not _is_ignorable(token)]
    return run[kept[0] : kept[-1] + 1] if kept else []


def _runs(tokens: Iterable[_Token]) -> Iterator[list[_Token]]:
    """Consecutive tokens of one list item, grouped."""
    run: list[_Token] = []
    for token in tokens:
        if run and token.item != run[-1].item:
            yield run
            run = []
        run.append(token)
    if run:
        yield run


def read_text(text: str) -> Reading:
    """Read a free-text answer: the known terms it names and the words it could not place."""
    tokens, items = _tokens(text)
    item_words: dict[int, set[str]] = {}
    for token in tokens:
        item_words.setdefault(token.item, set()).add(token.norm)

    matches: list[Match] = []
    unplaced: list[list[_Token]] = [[]]
    i = 0
    while i < len(tokens):
        found = _best_alias_at(tokens, i)
        if found is None:
            unplaced[-1].append(tokens[i])
            i += 1
            continue
        alias, score = found
        window = tokens[i : i + len(alias.tokens)]
        item_start, item_end = items[window[0].item]
        matches.append(
            Match(
                category=alias.category,
                canonical=alias.canonical,
                matched_text=text[window[0].start : window[-1].end],
                fuzzy=score < 1.0,
                item=text[item_start:item_end].strip(),
                cues=_cues(item_words[window[0].item]),
            )
        )
        unplaced.append([])
        i += len(alias.tokens)

    unrecognised = [
        text[words[0].start : words[-1].end]
        for group in unplaced
        for run in _runs(group)
        if (words := _trimmed(run))
    ]
    only_none_words = all(token.norm in _NONE_WORDS for token in tokens)
    if not matches and not unrecognised and not only_none_words:
        # Only filler words ("some tablets", "a cream"): that names nothing, so it is not "none".
        unrecognised = [text.strip()]
    return Reading(
        text=text,
        matches=tuple(matches),
        unrecognised=tuple(dict.fromkeys(unrecognised)),
        says_none=not matches and not unrecognised,
    )


def match_terms(text: str) -> list[Match]:
    """The known terms (medicines, sclerosants, allergens) that a free text names, in order."""
    return list(read_text(text).matches)
