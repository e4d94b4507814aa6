"""citeqa's exception tree: every user-facing problem is a CiteqaError with a one-line message."""

from index.errors import (
    CiteqaError,
    IndexCorruptError,
    IndexMismatchError,
    LoadError,
    ModelError,
)


class EmptyQuestionError(CiteqaError):
    """The question holds no words."""


class NoIndexError(CiteqaError):
    """The index folder holds no index yet."""


class LLMError(CiteqaError):
    """The LLM endpoint failed (down, too slow, an error); answers fall back to extraction."""


class SuiteError(CiteqaError):
    """An eval suite file is malformed."""


__all__ = [
    "CiteqaError", "EmptyQuestionError", "IndexCorruptError", "IndexMismatchError", "LLMError",
    "LoadError", "ModelError", "NoIndexError", "SuiteError",
]
