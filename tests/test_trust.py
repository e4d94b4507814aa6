"""Answers people can trust: document structure (headings, bylines, list items, tables, credits,
references), names the question uses, short answers and the fitted "not in the documents"."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant import Assistant
from assistant.models.abstention import FEATURES, MODEL_FILE, TOPIC_FEATURES, AbstentionModel, load_model
from assistant.stages.s5_answer import short_answer
from assistant.text.entities import mentioned, question_entities, words_of
from assistant.text.sentence_forms import (
    BYLINE,
    CREDIT,
    HEADING,
    ITEM,
    REFERENCE,
    SENTENCE,
    sentence_form,
)
from assistant.types import Citation
from index.loaders import load

BAKERY = """---
title: Crumb and Kettle
author: Nadia Ferreira
---

# Crumb and Kettle

A small family bakery on Harbour Lane in Portlow. It opened its doors in 2011 and bakes about
900 cinnamon buns every week.

## Opening hours

- Monday: closed
- Saturday: 7 am to 2 pm
- Sunday: 8 am to 12 noon

## Prices

| Item | Price |
| --- | --- |
| Butter croissant | £1.95 |
| Seeded rye | £5.20 |

## Who we are

The bakery is owned by Nadia Ferreira, who took it over from her uncle in 2019.

## References

1. Portlow Chamber of Commerce. Guide to local businesses. Portlow Press, 2020.
"""

NEWS = """Harbour pilots vote to strike at Velsmouth

By Helena Marsh, Coastal Courier

Photo: Lena Vogt / Coastal Courier

VELSMOUTH, 3 May 2024 — Harbour pilots at the Port of Velsmouth voted on Friday to strike for
two days next week, after talks over a new shift pattern broke down.

The union said 212 of its 240 members had voted, and 190 of them had backed the strike.
"""

LIGHTHOUSE = """The Skerrow Point lighthouse

The lighthouse at Skerrow Point was built in 1871. A spiral stair of 112 steps leads from the
door to the lamp room, and the keeper climbed it four times a night.
"""


@pytest.fixture(scope="module")
def trust_qa(tmp_path_factory) -> Assistant:
    docs = tmp_path_factory.mktemp("trust-docs")
    (docs / "bakery.md").write_text(BAKERY, encoding="utf-8")
    (docs / "pilots.txt").write_text(NEWS, encoding="utf-8")
    (docs / "lighthouse.txt").write_text(LIGHTHOUSE, encoding="utf-8")
    qa = Assistant.open(tmp_path_factory.mktemp("trust-index") / "index")
    report = qa.ingest([docs])
    assert not report.errors
    return qa


# -- sentence forms ------------------------------------------------------------------------------
@pytest.mark.parametrize("text, form", [
    ("By Helena Marsh, Coastal Courier", BYLINE),
    ("A short story by Mara Delacourt", BYLINE),
    ("# Opening hours", HEADING),
    ("Harbour pilots vote to strike at Velsmouth", HEADING),
    ("- Saturday: 7 am to 2 pm", ITEM),
    ("Saturday: 7 am to 2 pm", ITEM),
    ("| Butter croissant | £1.95 |", ITEM),
    ("Photo: Lena Vogt / Coastal Courier", CREDIT),
    ("Figure 2. Map of the cases by district", CREDIT),
    ("Hamilton, W. L. Graph representation learning. Morgan 2020.", REFERENCE),
    ("Nature 2019;12:34-56.", REFERENCE),
    ("CONCLUSION: These results suggest that the receptor plays a crucial role in transmission.",
     SENTENCE),
    ("Figure 1 shows that cases rose in March.", SENTENCE),
    ("Smith et al. (2019) showed that the virus spreads in winter.", SENTENCE),
])
def test_sentence_forms(text, form):
    assert sentence_form(text) == form


def test_everything_under_a_references_heading_is_a_reference():
    assert sentence_form("Portlow Chamber of Commerce.", heading="References") == REFERENCE
    assert sentence_form("Portlow Chamber of Commerce.", heading="Who we are") == SENTENCE


# -- names the question uses ---------------------------------------------------------------------
def test_question_entities_are_names_and_numbers_not_question_words():
    assert question_entities("Who is the union's regional secretary?") == []
    assert question_entities("How many dockworkers walked out at Velsmouth?") == ["velsmouth"]
    assert question_entities("What did Canada’s plan cost in 2024?") == ["canada", "2024"]
    assert question_entities("Describe the COVID-19 response") == ["covid-19"]


@pytest.mark.parametrize("entity, passage, share", [
    ("Canadian", "Canada's plan costs $1.3 billion.", 1.0),
    ("Trump’s", "Donald Trump's threat of tariffs", 1.0),
    ("MERS", "the MERS-CoV outbreak", 1.0),
    ("CEAMCAM1", "CEACAM1 has four domains", 1.0),  # a typing slip
    ("Brennford", "the Port of Velsmouth", 0.0),
    ("1,300", "more than 1300 dockworkers", 1.0),
    ("1,300", "more than 1,800 dockworkers", 0.0),
    ("the United States", "the first U.S. case", 1.0),  # a run of names answers to its initials
    ("the United States", "the first US case", 1.0),
    ("the United States", "the first case in Ohio", 0.0),
    ("RFC", "the format is documented in RFC8878", 1.0),  # a name with its number written on
    ("RFC", "the format is documented in a standard", 0.0),
    # a name from code is itself only: one prefix or one letter apart names another thing
    ("CURLE_COULDNT_RESOLVE_HOST", "CURLE_OK (0) All fine.", 0.0),
    ("CURLE_COULDNT_RESOLVE_HOST", "CURLE_COULDNT_RESOLVE_PROXY (5)", 0.0),
    ("CURLE_COULDNT_RESOLVE_HOST", "CURLE_COULDNT_RESOLVE_HOST (6) Could not resolve host.", 1.0),
])
def test_mentions_match_forms_of_a_name(entity, passage, share):
    entities = question_entities(f"What about {entity}?")
    assert entities
    assert mentioned(entities, words_of(passage)) == share


# -- structure in answers ------------------------------------------------------------------------
def test_a_list_item_answers_and_headings_are_never_answer_text(trust_qa):
    answer = trust_qa.ask("When does the bakery open on Saturday?")
    assert not answer.abstained
    assert "Saturday: 7 am to 2 pm" in answer.citations[0].text
    for c in answer.citations:
        assert not c.text.lstrip().startswith("#")
        assert "Opening hours" not in c.text


def test_a_table_row_answers(trust_qa):
    answer = trust_qa.ask("What is the price of a butter croissant?")
    assert "£1.95" in answer.citations[0].text


def test_who_wrote_it_is_answered_from_the_byline(trust_qa):
    answer = trust_qa.ask("Who wrote the article about the harbour pilots?")
    assert not answer.abstained
    first = answer.citations[0]
    assert first.text.startswith("By Helena Marsh")
    assert first.text[first.highlight[0]:first.highlight[1]] == "Helena Marsh"
    assert answer.short == "Helena Marsh [1]"


def test_credits_bylines_and_references_do_not_answer_content_questions(trust_qa):
    for question in ("How many pilots voted for the strike?", "Who owns the bakery?",
                     "When did the bakery open?"):
        answer = trust_qa.ask(question)
        for c in answer.citations:
            form = sentence_form(c.text)
            assert form in (SENTENCE, ITEM), (question, c.text)


def test_an_answer_never_repeats_a_sentence(trust_qa):
    for question in ("Who owns the bakery?", "How many steps are there?",
                     "How many pilots voted for the strike?"):
        answer = trust_qa.ask(question)
        spans = [(c.source, c.start, c.end) for c in answer.citations]
        for i, (s, a, b) in enumerate(spans):
            for s2, a2, b2 in spans[i + 1:]:
                assert s != s2 or b <= a2 or b2 <= a, (question, spans)


def test_a_question_about_one_document_cites_only_it(trust_qa):
    answer = trust_qa.ask("How many steps does the Skerrow Point lighthouse have?")
    assert answer.citations and {c.source for c in answer.citations} == {"lighthouse.txt"}
    assert "112 steps" in answer.short


def test_html_title_author_list_items_and_table_rows_are_kept(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Crumb &amp; Kettle</title><meta name='author' content='Nadia "
        "Ferreira'></head><body><p>A bakery in Portlow.</p><ul><li>Saturday: 7 am to 2 pm</li>"
        "<li>Sunday: closed</li></ul><table><tr><td>Butter croissant</td><td>£1.95</td></tr>"
        "</table></body></html>", encoding="utf-8")
    text = load(page).text
    lines = [line for line in text.split("\n") if line]
    assert lines[:2] == ["Crumb & Kettle", "By Nadia Ferreira"]
    assert "- Saturday: 7 am to 2 pm" in lines
    assert any(line.startswith("| Butter croissant | £1.95") for line in lines)


# -- short answers -------------------------------------------------------------------------------
def test_short_answer_joins_the_phrases_with_their_markers():
    cites = [Citation(1, "a", "Mexico sent hundreds of soldiers.", 0, 33, 1.0, (12, 32)),
             Citation(2, "a", "It plans 10,000 Mexican soldiers.", 40, 73, 0.9, (9, 32)),
             Citation(3, "a", "No phrase here.", 80, 95, 0.8, None)]
    assert short_answer("quantity", cites) == "hundreds of soldiers [1] · 10,000 Mexican soldiers [2]"
    assert short_answer("reason", cites) is None  # "because" is no answer on its own
    assert short_answer(None, cites) is None


def test_how_many_troops_begins_with_its_short_answer(sample_qa):
    answer = sample_qa.ask("How many troops?")
    assert answer.short.startswith("hundreds of soldiers [1] · 10,000 Mexican soldiers [2]")
    assert answer.text.startswith(answer.short)
    assert answer.body and not answer.body.startswith(answer.short)
    assert sample_qa.ask("Why does Mexico rely on the military to police the border?").short is None


# -- the fitted abstention model -----------------------------------------------------------------
def test_the_shipped_model_is_plain_coefficients_for_every_feature():
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert data["presence"]["features"] == list(FEATURES)
    assert data["topic"]["features"] == list(TOPIC_FEATURES)
    for part in ("topic", "presence"):
        assert len(data[part]["coef"]) == len(data[part]["features"]) == len(data[part]["mean"])
        assert all(s > 0 for s in data[part]["scale"])
    assert 0 < data["threshold"] < 1 and data["false_abstention_target"] <= 0.05
    model = load_model()
    assert 0.0 <= model.confidence({}) <= 1.0


def test_confidence_rises_with_the_evidence():
    model = load_model()
    weak = dict.fromkeys(FEATURES, 0.0)
    strong = {**weak, "dense": 0.8, "dense_near": 0.8, "coverage": 1.0, "coverage_near": 1.0,
              "coverage_top": 1.0, "rarest_found": 1.0, "asked_near": 1.0, "asked_doc": 1.0,
              "grounded": 1.0, "grounded_top": 1.0, "grounded_near": 1.0, "score": 2.0,
              "pairs": 1.0, "asked_best": 1.0}
    assert model.confidence(strong) > model.confidence(weak)
    assert model.answers(model.confidence(strong)) and not model.answers(model.confidence(weak))


def test_confidence_is_in_every_answer_and_low_when_abstaining(sample_qa):
    answered = sample_qa.ask("How much does Canada's plan cost?")
    refused = sample_qa.ask("What is the capital of France?")
    assert refused.abstained and not answered.abstained
    assert 0 <= refused.confidence < answered.confidence <= 1


def test_threshold_is_chosen_for_the_stated_false_abstention_rate():
    from assistant.models.fitting.abstention import choose_threshold, rates

    rng = np.random.default_rng(3)
    covid, trust = rng.uniform(0, 1, 400), rng.uniform(0.2, 1, 100)
    t = choose_threshold([covid, trust], 0.02)
    assert (covid < t).mean() <= 0.02 and (trust < t).mean() <= 0.02
    labels = np.array([1] * 400 + [0] * 100)
    conf = np.concatenate([covid, rng.uniform(0, 0.1, 100)])
    fa, ab = rates(conf, labels, t)
    assert fa <= 0.02 and ab > 0


def test_fit_part_stores_what_the_runtime_reads():
    from assistant.models.fitting.abstention import Example, fit_part

    rng = np.random.default_rng(5)
    examples = [Example("q", True, "trust", "fit", "written",
                        {"dense": float(d)}) for d in rng.uniform(0.5, 1, 60)]
    examples += [Example("q", False, "trust", "fit", "cross",
                         {"dense": float(d)}) for d in rng.uniform(0, 0.5, 60)]
    part = fit_part(examples, ("dense",))
    model = AbstentionModel.from_dict({"topic": part, "presence": part, "threshold": 0.25})
    assert model.confidence({"dense": 0.9}) > 0.5 > model.confidence({"dense": 0.1})


def test_a_name_bar_date_line_is_a_byline_and_answers_who_wrote_it(sample_qa):
    assert sentence_form("Jeff Charles \xa0|\xa0 February 05, 2025 1:45 PM") == BYLINE
    answer = sample_qa.ask("Who wrote the article?")
    assert answer.short == "Jeff Charles [1]"


def test_a_byline_never_answers_for_another_document(trust_qa):
    answer = trust_qa.ask("Who wrote the piece about the Skerrow Point lighthouse?")
    assert not any("Helena Marsh" in c.text for c in answer.citations)
