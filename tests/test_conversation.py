"""Follow-up questions without an LLM: resolved against the conversation's topic."""

import copy

import pytest

from assistant.stages.followups import is_follow_up, resolve


@pytest.mark.parametrize("question, follow_up", [
    ("How many personnel?", True),
    ("And in Canada?", True),
    ("Where is he based?", True),
    ("What about the tariffs?", True),
    ("Who said so?", True),
    ("What is the capital of France?", False),
    ("How much does Canada's plan cost?", False),
])
def test_follow_up_detection(question, follow_up):
    assert is_follow_up(question) is follow_up


def test_resolve_borrows_topic_and_kind():
    r = resolve("How many personnel?", ["How much does Canada's plan cost?"])
    assert r.topic == "Canada plan cost" and r.kind == "quantity"
    assert r.search_text == "How many personnel? Canada plan cost"
    assert resolve("And in Canada?", ["How many troops?"]).kind == "quantity"
    # a name of its own replaces the names the topic held
    assert resolve("And Canada?", ["How many soldiers did Mexico send?"]).topic == "soldiers send"
    # the attribute asked before ("size of …") is not the topic
    assert resolve("How many nucleotides does it contain?",
                   ["What is the size of bovine coronavirus?"]).topic == "bovine coronavirus"
    # the first question and standalone ones borrow nothing
    assert resolve("How many troops?", []).topic == ""
    assert resolve("What is the capital of France?", ["How many troops?"]).topic == ""
    # a chain keeps the topic alive
    assert "Canada" in resolve("Who announced it?", ["How much is Canada's plan?",
                                                     "How many personnel?"]).topic


def test_conversation_answers_follow_ups(sample_qa):
    conv = sample_qa.chat()
    first = conv.ask("How much does Canada's plan cost?")
    assert "$1.3 billion" in first.citations[0].text
    second = conv.ask("How many personnel?")
    c = second.citations[0]
    assert c.text[c.highlight[0]:c.highlight[1]] == "Nearly 10,000 frontline personnel"
    assert second.question == "How many personnel?"
    assert conv.history == ["How much does Canada's plan cost?", "How many personnel?"]
    # asked on its own, the question is answered too: the personnel sentence is there
    alone = sample_qa.ask("How many personnel?")
    assert not alone.abstained
    assert "Nearly 10,000 frontline personnel" in alone.short


def test_history_argument_equals_conversation(sample_qa):
    via_history = sample_qa.ask("How many?", history=["When did Mexico send soldiers to the border?"])
    assert "hundreds of soldiers" in via_history.citations[0].text


def test_conversation_copies_share_the_assistant(sample_qa):
    conv = sample_qa.chat(["How many troops?"])
    clone = copy.deepcopy(conv)
    assert clone.assistant is sample_qa and clone.history == conv.history
    clone.turns.append("x")
    assert conv.history == ["How many troops?"]


@pytest.mark.parametrize("rewrite, usable", [
    ("How many personnel does Canada's plan add?", True),
    ("How many personnel?", False),  # adds nothing: the rules add the topic
    ("In Canada, the answer is 12.", False),  # an answer, not a question
    ("Canada's plan is a complex and multifaceted issue?", False),  # drops "personnel"
    ("How many personnel does the Canadian Labour Party employ?", False),  # a topic made up
    ("How much does Canada's plan cost?\n\nThe answer is: How many personnel?", False),
])
def test_an_llm_rewrite_stands_in_only_when_it_is_the_follow_up_in_context(rewrite, usable):
    from assistant.stages.followups import usable_rewrite

    assert usable_rewrite(rewrite, "How many personnel?",
                          ["How much does Canada's plan cost?"]) is usable
