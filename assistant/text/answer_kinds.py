"""Answer-type cues: what kind of answer a question wants, and where such answers stand in text."""

from __future__ import annotations

import re
from collections.abc import Callable

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundreds?|thousands?|millions?|billions?|trillions?|dozens?|several|a few|half"
)
_YEAR = r"(?:1[5-9]\d\d|20\d\d)(?:s)?"
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
# a bare month name counts as a date after one of these words ("in March", "of June")
_AFTER = "|".join(rf"(?<=\b{w} )" for w in ("in", "of", "by", "until", "since", "from", "during",
                                            "early", "late", "mid"))

# A quantity: a number (not a bare year) or a number word, with the unit or noun after it.
# a number, not part of a version ("5.3.4alpha" holds no quantity "5.3")
QUANTITY = re.compile(
    rf"(?:(?:about|around|nearly|almost|over|more than|less than|fewer than|up to|at least|some|"
    rf"approximately|roughly)\s+)?"
    rf"(?:[$€£]\s?\d[\d,.]*(?:\s(?:million|billion|trillion))?|"
    rf"(?<![\w.\-/])(?!{_YEAR}\b)\d[\d,]*(?:\.\d+)?(?!\.\d)(?:\s?%)?|\b(?:{_NUMBER_WORDS})\b)"
    rf"(?:\s+of)?(?:\s+(?!(?:the|a|an|to|in|on|at|for|and|or|are|is|was|were|will|be|by|with|"
    rf"from|that|which|who|as|per|than|of|during|after|before|since|until|into|over|under|"
    rf"between|through|about|ago|later|earlier|he|she|it|they|we|you|i|his|her|its|their|"
    rf"our|my|had|has|have|would|could|should|can|may|might|must|did|do|does)\b)"
    rf"[A-Za-z][\w-]*){{0,2}}",
    re.IGNORECASE,
)
DATE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+{_YEAR})?|\d{{1,2}}\s+{_MONTH}(?:\s+{_YEAR})?|"
    rf"{_MONTH}\s+{_YEAR}|(?:in|since|by|until|during|from)\s+{_YEAR}|{_YEAR}|{_WEEKDAY}|"
    rf"(?:{_AFTER})(?!May\b){_MONTH}|"
    rf"\d{{4}}-\d\d-\d\d|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|(?:yesterday|today|last (?:week|month|year))|"
    rf"\d{{1,2}}(?:[:.]\d\d)?\s?(?:am|pm|a\.m|p\.m)(?:\s?(?:to|until|-|–)\s?\d{{1,2}}(?:[:.]\d\d)?"
    rf"\s?(?:am|pm|a\.m|p\.m|noon))?|\d\d:\d\d)\b"
)
NAME = re.compile(
    r"\b(?:(?:Mr|Ms|Mrs|Dr|Prof|President|Prime Minister|Minister|Senator|Gov|Governor|General|"
    r"Sen|Rep)\.?\s+)?[A-Z][a-zà-ÿ'’.-]+(?:\s+(?:de|del|van|von|la|le|da|bin)?\s*[A-Z][a-zà-ÿ'’.-]+)+"
)
PLACE = re.compile(
    r"\b(?:in|at|from|to|near|into|across|along|throughout)\s+((?:the\s+)?[A-Z][\w’'.-]+"
    r"(?:\s+(?:of\s+)?[A-Z][\w’'.-]+)*)"
)
REASON = re.compile(
    r"\b(?:because|due to|owing to|since|as a result|in order to|so that|caused by|leads? to|"
    r"led to|result(?:s|ed)? in|attributed to|thanks to|therefore|thus)\b",
    re.IGNORECASE,
)

# the name a byline gives ("By Helena Marsh, Coastal Courier", "Author: J. Doe")
AUTHOR = re.compile(r"(?:\b[Bb]y|\b[Aa]uthors?:)\s+([A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3})|"
                    r"^([A-Z][\w'’.-]+(?:\s[A-Z][\w'’.-]+){1,2})\s*[|·•]\s*(?:\w+\s)?\d")

_VALUE = r"(?:[^\s.,;:()\[\]]|[.,](?=\d))+"  # a word of a value: "1.0" and "10,000" whole

# a default value as documentation states it: "Default: 10 000.", "Defaults to true.", "The
# default is 30 seconds", "(default: off)", "6 being the default"; the value is the group
DEFAULT = re.compile(
    r"\b[Dd]efaults?(?:\s+(?:value|setting))?(?:\s+for\s+[\w.$%-]+)?"
    r"(?:\s+(?:is|was|are|to|of)|\s*[:=])\s+"
    rf"(\"[^\"\n]{{1,40}}\"|'[^'\n]{{1,40}}'|{_VALUE}(?:[ \t]{_VALUE}){{0,3}})|"
    # "with 6 being the default", "off is the default", "512 (the default)"
    rf"(?<![\w-])(?!(?i:this|that|it|which|what|one|none)\b)({_VALUE})"
    r"(?:\s+(?:is|being)\s+the\s+default\b|\s+\((?:the\s+)?default\))"
)

# a section that names its authors ("AUTHOR" in a man page, "Authors", "Written by"): under it
# a name is the author, without "by" before it
AUTHOR_SECTION = re.compile(r"^\W*(?:authors?|written by|credits|maintainers?)\W*$", re.I)

# who holds a copyright notice: "© Copyright 2000-2022 Kitware, Inc. and Contributors."
HOLDER = re.compile(r"^\W*(?:(?:©|\(c\)|copyright)\s*)+(?:\d{4}(?:\s*[-–,]\s*\d{4})*,?\s+)?"
                    r"([^\s.,;:][^\n]{0,80}?)\.?\s*$", re.IGNORECASE)

KINDS: dict[str, re.Pattern] = {
    "quantity": QUANTITY, "date": DATE, "person": NAME, "place": PLACE, "reason": REASON,
    "author": AUTHOR, "default": DEFAULT, "holder": HOLDER,
}

_RULES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"\bwho (?:wrote|writes|authored|penned|reported)\b|\bauthor(?:s|ed)?\b|"
                r"\bwritten by\b|\bbyline\b", re.I), "author"),
    (re.compile(r"\bhow (?:many|much|long|far|big|large|old|often|high|tall|fast|deep|wide|"
                r"heavy|hot|cold|warm)\b|"
                r"\b(?:what|which) (?:is the )?(?:[a-z]+ )?(?:number|amount|percentage|proportion|rate|"
                r"size|cost|price|total|share|fraction|ratio|temperature|distance|depth|width|"
                r"height|weight|duration)\b|\bwhat percent|\bnumeric(?:al)? value\b",
                re.I), "quantity"),
    # "When did …?", "… and when was it …?" (not "Which code is returned when a handle …?")
    (re.compile(r"^\W*when\b|\bwhen (?:did|was|were|is|are|does|do|will|has|have|had|can|could|"
                r"should|would)\b|\bwhat (?:year|date|day|month|time)\b|\bsince when\b", re.I),
     "date"),
    (re.compile(r"\bwho(?:m|se)?\b|\bwhich (?:person|people|official|company|organi[sz]ation)\b",
                re.I), "person"),
    (re.compile(r"\bwhere\b|\bwhich (?:country|city|state|region|place|countries|states)\b", re.I),
     "place"),
    (re.compile(r"\bwhy\b|\bwhat (?:caused|causes|is the reason|was the reason)\b", re.I), "reason"),
    # "What is the default value of X?", "What does X default to?" (not "… by default?": there
    # the answer need not say "default")
    (re.compile(r"\b(?:what|which)\b.*\bthe default\b|\bdefaults? to\b|\bdefault value\b",
                re.I), "default"),
]


# the unit a quantity must have when the question says which measure it asks for: "For how
# long …?" wants a time, "How far …?" a length ("How long is …?" may be either: none is asked)
_TIME = r"(?:seconds?|minutes?|hours?|days?|nights?|weeks?|months?|years?|decades?)"
_LENGTH = (r"(?:(?:kilo|centi|milli)?met(?:re|er)s?|km|m|cm|mm|miles?|feet|foot|ft|inch(?:es)?|"
           r"yards?)")
UNITS: list[tuple[re.Pattern, re.Pattern]] = [
    (re.compile(r"\bfor how long\b|\bhow long (?:did|does|do|will|would|can|could|has|have|had|"
                r"should|must)\b|\bwhat (?:is the )?duration\b|\bhow far (?:ahead|in advance)\b",
                re.I),
     re.compile(rf"\b{_TIME}\b", re.I)),
    (re.compile(r"\bhow (?:far(?! (?:ahead|in advance|back)\b)|deep|wide|tall)\b|"
                r"\bwhat (?:is the )?(?:distance|depth|width|height)\b", re.I),
     re.compile(rf"\b{_LENGTH}\b", re.I)),
    (re.compile(r"\bhow (?:hot|cold|warm)\b|\btemperature\b", re.I),
     re.compile(r"\bdegrees?\b|°", re.I)),
    (re.compile(r"\bbytes\b|\bhow much (?:memory|ram|disk|space|storage)\b", re.I),
     re.compile(r"\b(?:bytes?|[KMGTP]i?B|kB)\b")),
    (re.compile(r"\bbits\b", re.I), re.compile(r"\bbits?\b", re.I)),
    (re.compile(r"\bhow heavy\b|\bwhat (?:is the )?weight\b", re.I),
     re.compile(r"\b(?:(?:kilo)?grams?|kg|g|tonnes?|tons?|pounds?|lbs?|ounces?|oz)\b", re.I)),
]


def quantity_unit(question: str) -> re.Pattern | None:
    """The unit a quantity answering ``question`` must name, when the question says ("How hot
    …?": degrees), else None."""
    return next((unit for cue, unit in UNITS if cue.search(question)), None)


def kind_in_section(kind: str | None, heading: str, credit: bool,
                    under_title: bool = False, notice: bool = False) -> str | None:
    """The kind of span to look for in a sentence under ``heading``: in a credit line (not a
    sentence) under an authors' section or the document's title, a name answers "who wrote
    it?"; in a copyright ``notice``, its holder answers "who holds the copyright?"."""
    if kind == "author" and credit and (under_title or heading and AUTHOR_SECTION.match(heading)):
        return "person"
    if kind in ("author", "person") and credit and notice:
        return "holder"  # "Who holds the copyright?": the notice's holder
    return kind


def answer_kind(question: str) -> str | None:
    """The kind of answer a question asks for, or None when it names none."""
    for pattern, kind in _RULES:
        if pattern.search(question):
            return kind
    return None


# "…, said three military officials": a count of the people quoted, not an answer
ATTRIBUTION = re.compile(r"\b(?:said|says|told|according to|citing|quoting)\s+$", re.IGNORECASE)


_ITEM_NUMBER = re.compile(r"\d{1,3}[.)]\s")


def _numbers_an_item(sentence: str, start: int) -> bool:
    """Whether the number at ``start`` is a list item's ("2. Chief executive's review")."""
    return (start == 0 or sentence[start - 1] == "\n") and bool(_ITEM_NUMBER.match(sentence, start))


def find_answer(kind: str | None, sentence: str, anchors: list[int] | None = None,
                avoid: Callable[[str], bool] | None = None,
                unit: re.Pattern | None = None) -> tuple[int, int] | None:
    """The span of ``sentence`` that is an answer of ``kind``, or None. Spans ``avoid`` rejects
    (e.g. words the question itself uses) are skipped, and a quantity without the ``unit``
    asked for (quantity_unit); among the rest the one nearest to an anchor (where the
    question's words occur) wins, else the first."""
    if kind is None:
        return None
    spans = []
    for match in KINDS[kind].finditer(sentence):
        group = next((g for g in range(1, match.re.groups + 1) if match.group(g)), 0)
        if avoid is not None and avoid(match.group(group)):
            continue
        if kind == "quantity" and (ATTRIBUTION.search(sentence, 0, match.start())
                                   or _numbers_an_item(sentence, match.start())
                                   or unit is not None and not unit.search(match.group(group))):
            continue
        spans.append((match.start(group), match.end(group)))
    if not spans:
        return None
    if not anchors:
        return spans[0]
    return min(spans, key=lambda sp: min(min(abs(a - sp[0]), abs(a - sp[1])) for a in anchors))
