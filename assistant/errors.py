"""citeqa's exception tree: every user-facing problem is a CiteqaError with a one-line message."""

from index.errors import (
    CiteqaError,
    IndexCorruptError,
    IndexMismatchError,
    LoadError,
    ModelError,
    StoreError,
)
from index.lock import IndexBusyError


class BadInputError(CiteqaError):
    """A question, history or request the assistant cannot take (HTTP 400)."""


class EmptyQuestionError(BadInputError):
    """The question holds no words, or too many characters."""


class NoIndexError(CiteqaError):
    """The index folder holds no index yet."""


class LLMError(CiteqaError):
    """The LLM endpoint failed (down, too slow, an error); answers fall back to extraction."""


__all__ = [
    "BadInputError", "CiteqaError", "EmptyQuestionError", "IndexBusyError", "IndexCorruptError",
    "IndexMismatchError", "LLMError", "LoadError", "ModelError", "NoIndexError", "StoreError",
]
