"""Answers on the sample article: the right sentences, exact offsets, abstention."""

import pytest

from assistant.errors import EmptyQuestionError
from tests.conftest import SAMPLE


def test_how_many_troops_cites_both_mexican_figures_not_canadas(sample_qa):
    answer = sample_qa.ask("How many troops?")
    assert not answer.abstained
    texts = [c.text for c in answer.citations]
    assert any("hundreds of soldiers" in t for t in texts)
    assert any("10,000 Mexican soldiers" in t for t in texts)
    assert not any("frontline personnel" in t for t in texts)
    highlights = [c.text[c.highlight[0]:c.highlight[1]] for c in answer.citations if c.highlight]
    assert "hundreds of soldiers" in highlights
    assert "10,000 Mexican soldiers" in highlights


def test_citation_text_is_the_document_text_at_its_offsets(sample_qa):
    document = SAMPLE.read_text(encoding="utf-8")
    for question in ["How many troops?", "How much does Canada's plan cost?",
                     "Why does Mexico rely on the military to police the border?"]:
        answer = sample_qa.ask(question)
        assert answer.citations
        for c in answer.citations:
            assert c.source == "mexico-border-troops.txt"
            assert document[c.start:c.end] == c.text


@pytest.mark.parametrize("question, expected", [
    ("How much does Canada's plan cost?", "$1.3 billion"),
    ("Who is the Mexico-based security analyst?", "Jonathan Maza"),
    ("When did Mexico send soldiers to the border?", "Tuesday"),
    ("Which border states will the troops be posted to?", "Baja California"),
    ("Why does Mexico rely on the military to police the border?", "barred from carrying guns"),
])
def test_sample_questions(sample_qa, question, expected):
    answer = sample_qa.ask(question)
    assert expected in answer.citations[0].text
    assert f"[{answer.citations[0].id}]" in answer.text


@pytest.mark.parametrize("question", [
    "What is the population of Mexico City?",
    "What is the capital of France?",
    "How do I bake sourdough bread?",
])
def test_unanswerable_questions_abstain(sample_qa, question):
    answer = sample_qa.ask(question)
    assert answer.abstained
    assert answer.citations == []
    assert "do not answer" in answer.text


@pytest.mark.parametrize("question", ["", "   ", "\x00\x01", "?!"])
def test_empty_questions_are_refused(sample_qa, question):
    with pytest.raises(EmptyQuestionError):
        sample_qa.ask(question)


def test_overlong_question_is_refused(sample_qa):
    with pytest.raises(EmptyQuestionError, match="limit"):
        sample_qa.ask("troops " * 20000)


def test_retrieve_and_llama_index_retriever(sample_qa):
    from llama_index.core.schema import NodeWithScore

    passages = sample_qa.retrieve("troops", top_k=2)
    assert 1 <= len(passages) <= 2
    document = SAMPLE.read_text(encoding="utf-8")
    assert all(document[p.start:p.end] == p.text for p in passages)
    nodes = sample_qa.as_retriever(top_k=2).retrieve("How many troops?")
    assert nodes and all(isinstance(n, NodeWithScore) for n in nodes)
    assert nodes[0].node.metadata["source"] == "mexico-border-troops.txt"


@pytest.mark.parametrize("sentence, phrase", [
    ("It has already claimed hundreds of thousands of lives.", "hundreds of thousands"),
    ("Mexico sent hundreds of soldiers.", "hundreds of soldiers"),
    ("Exports fell 10 percent of their value.", "10 percent"),
])
def test_an_amount_phrase_does_not_end_on_of(sentence, phrase):
    from assistant.text.answer_kinds import QUANTITY

    assert QUANTITY.search(sentence).group() == phrase
