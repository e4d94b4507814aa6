"""The Assistant: the package's front door (open, ingest, ask, retrieve, as_retriever)."""

from __future__ import annotations

import time
from functools import cached_property
from pathlib import Path

from assistant.conversation import Conversation, resolve
from assistant.cues import answer_kind
from assistant.errors import EmptyQuestionError, NoIndexError
from assistant.extract import Weights, score_sentences, select
from assistant.retrieval import HybridRetriever, page_of, to_passage
from assistant.settings import Settings
from assistant.types import Answer, Citation, Passage
from index import Index, IngestReport
from index.textproc import WORD, terms

NO_ANSWER = "The documents do not answer this question."


def clean_question(question: str, limit: int) -> str:
    """Strip control characters and spaces; refuse an empty or over-long question."""
    text = "".join(ch if ch.isprintable() else " " for ch in question or "")
    text = " ".join(text.split())
    if not WORD.search(text):
        raise EmptyQuestionError("the question is empty; ask something about your documents")
    if len(text) > limit:
        raise EmptyQuestionError(
            f"the question is {len(text):,} characters long; the limit is {limit:,}"
        )
    return text


class Assistant:
    """Answers questions about one index with cited sentences."""

    def __init__(self, settings: Settings, weights: Weights | None = None):
        self.settings = settings
        self.weights = weights or Weights()
        self.index = Index(settings.index, settings.embed_model, settings.chroma_url)

    @classmethod
    def open(cls, index: str | Path | None = None, **overrides) -> Assistant:
        """Open (or prepare to create) the index folder; nothing heavy loads yet."""
        if index is not None:
            overrides["index"] = str(index)
        return cls(Settings(**{k: v for k, v in overrides.items() if v is not None}))

    @cached_property
    def retriever(self) -> HybridRetriever:
        self.index.check()
        return HybridRetriever(self.index)

    def ingest(self, paths: list[str | Path], progress=None) -> IngestReport:
        """Index files and folders incrementally (see index.Index.ingest)."""
        return self.index.ingest(list(paths), progress=progress)

    def _require_index(self) -> None:
        if not self.index.exists:
            raise NoIndexError(
                f"no index at {self.index.folder}; create it: citeqa ingest DOCS "
                f"--index {self.settings.index}"
            )
        self.retriever  # noqa: B018 - checks the manifest once

    def retrieve(self, query: str, top_k: int | None = None) -> list[Passage]:
        """The best passages for ``query`` (hybrid dense + BM25)."""
        query = clean_question(query, self.settings.max_question_chars)
        self._require_index()
        hits = self.retriever.search(query, top_k or self.settings.top_k)
        return [to_passage(h, page_of(self.index.docstore.pages(h.chunk.source), h.chunk.start))
                for h in hits]

    def ask(self, question: str, top_k: int | None = None,
            history: list[str] | None = None) -> Answer:
        """Answer with the best-supported sentences, or abstain when the documents do not say.
        ``history`` holds the conversation's earlier questions, for follow-ups."""
        started = time.perf_counter()
        question = clean_question(question, self.settings.max_question_chars)
        self._require_index()
        resolved = resolve(question, history or [])
        text = resolved.search_text
        vector = self.index.embedder.embed_query(text)
        hits = self.retriever.search(text, top_k or self.settings.top_k, vector=vector)
        retrieved = time.perf_counter()
        idf = self.index.keyword.idf(terms(text))
        kind = resolved.kind or answer_kind(question)
        scored = score_sentences(text, vector, hits, idf, self.weights, kind=kind, focus=question)
        chosen = select(kind, scored, self.weights, self.index.docstore)
        citations = [
            Citation(i, s.source, s.text, s.start, s.end, s.score, s.highlight,
                     page_of(self.index.docstore.pages(s.source), s.start))
            for i, s in enumerate(chosen, 1)
        ]
        text = " ".join(f"{c.text} [{c.id}]" for c in citations) if citations else NO_ANSWER
        done = time.perf_counter()
        timings = {"retrieve": (retrieved - started) * 1000, "answer": (done - retrieved) * 1000,
                   "total": (done - started) * 1000}
        return Answer(question, text, citations, not citations, timings)

    def chat(self, history: list[str] | None = None) -> Conversation:
        """A conversation: ``conv.ask(...)`` answers follow-up questions in context."""
        return Conversation(self, history)

    def as_retriever(self, top_k: int | None = None):
        """A llama-index BaseRetriever over this index (NodeWithScore results)."""
        from assistant.llama import CiteqaRetriever

        return CiteqaRetriever(self, top_k=top_k)
