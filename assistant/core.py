"""The Assistant: the package's front door (open, ingest, ask, retrieve, as_retriever)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

from assistant import generate
from assistant.conversation import Conversation, Resolved, is_follow_up, resolve
from assistant.cues import answer_kind
from assistant.errors import EmptyQuestionError, LLMError, NoIndexError
from assistant.extract import Weights, blend, favour, score_sentences, select
from assistant.markers import defuse
from assistant.retrieval import HybridRetriever, page_of, to_passage
from assistant.settings import Settings, load_settings
from assistant.types import Answer, Citation, Passage
from index import Index, IngestReport
from index.textproc import terms

NO_ANSWER = "The documents do not answer this question."


# terminal escape sequences (colours, cursor moves) pasted with a question: CSI and OSC forms
ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def clean_question(question: str, limit: int) -> str:
    """Strip terminal escape sequences, control characters and spaces; refuse an over-long
    question, or one without a letter or digit in any script."""
    text = ESCAPES.sub(" ", question or "")
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    if len(text) > limit:
        raise EmptyQuestionError(
            f"the question is {len(text):,} characters long; the limit is {limit:,}"
        )
    if not any(ch.isalnum() for ch in text):
        raise EmptyQuestionError("the question is empty; ask something about your documents")
    return text


def split_history(history: list) -> tuple[list[str], list[str]]:
    """Earlier turns (questions, or {"question", "sources"?} objects; an ``ask --json`` object's
    "citations" serve as sources too) as the questions and the sources the last answer cited."""
    questions: list[str] = []
    sources: list[str] = []
    for item in history:
        if isinstance(item, str):
            questions.append(item)
            sources = []
            continue
        questions.append(item["question"])
        cited = item.get("sources") or [c["source"] for c in item.get("citations") or []
                                        if isinstance(c, dict) and "source" in c]
        sources = [s for s in cited if isinstance(s, str)]
    return questions, sources


class Assistant:
    """Answers questions about one index with cited sentences."""

    def __init__(self, settings: Settings, weights: Weights | None = None):
        self.settings = settings
        self.weights = weights or Weights()
        self.index = Index(settings.index, settings.embed_model, settings.chroma_url,
                           embed_backend=settings.embed_backend)

    @classmethod
    def open(cls, index: str | Path | None = None, **overrides) -> Assistant:
        """Open (or prepare to create) the index folder; nothing heavy loads yet."""
        if index is not None:
            overrides["index"] = str(index)
        return cls(load_settings(**{k: v for k, v in overrides.items() if v is not None}))

    @cached_property
    def retriever(self) -> HybridRetriever:
        self.index.check()
        return HybridRetriever(self.index)

    def ingest(self, paths: list[str | Path], progress=None, uploaded: bool = False) -> IngestReport:
        """Index files and folders incrementally (see index.Index.ingest); ``uploaded``: the
        files were uploaded, each replaces an earlier upload of its name."""
        return self.index.ingest(list(paths), progress=progress, uploaded=uploaded)

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

    @cached_property
    def llm(self):
        """The LLM client when ``llm_url`` is set (LLM mode), else None (extractive answers)."""
        if not self.settings.llm_url:
            return None
        from assistant.llm import LLMClient

        return LLMClient(self.settings.llm_url, self.settings.llm_model, self.settings.llm_api_key,
                         timeout=self.settings.llm_timeout)

    def ask(self, question: str, top_k: int | None = None,
            history: list | None = None) -> Answer:
        """Answer with the best-supported sentences (or, in LLM mode, a generated answer whose
        every sentence cites a retrieved passage); abstain when the documents do not say.
        ``history`` holds the conversation's earlier turns, for follow-ups: questions, or
        {"question", "sources"} objects (a follow-up then stays with the sources cited)."""
        for item in self.ask_stream(question, top_k, history):
            if isinstance(item, Answer):
                return item
        raise AssertionError("ask_stream ended without an answer")  # pragma: no cover

    def ask_stream(self, question: str, top_k: int | None = None,
                   history: list | None = None) -> Iterator[str | Answer]:
        """Like ``ask``, but yields the generated answer's text as it arrives (LLM mode), then
        the final Answer (its text may differ from the stream: markers are checked at the end)."""
        started = time.perf_counter()
        question = clean_question(question, self.settings.max_question_chars)
        self._require_index()
        warnings: list[str] = []
        questions, sources = split_history(history or [])
        resolved = self._resolve(question, questions, warnings)
        text = resolved.search_text
        vector = self.index.embedder.embed_query(text)
        # a follow-up stays with the documents the last answer cited
        prefer = sources if questions and is_follow_up(question) else None
        hits = self.retriever.search(text, top_k or self.settings.top_k, vector=vector,
                                     prefer=prefer, prefer_boost=self.weights.prefer)
        retrieved = time.perf_counter()
        idf = self.index.keyword.idf(terms(text))
        kind = resolved.kind or answer_kind(question)
        scored = evidence = score_sentences(text, vector, hits, idf, self.weights, kind=kind,
                                            focus=question)
        if text != question:  # a follow-up: the user's own words weigh most in picking sentences
            own = score_sentences(question, self.index.embedder.embed_query(question), hits,
                                  self.index.keyword.idf(terms(question)), self.weights,
                                  kind=kind, focus=question)
            scored = blend(scored, own, self.weights.own_words)
        if prefer:
            scored = favour(scored, set(prefer), self.weights.prefer)
        chosen = select(kind, scored, self.weights, self.index.docstore, evidence)
        timings = {"retrieve": (retrieved - started) * 1000}
        if chosen and self.llm is not None:
            try:
                answer = yield from self._generate(question, resolved, hits, scored, timings)
                answer.timings["total"] = (time.perf_counter() - started) * 1000
                answer.warnings = warnings + answer.warnings
                yield answer
                return
            except LLMError as exc:
                warnings.append(f"{exc}; showing the extractive answer instead")
        answer = self._extractive(question, chosen)
        done = time.perf_counter()
        timings.update(answer=(done - retrieved) * 1000, total=(done - started) * 1000)
        answer.timings, answer.warnings = timings, warnings
        if self.llm is not None:
            answer.mode = "extractive"
        yield answer

    def _resolve(self, question: str, history: list[str], warnings: list[str]) -> Resolved:
        """The question in the conversation's context: the LLM rewrites a follow-up when it
        can; the rules of conversation.resolve do otherwise."""
        rules = resolve(question, history)
        if self.llm is None or not history or not is_follow_up(question):
            return rules
        try:
            rewritten = " ".join(self.llm.complete("", generate.condense_prompt(question, history))
                                 .split())[:self.settings.max_question_chars]
        except LLMError as exc:
            warnings.append(f"{exc}; the follow-up was resolved without it")
            return rules
        return Resolved(question, rules.topic, rules.kind, standalone=rewritten)

    def _extractive(self, question: str, chosen) -> Answer:
        citations = [
            Citation(i, s.source, s.text, s.start, s.end, s.score, s.highlight,
                     page_of(self.index.docstore.pages(s.source), s.start))
            for i, s in enumerate(chosen, 1)
        ]
        text = (" ".join(f"{defuse(c.text)} [{c.id}]" for c in citations) if citations
                else NO_ANSWER)
        return Answer(question, text, citations, not citations)

    def _generate(self, question: str, resolved: Resolved, hits, scored, timings):
        """LLM mode: stream the reply, then check its markers and cite the passages they name."""
        started = time.perf_counter()
        hits = hits[:self.settings.llm_passages]
        ask_as = resolved.standalone or (f"{question} (earlier questions were about: "
                                         f"{resolved.topic})" if resolved.topic else question)
        system, user = generate.build_prompt(ask_as, hits)
        reply, shown = yield from generate.stream_reply(self.llm, system, user, len(hits))
        draft, support = generate.parse_reply(reply, hits, self.index.embedder.embed,
                                              self.index.keyword.idf, shown)
        timings["generate"] = (time.perf_counter() - started) * 1000
        if draft.abstained:
            return Answer(question, NO_ANSWER, [], True, timings, mode="llm")
        cited = generate.cite(draft, support, scored, self.weights, self.index.docstore)
        if not cited:
            raise LLMError("the LLM's answer cites none of the passages")
        citations = [Citation(n, s.source, s.text, s.start, s.end, s.score, s.highlight,
                              page_of(self.index.docstore.pages(s.source), s.start))
                     for n, s in cited]
        warnings = []
        if draft.moved:
            warnings.append("moved 1 citation to the passage that supports its sentence"
                            if draft.moved == 1 else f"moved {draft.moved} citations to the "
                            "passages that support their sentences")
        if draft.unsupported:
            warnings.append(("1 sentence of the answer matches" if draft.unsupported == 1 else
                             f"{draft.unsupported} sentences of the answer match")
                            + f" no passage: marked {generate.UNSUPPORTED}")
        return Answer(question, draft.text, citations, False, timings, mode="llm",
                      warnings=warnings)

    def chat(self, history: list[str] | None = None) -> Conversation:
        """A conversation: ``conv.ask(...)`` answers follow-up questions in context."""
        return Conversation(self, history)

    def as_retriever(self, top_k: int | None = None):
        """A llama-index BaseRetriever over this index (NodeWithScore results)."""
        from assistant.llama import CiteqaRetriever

        return CiteqaRetriever(self, top_k=top_k)
