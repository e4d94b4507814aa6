"""What kind of line of a document a sentence is: a sentence proper, a list item or table row
(answerable units), a version note ("Changed in version 3.8: …", answerable but ranked below
the text it annotates unless the question asks about versions), or a heading, byline, photo
credit or reference entry (context, or the answer only to a question about it)."""

from __future__ import annotations

import re

from assistant.text.answer_kinds import AUTHOR_SECTION, NAME
from index.sentences import SENTENCE_END

SENTENCE, ITEM, HEADING, BYLINE, CREDIT, REFERENCE, NOTE = (
    "sentence", "item", "heading", "byline", "credit", "reference", "note")

HEADING_WORDS = 16  # a line this short without a sentence ending is a title or heading
_ITEM = re.compile(r"^(?:[-*+•▪–]\s+|\d{1,3}[.)]\s+|\|)")
# a row of a two-column list as a man page aligns it: a value, a gap, what it means ("126    if
# the command cannot be run", "0\t if it succeeds")
_VALUE_ROW = re.compile(r"^[-+]?\d[\w.,]{0,11}(?:\t|[ \t]{2,})\S")
_LABELLED = re.compile(r"^[A-Z][\w’' /&-]{0,40}:\s+\S")  # "Saturday: 7 am to 2 pm"
LABELLED_CHARS = 120  # longer, or ending as a sentence: "CONCLUSION: These results …" is prose
_HEADING = re.compile(r"^#{1,6}\s")
# Sphinx's versionadded / versionchanged / deprecated notes, and the same words elsewhere
_NOTE = re.compile(r"^(?:changed|new|added|deprecated|removed)\s+(?:in|since)\s+(?:version\s+)?"
                   r"v?\d+(?:\.\d+)*\b", re.I)
_ASKS_VERSION = re.compile(r"\b(?:versions?|releases?|deprecated|deprecation|since|introduced|"
                           r"changed|added|removed|new in)\b", re.I)
_BYLINE = re.compile(r"^(?:by|written by|words by|authors?:|reported by|story by)\s+\S|"
                     r"^(?:an? )?[\w -]{0,40}\b[Bb]y\s+[A-Z]|"
                     r"^[A-Z][\w'’.-]+(?:\s[A-Z][\w'’.-]+){1,2}\s*[|·•]\s*(?:\w+\s)?\d", re.I)
# "Jeff Charles | February 05, 2025": a name, a bar, a date
_CREDIT = re.compile(
    r"^(?:photo(?:graph)?s?|image|picture|illustration|credit|caption|source|figure|fig\.|table)"
    r"\s*(?:\d+[.:]\s|[:(—–-]|by\b)|\b(?:photo|image)\s*(?:credit)?\s*:\s|/\s*(?:getty|reuters|ap|afp)\b|"
    r"^(?:©|\(c\)\s|copyright\b)",  # a copyright notice: "© 2021 Mara Delacourt. Reproduced …"
    re.I)
_REFERENCE = re.compile(
    r"^\[\d+\]\s|^\d{1,3}\.\s+[A-Z][\w'-]+,?\s+(?:[A-Z]\.|[A-Z][a-z]+,)|"
    r"^[A-Z][\w'-]+,\s+[A-Z]\.(?:\s?[A-Z]\.)*[,\s]|\bdoi:|doi\.org/|\bpp\.\s*\d|"
    r"\b(?:19|20)\d\d\s*[;,]\s*\d+\s*[(:]|\b\d+\s*\(\d+\)\s*:\s*\d+|"
    r"\b(?:Springer|Elsevier|Wiley|University Press|Publishing)\b.*\b(?:19|20)\d\d\b")


# a rendered man page's running head or foot: "CRONTAB(5)   File Formats Manual   CRONTAB(5)",
# "4th Berkeley Distribution   24 January 1994   CRONTAB(5)", "October 2026   JQ(1)" (page
# chrome, never an answer)
_RUNNING_HEAD = re.compile(r"^\S+\(\w{1,4}\)\s{3,}.*\S\s{3,}\S+\(\w{1,4}\)$|"
                           r"^(?:\S.*\S\s{3,})?\S.*\S\s{3,}\S+\(\w{1,4}\)$")


# the heading of a list of sources: everything under it is a reference entry
REFERENCE_SECTION = re.compile(r"^\W*(?:\d+\.?\s*)?(?:references|bibliography|sources|works cited|"
                               r"literature|further reading|notes and references|citations)\W*$",
                               re.IGNORECASE)


def sentence_form(text: str, heading: str = "", title: str = "") -> str:
    """The form of one sentence's text (see the module's docstring), standing under
    ``heading`` in a document whose first line is ``title``: there, "Valderholm Water Company:
    Annual Report 2023" is the title (again), not a labelled item."""
    line = text.strip()
    if (title and _LABELLED.match(line) and not _ITEM.match(line) and not line.endswith(".")
            and " ".join(line.split()) == " ".join(title.split())):
        return HEADING
    if heading and REFERENCE_SECTION.match(heading):
        return REFERENCE
    if _HEADING.match(line) or _RUNNING_HEAD.match(line):
        return HEADING
    if _BYLINE.match(line) and len(line) < 120 and not line.endswith("."):
        return BYLINE
    if (heading and AUTHOR_SECTION.match(heading) and len(line) < 120
            and not line.endswith(SENTENCE_END)
            and " ".join(heading.split()) != " ".join(line.split())):
        return BYLINE  # "AUTHOR" / "Paul Vixie <paul@vix.com>": a man page's credit
    if _CREDIT.search(line) and len(line) < 300:
        return CREDIT
    if _REFERENCE.search(line):
        return REFERENCE
    if _NOTE.match(line):
        return NOTE
    if _ITEM.match(line) or _VALUE_ROW.match(line) or (
            _LABELLED.match(line) and len(line) < LABELLED_CHARS and not line.endswith(".")):
        return ITEM
    if not line.endswith(SENTENCE_END) and len(line.split()) <= HEADING_WORDS:
        return HEADING
    return SENTENCE


# what marks a line under a title as its authors': a year, an address, or a second name
_CREDIT_MARK = re.compile(r"\b(?:1[89]|20)\d\d\b|<[^<>\s]+@[^<>\s]+>|[\w.-]+@[\w-]+\.\w")
TITLE_LINES = 3  # a document's authors stand within its first lines (title, underline, …)


def names_authors(line: str) -> bool:
    """Whether a line under a document's title names its authors: "2004, Oliver Elphick,
    Martin Pitt", "Jane Doe <jane@example.org>" (a name with a year, an address or another
    name; a subtitle such as "Getting Started" is not one)."""
    line = line.strip()
    if len(line) >= 120 or line.endswith(SENTENCE_END):
        return False
    names = NAME.findall(line)
    return bool(names) and (len(names) >= 2 or bool(_CREDIT_MARK.search(line)))


# the forms a question may be about, by the words it uses
_ASKS_FOR = (
    (BYLINE, re.compile(r"\b(?:newspapers?|paper|publications?|publisher|outlet|magazine|"
                        r"reporter|correspondent|byline)\b", re.I)),
    (CREDIT, re.compile(r"\b(?:photo\w*|picture|image|illustration|caption|credit\w*|figure|"
                        r"table|copyright)\b", re.I)),
    (REFERENCE, re.compile(r"\b(?:references?|cites?|cited|citations?|bibliography|journal|"
                           r"publish\w*)\b", re.I)),
)


def answers_content(form: str) -> bool:
    """Whether a sentence of this form may answer a question about the document's content."""
    return form in (SENTENCE, ITEM)


def asks_about_versions(question: str) -> bool:
    """Whether a version note may be what the question is after ("Since which version …")."""
    return bool(_ASKS_VERSION.search(question))


def forms_asked(question: str, kind: str | None) -> frozenset[str]:
    """The forms that may answer ``question``: sentences and list items, and bylines for "who
    wrote it?" or "which newspaper?", credits for a question about a photo or figure,
    reference entries for one about references."""
    forms = {SENTENCE, ITEM, NOTE}
    if kind == "author":
        forms.add(BYLINE)
    forms.update(form for form, words in _ASKS_FOR if words.search(question))
    return frozenset(forms)
