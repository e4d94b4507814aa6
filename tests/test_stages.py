"""Each stage of the answer path on its own, and swapped into an Assistant (issue 15)."""

from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.stages.s2_retrieve import HybridRetriever
from assistant.stages.s3_rank import EvidenceRanker
from assistant.stages.s5_answer import NO_ANSWER, ExtractiveAnswerer
from assistant.types import Answer
from tests.conftest import ROOT, SAMPLE_DIR


@pytest.fixture(scope="module")
def two_docs(tmp_path_factory):
    qa = Assistant.open(tmp_path_factory.mktemp("stages") / "ix")
    qa.ingest([SAMPLE_DIR, ROOT / "tests" / "data"])
    return qa


def test_the_query_stage_reads_a_follow_up_in_its_context(two_docs):
    queries = two_docs.queries
    alone = queries.run("How much does Canada's plan cost?")
    assert alone.kind == "quantity" and not alone.expanded and alone.prefer is None
    follow = queries.run("How many personnel?", history=[
        {"question": "How much does Canada's plan cost?", "sources": ["mexico-border-troops.txt"]}])
    assert follow.expanded and "Canada" in follow.text and follow.question == "How many personnel?"
    assert follow.prefer == ["mexico-border-troops.txt"] and follow.own_vector is not None


def test_retriever_ranker_and_answerer_run_one_after_another(two_docs):
    query = two_docs.queries.run("How many troops?")
    hits = HybridRetriever(two_docs.index).search(query, 5)
    assert 0 < len(hits) <= 5 and hits[0].score >= hits[-1].score
    evidence = EvidenceRanker(two_docs.view).rank(query, hits)
    assert evidence.answers and evidence.ranked[0].score >= evidence.ranked[-1].score
    answer = next(iter(ExtractiveAnswerer(two_docs.view).answer(query, hits, evidence)))
    assert isinstance(answer, Answer) and answer.text.endswith(f"[{len(answer.citations)}]")
    off_topic = two_docs.queries.run("What is the boiling point of liquid nitrogen?")
    weak = EvidenceRanker(two_docs.view).rank(off_topic, HybridRetriever(two_docs.index)
                                              .search(off_topic, 10))
    assert not weak.answers
    assert next(iter(ExtractiveAnswerer(two_docs.view).answer(off_topic, [], weak))).text == NO_ANSWER


class OneSource:
    """A Retriever that keeps to one document: the kind of stage an app swaps in."""

    def __init__(self, inner, source: str):
        self.inner, self.source = inner, source

    def search(self, query, top_k):
        return [h for h in self.inner.search(query, 50) if h.chunk.source == self.source][:top_k]


def test_a_given_stage_replaces_the_built_in_one(two_docs):
    docs = [d.source for d in two_docs.documents()]
    other = next(d for d in docs if d != "mexico-border-troops.txt")
    qa = Assistant(two_docs.settings, index=two_docs.index,
                   retriever=OneSource(HybridRetriever(two_docs.index), other))
    answer = qa.ask("How many troops?")
    assert all(c.source == other for c in answer.citations)
    assert two_docs.ask("How many troops?").citations[0].source == "mexico-border-troops.txt"


def test_open_takes_a_stage_as_well_as_settings(two_docs):
    other = next(d.source for d in two_docs.documents() if d.source != "mexico-border-troops.txt")
    qa = Assistant.open(two_docs.settings.index, top_k=5,
                        retriever=OneSource(two_docs.retriever, other))
    assert qa.settings.top_k == 5
    assert all(c.source == other for c in qa.ask("How many troops?").citations)
