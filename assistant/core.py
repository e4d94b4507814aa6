"""The Assistant: the package's front door (open, ingest, ask, retrieve, documents, as_retriever).

A question runs through five stages, each its own module and each replaceable:
QueryBuilder (stages/s1_query.py) → Retriever (stages/s2_retrieve.py) → EvidenceRanker
(stages/s3_rank.py) → Reader (stages/s4_read.py: a reading model reorders the candidates and
decides "not in the documents"; ``none`` skips it) → Answerer (stages/s5_answer.py: extractive, or
LLM with the extractive one as its fallback).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

from assistant.conversation import Conversation
from assistant.errors import BadInputError, CiteqaError, NoIndexError
from assistant.llm.local import LOCAL
from assistant.settings import Settings, load_settings
from assistant.stages.s1_query import QueryBuilder, clean_question
from assistant.stages.s2_retrieve import HybridRetriever, Retriever, to_passage
from assistant.stages.s3_rank import EvidenceRanker
from assistant.stages.s4_read import Reader, make_reader
from assistant.stages.s5_answer import NO_ANSWER, Answerer, ExtractiveAnswerer, LLMAnswerer
from assistant.text.scoring import Weights
from assistant.types import Answer, Passage
from index import DocumentRecord, Index, IngestReport
from index.view import DocumentView

__all__ = ["NO_ANSWER", "STAGES", "Assistant"]
ANSWER_MODES = ("llm", "extractive")  # what ask(mode=...) and "mode" in /api/ask take
# what Assistant(...) takes besides settings, in the order a question meets them
STAGES = ("queries", "retriever", "ranker", "reader", "answerer")


class Assistant:
    """Answers questions about one index with cited sentences. Built from settings; any stage
    may be given instead (tests and other apps swap one without touching the rest)."""

    def __init__(self, settings: Settings, weights: Weights | None = None, *,
                 index: Index | None = None, queries: QueryBuilder | None = None,
                 retriever: Retriever | None = None, ranker: EvidenceRanker | None = None,
                 reader: Reader | None = None, answerer: Answerer | None = None):
        self.settings = settings
        self.weights = weights or Weights()
        self.index = index or Index(settings.index, settings.embed_model, settings.chroma_url,
                                    embed_backend=settings.embed_backend)
        self._given = {"queries": queries, "retriever": retriever, "ranker": ranker,
                       "reader": reader, "answerer": answerer}
        self._checked = False
        self.local_server = None  # the llama.cpp server of llm_url "local", once started

    @classmethod
    def open(cls, index: str | Path | None = None, **overrides) -> Assistant:
        """Open (or prepare to create) the index folder; nothing heavy loads yet. Keywords
        are settings (``top_k=5``, ``llm_url=…``) or stages (``retriever=…``, see __init__)."""
        if index is not None:
            overrides["index"] = str(index)
        stages = {k: overrides.pop(k) for k in STAGES  # reader="none" is the setting
                  if k in overrides and not isinstance(overrides[k], str)}
        return cls(load_settings(**{k: v for k, v in overrides.items() if v is not None}),
                   **stages)

    # -- the stages (built on first use, from the index and settings) ------------------------
    @cached_property
    def view(self) -> DocumentView:
        """The indexed documents, read-only (for answerers and renderers)."""
        return DocumentView(self.index.docstore)

    @cached_property
    def queries(self) -> QueryBuilder:
        return self._given["queries"] or QueryBuilder(
            self.index.embedder, self.index.keyword, self.settings.max_question_chars, self.llm)

    @cached_property
    def retriever(self) -> Retriever:
        return self._given["retriever"] or HybridRetriever(self.index, self.weights.prefer,
                                                           self.view)

    @cached_property
    def ranker(self) -> EvidenceRanker:
        return self._given["ranker"] or EvidenceRanker(self.view, self.weights)

    @cached_property
    def reader(self) -> Reader:
        return self._given["reader"] or make_reader(self.settings.reader, self.view, self.weights)

    @cached_property
    def answerer(self) -> Answerer:
        if self._given["answerer"]:
            return self._given["answerer"]
        if self.llm is None:
            return self.extractive
        return LLMAnswerer(self.llm, self.view, self.index.embedder, self.index.keyword,
                           self.settings.llm_passages, self.weights, fallback=self.extractive)

    @cached_property
    def extractive(self) -> Answerer:
        """The extractive answerer (what ``mode="extractive"`` asks for in LLM mode)."""
        return ExtractiveAnswerer(self.view)

    @cached_property
    def llm(self):
        """The LLM client when ``llm_url`` is set (LLM mode), else None (extractive answers);
        ``local`` starts a llama.cpp server in this process (assistant/llm/local.py)."""
        if not self.settings.llm_url:
            return None
        from assistant.llm.client import LLMClient

        url, model, key = self.settings.llm_url, self.settings.llm_model, self.settings.llm_api_key
        specials: tuple[str, ...] = ()  # an endpoint's tokenizer is unknown: template shapes only
        if url == LOCAL:  # the bundled (or a named) GGUF on a llama.cpp server of our own
            from assistant.llm import local
            from assistant.llm.control_tokens import gguf_special_tokens

            self.local_server = local.start(model)
            url, model, key = (self.local_server.url, self.local_server.model.name,
                               self.local_server.api_key)
            specials = gguf_special_tokens(self.local_server.model)
        return LLMClient(url, model, key, timeout=self.settings.llm_timeout, specials=specials)

    # -- documents ----------------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        """The index folder."""
        return self.index.folder

    @property
    def exists(self) -> bool:
        """Whether the folder holds an index yet."""
        return self.index.exists

    def ingest(self, paths: list[str | Path], progress=None, uploaded: bool = False) -> IngestReport:
        """Index files and folders incrementally (see index.Index.ingest); ``uploaded``: the
        files were uploaded, each replaces an earlier upload of its name."""
        return self.index.ingest(list(paths), progress=progress, uploaded=uploaded)

    def documents(self) -> list[DocumentRecord]:
        """The indexed documents (source, chunks …), by source name (an index whose parts
        disagree is refused, as for a question)."""
        self.index.check()
        return self.index.documents()

    def remove(self, source: str) -> bool:
        """Remove one document; False when no document has that name."""
        return self.index.remove(source)

    def warm_up(self) -> None:
        """Load the model, the stores and the keyword index before the first question (a
        problem is printed, not raised: the first question reports it again)."""
        try:
            self.index.embedder.model  # noqa: B018 - loads once per process
            warm = getattr(self.reader, "warm", None)
            if warm:
                warm()
            if self.exists:
                self.ask("warm up")
        except CiteqaError as exc:
            print(f"citeqa: {exc}", file=sys.stderr)

    def _require_index(self) -> None:
        self.index.docstore.check_same_file()  # deleted under this process: say so first
        if not self.index.exists:
            raise NoIndexError(
                f"no index at {self.index.folder}; create it: citeqa ingest DOCS "
                f"--index {self.settings.index}"
            )
        if not self._checked:  # the manifest, once
            self.index.check()
            self._checked = True

    # -- questions ----------------------------------------------------------------------------
    def retrieve(self, query: str, top_k: int | None = None) -> list[Passage]:
        """The best passages for ``query`` (hybrid dense + BM25)."""
        query = clean_question(query, self.settings.max_question_chars)
        self._require_index()
        hits = self.retriever.search(self.queries.build(query), top_k or self.settings.top_k)
        return [to_passage(h, self.view.page_of(h.chunk.source, h.chunk.start)) for h in hits]

    def ask(self, question: str, top_k: int | None = None,
            history: list | None = None, mode: str | None = None) -> Answer:
        """Answer with the best-supported sentences (or, in LLM mode, a generated answer whose
        every sentence cites a retrieved passage); abstain when the documents do not say.
        ``history`` holds the conversation's earlier turns, for follow-ups: questions, or
        {"question", "sources"} objects (a follow-up then stays with the sources cited).
        ``mode="extractive"`` answers with the documents' sentences even in LLM mode."""
        for item in self.ask_stream(question, top_k, history, mode):
            if isinstance(item, Answer):
                return item
        raise AssertionError("ask_stream ended without an answer")  # pragma: no cover

    def ask_stream(self, question: str, top_k: int | None = None,
                   history: list | None = None, mode: str | None = None) -> Iterator[str | Answer]:
        """Like ``ask``, but yields the generated answer's text as it arrives (LLM mode), then
        the final Answer (its text may differ from the stream: markers are checked at the end)."""
        if mode is not None and mode not in ANSWER_MODES:
            raise BadInputError(f'unknown answer mode {mode!r}: "mode" is "llm" or "extractive"')
        if mode == "llm" and not self.settings.llm_url:
            raise BadInputError('"mode": "llm" needs an LLM, and none is configured; set '
                                'CITEQA_LLM_URL (or --llm-url), or leave "mode" out')
        started = time.perf_counter()
        question = clean_question(question, self.settings.max_question_chars)
        self._require_index()
        query = self.queries.build(question, history)
        hits = self.retriever.search(query, top_k or self.settings.top_k)
        retrieved = time.perf_counter()
        evidence = self.reader.read(query, hits, self.ranker.rank(query, hits))
        answerer = self.extractive if mode == "extractive" else self.answerer
        answer = None
        for item in answerer.answer(query, hits, evidence):
            if isinstance(item, Answer):
                answer = item
            else:
                yield item
        done = time.perf_counter()
        # the contract's keys always; LLM mode adds "generate" (the model's part of "answer")
        timings = {"retrieve": (retrieved - started) * 1000, **answer.timings,
                   "answer": (done - retrieved) * 1000}
        timings["total"] = (done - started) * 1000
        answer.timings, answer.warnings = timings, query.warnings + answer.warnings
        if mode == "extractive" and self.settings.llm_url:
            answer.mode = "extractive"
        yield answer

    def chat(self, history: list | None = None) -> Conversation:
        """A conversation: ``conv.ask(...)`` answers follow-up questions in context."""
        return Conversation(self, history)

    def as_retriever(self, top_k: int | None = None):
        """A llama-index BaseRetriever over this index (NodeWithScore results)."""
        from assistant.llama_retriever import CiteqaRetriever

        return CiteqaRetriever(self, top_k=top_k)
