"""citeqa's answering side; the public API: ``from assistant import Assistant``."""

from assistant.core import Assistant
from assistant.errors import CiteqaError
from assistant.settings import Settings
from assistant.types import Answer, Citation, Passage
from index import IngestReport

__all__ = ["Answer", "Assistant", "Citation", "CiteqaError", "IngestReport", "Passage", "Settings"]
