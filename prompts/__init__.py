"""Prompt templates: text files in this folder, each declaring the variables it uses.

A file starts with a header, ends the header with a line ``---``, and fills ``{name}`` slots in the
body (``{{`` and ``}}`` are literal braces)::

    variables: question, passages
    ---
    Question: {question}

Rendering checks that the body uses exactly the declared variables and that every one is given:
a missing value fails loudly instead of sending a prompt with a hole in it.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from index.errors import CiteqaError

FOLDER = Path(__file__).parent


class PromptError(CiteqaError, ValueError):
    """A prompt file is malformed or rendered with the wrong variables."""


@dataclass(frozen=True)
class Prompt:
    """A template and the variables it declares."""

    name: str
    variables: tuple[str, ...]
    body: str

    def render(self, **values: object) -> str:
        """The body with every declared variable filled in; PromptError on a missing or unknown one."""
        missing = [v for v in self.variables if v not in values]
        if missing:
            raise PromptError(f"prompt {self.name!r} needs {', '.join(missing)}; "
                              f"declared: {', '.join(self.variables) or 'none'}")
        unknown = sorted(set(values) - set(self.variables))
        if unknown:
            raise PromptError(f"prompt {self.name!r} does not declare {', '.join(unknown)}")
        return self.body.format(**{k: str(v) for k, v in values.items()})


def parse(name: str, text: str) -> Prompt:
    """A Prompt from a file's text; the body's slots must match the declared variables."""
    header, sep, body = text.partition("\n---\n")
    if not sep:
        raise PromptError(f"prompt {name!r} has no '---' line ending its header")
    variables: tuple[str, ...] = ()
    for line in header.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "variables":
            variables = tuple(v.strip() for v in value.split(",") if v.strip())
    try:
        used = {field for _, field, _, _ in string.Formatter().parse(body) if field is not None}
    except ValueError as exc:
        raise PromptError(f"prompt {name!r}: {exc}") from None
    if used != set(variables):
        raise PromptError(f"prompt {name!r} uses {sorted(used)} but declares {sorted(variables)}")
    return Prompt(name, variables, body.strip() + "\n")


@cache
def load(name: str) -> Prompt:
    """The prompt ``prompts/NAME.txt``."""
    path = FOLDER / f"{name}.txt"
    if not path.is_file():
        names = ", ".join(sorted(p.stem for p in FOLDER.glob("*.txt")))
        raise PromptError(f"no prompt named {name!r}; available: {names}")
    return parse(name, path.read_text(encoding="utf-8"))
