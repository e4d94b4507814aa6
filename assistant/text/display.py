"""How a document's text is shown in answers: a hard-wrapped line break inside a sentence is a
space ("may be used internally in order to\\ncopy the file" reads as written), and so is a tab or
a justified line's run of spaces between words; a line's indent and a heading's markdown marks
are layout, not shown. Paragraph breaks, list items, table rows, and a line that ends a sentence
keep their breaks. Citations keep the document's exact characters; only what is composed for
people passes through this."""

from __future__ import annotations

import re

from index.textproc import HYPHENATED

# a single line break (with the indent around it) after a character that ends no sentence,
# clause or row, before one that starts no list item, table row, heading or quote
# ("--stacks=yes" and "-g" continue a line: only a mark followed by a space starts an item)
_WRAPPED = re.compile(r"(?<=[^\s.!?:;|])[ \t]*\n[ \t]*(?=(?![-*•+][ \t])[^\s|#>])")

_HEADING_MARK = re.compile(r"(?<=\n)#{1,6}[ \t]+|\A#{1,6}[ \t]+")  # markdown's, not words
_BLANK_LINES = re.compile(r"\n{3,}")  # where a comment or an empty line was
_INDENT = re.compile(r"(?<=\n)[ \t]+")  # a line's indent (text cut at a highlight keeps its edges)
# inside a line, a tab or the spaces a justified man page pads words with ("signal  to
# increase"); not in a table row, whose cells may be aligned
_SPACED = re.compile(r"(?<=\S)(?:[ \t]{2,}|\t)(?=\S)")


# a hyphen at a line's end before a lower-case letter: "well-\n  known" is "well-known"
_HYPHEN_WRAPPED = re.compile(r"(?<=\w-)[ \t]*\n[ \t]*(?=[a-z])")


def as_written(text: str) -> str:
    """``text`` with the line breaks of hard-wrapping inside sentences joined, and words a
    typesetter hyphenated across lines whole again ("prob‐\n lem" is "problem")."""
    text = HYPHENATED.sub("", text)
    text = _WRAPPED.sub(" ", _HYPHEN_WRAPPED.sub("", text))
    text = _BLANK_LINES.sub("\n\n", _HEADING_MARK.sub("", _INDENT.sub("", text)))
    return "\n".join(line if line.startswith("|") else _SPACED.sub(" ", line)
                     for line in text.split("\n"))
