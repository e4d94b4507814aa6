"""Errors raised by ingestion and the stores; the root of citeqa's exception tree."""


class CiteqaError(Exception):
    """A problem the user can fix; its message is one line that says how."""


class IndexMismatchError(CiteqaError):
    """The index was built with another embedding model or chunking settings."""


class IndexCorruptError(CiteqaError):
    """The index folder is missing parts or holds unreadable files."""


class LoadError(CiteqaError):
    """A document could not be read or holds no text."""


class ModelError(CiteqaError):
    """The embedding model cannot be found or failed its integrity check."""


class StoreError(CiteqaError):
    """Reading or writing one of the index's stores failed (a full disk, a damaged file)."""
