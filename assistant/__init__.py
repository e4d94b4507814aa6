"""citeqa's answering side; the public API: ``from assistant import Assistant``.

The rooms, imports pointing down (faces -> the Assistant -> stages -> llm, models -> text -> index):

- ``core.py``, ``conversation.py``: the Assistant and its conversations; ``settings.py``,
  ``types.py``, ``errors.py``, ``history.py`` (the history's shape), ``llama_retriever.py``
  (the Assistant as a llama-index retriever);
- ``stages/``: the answer path, one numbered module a stage (query, retrieve, rank, answer);
- ``text/``: what the stages know about text (sentence scores, names and numbers, answer kinds);
- ``models/``: fitted models (the "not in the documents" decision) beside the code that fits them;
- ``llm/``: LLM mode (client, local llama.cpp server, prompts, reply checks);
- ``faces/``: the command line, the web page, the HTTP API and the server that runs them.

The names load on first use, so ``citeqa --help`` (which imports this package) stays quick."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_EXPORTS = {"Answer": "assistant.types", "Assistant": "assistant.core", "Citation": "assistant.types",
            "CiteqaError": "assistant.errors", "IngestReport": "index", "Passage": "assistant.types",
            "Settings": "assistant.settings"}

if TYPE_CHECKING:
    from assistant.core import Assistant
    from assistant.errors import CiteqaError
    from assistant.settings import Settings
    from assistant.types import Answer, Citation, Passage
    from index import IngestReport

__all__ = ["Answer", "Assistant", "Citation", "CiteqaError", "IngestReport", "Passage", "Settings"]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
