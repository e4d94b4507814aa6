"""The reading stage (assistant/stages/s4_read.py) and its model (assistant/models/reader.py):
the real fine-tuned MiniLM cross-encoder, its weights checked by hash, its calibration."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys

import pytest

from assistant import Assistant
from assistant.errors import BadInputError
from assistant.models.reader import (
    CALIBRATION_FILE,
    CONTEXT_CHARS,
    WEIGHTS_FILE,
    ReaderModel,
    load_calibration,
    reader_input,
)
from assistant.stages.s4_read import (
    ModelReader,
    NoReader,
    candidates,
    make_reader,
    passage,
    read_under,
)
from index.errors import ModelError
from tests.conftest import ROOT, SAMPLE_DIR


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    qa = Assistant.open(tmp_path_factory.mktemp("reader") / "ix")
    qa.ingest([SAMPLE_DIR])
    return qa


def test_the_passage_puts_the_sentence_first_and_cuts_the_context_at_a_word():
    before = "word " * 200
    text = reader_input("The lake is 40 m deep.", "Lake Hemmel", before)
    sentence, context = text.split(" [SEP] ")
    assert sentence == "The lake is 40 m deep."
    assert context.startswith("Lake Hemmel: … word")
    assert len(context) <= len("Lake Hemmel: … ") + CONTEXT_CHARS
    assert reader_input("A\nwrapped  line.", "", "") == "A wrapped line."


def test_a_candidate_is_read_under_its_section_or_title_never_under_a_byline(tmp_path):
    """A story's byline ("A story by …", a short line under the title) is no section heading:
    its sentences are read under the title, without markdown's "# " mark; a real section
    heading stays theirs."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "story.md").write_text(
        "# The Heron Who Counted Stones\n\nA story by Isolde Varkaney\n\n"
        "There lived a grey heron named Maro, who fished by the pond.\n\n"
        "## Winter\n\nThe pond froze over in the first week of December.\n")
    qa = Assistant.open(tmp_path / "ix")
    qa.ingest([docs])
    query = qa.queries.run("When did the pond freeze, and what is the heron called?")
    ranked = {s.text: s for s in qa.ranker.rank(query, qa.retriever.search(query, 8)).ranked}
    heron = next(s for t, s in ranked.items() if t.startswith("There lived"))
    frozen = next(s for t, s in ranked.items() if t.startswith("The pond froze"))
    assert read_under(qa.view, heron) == "The Heron Who Counted Stones"
    assert read_under(qa.view, frozen) == "Winter"


def test_calibration_maps_logits_to_rising_probabilities_and_was_checked():
    calibration = load_calibration()
    probs = [calibration.probability(x) for x in (-10.0, -1.0, 0.0, 1.0, 10.0)]
    assert probs == sorted(probs) and 0.0 <= probs[0] < probs[-1] <= 1.0
    assert 0.0 < calibration.threshold < 1.0
    numbers = json.loads(CALIBRATION_FILE.read_text())["calibration_split"]
    # the fit was checked on the SQuAD article it did not train on: issue 24 asks ECE <= 0.05
    # there; these weights measure 0.066 (a regression guard at 0.08 until a refit reaches it)
    squad = numbers["squad"]
    assert squad["questions"] >= 300 and squad["ece"] <= 0.08, squad
    assert squad["false_abstention"] <= 0.05 and squad["abstention"] > 0.3, squad
    assert squad["gold_in_first"] >= squad["gold_in_first_before"], squad


def test_weights_that_do_not_match_their_hash_are_refused_in_one_line(tmp_path):
    weights = tmp_path / WEIGHTS_FILE.name
    shutil.copy(WEIGHTS_FILE, weights)
    with weights.open("r+b") as f:  # one byte of a tensor changed, the header intact
        f.seek(-1, 2)
        last = f.read(1)
        f.seek(-1, 2)
        f.write(bytes([last[0] ^ 1]))
    model = ReaderModel(weights, CALIBRATION_FILE)
    with pytest.raises(ModelError, match="do not match their hash") as err:
        model.logits("How deep is the lake?", ["The lake is 40 m deep."])
    assert "\n" not in str(err.value) and "make fit-reader" in str(err.value)
    with pytest.raises(ModelError, match="missing"):
        ReaderModel(tmp_path / "gone.safetensors", CALIBRATION_FILE).logits("q", ["p"])


def test_a_graph_that_does_not_load_is_refused_in_one_line(tmp_path):
    broken = tmp_path / WEIGHTS_FILE.name
    broken.write_bytes(WEIGHTS_FILE.read_bytes()[:4096])  # a cut copy: its hash not checked
    with pytest.raises(ModelError, match="do not load") as err:
        ReaderModel(broken, CALIBRATION_FILE, verify=False).logits("q", ["p"])
    assert "\n" not in str(err.value) and "make fit-reader" in str(err.value)


def test_a_question_longer_than_the_model_reads_is_cut_too():
    """The passage is cut first; a question that alone fills the model's 128 tokens is cut as
    well rather than failing (the tokenizer refuses to cut only the passage then)."""
    model = ReaderModel()
    long_question = "Which of the rules about lakes and rivers " * 40 + "says how deep it is?"
    logits = model.logits(long_question, ["The lake is 40 m deep.", "A footpath runs around."])
    assert logits.shape == (2,) and all(math.isfinite(x) for x in logits)


def test_the_export_computes_what_the_trained_model_computes(tmp_path):
    """fitting.reader's export: the torch model (here the untrained head) as an fp16-stored graph
    whose logits, on padded batches, are the torch model's own to 1e-4."""
    import torch

    from assistant.models.fitting.reader import export
    from assistant.models.reader import load_base

    tokenizer, model = load_base()
    graph = tmp_path / WEIGHTS_FILE.name
    export(model, graph)
    question = "How deep is Lake Hemmel?"
    passages = ["Lake Hemmel is 42 metres deep.", "It lies in a valley. " * 30]
    with torch.inference_mode():
        expected = model(**tokenizer([question] * 2, passages, truncation="only_second",
                                     max_length=128, padding=True, return_tensors="pt")
                         ).logits[:, 0].numpy()
    got = ReaderModel(graph, verify=False).logits(question, passages)
    assert abs(got - expected).max() < 1e-4, (got, expected)
    stored = sum(p.numel() for name, p in model.named_parameters()
                 if "word_embeddings" not in name)
    assert graph.stat().st_size < 2.2 * stored  # 2 bytes a weight (fp32 would be 4)


def test_reading_imports_no_torch():
    """The reader runs on ONNX Runtime: a process that answers with it never loads torch (the
    import alone costs seconds on a cold start)."""
    code = ("import sys; from assistant.models.reader import ReaderModel; "
            "print(ReaderModel().logits('How deep?', ['It is 40 m deep.'])[0]); "
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    logit, torch_loaded = done.stdout.split()
    assert math.isfinite(float(logit)) and torch_loaded == "False"


def test_an_unknown_reader_is_a_clear_error(sample):
    with pytest.raises(BadInputError, match="unknown reader 'bert'.*none, minilm, judge"):
        make_reader("bert", sample.view)
    assert isinstance(make_reader("minilm", sample.view), ModelReader)
    assert isinstance(make_reader(None, sample.view), NoReader)  # the default, until it earns it


def test_the_model_reads_the_answering_sentence_above_a_near_miss():
    model = ReaderModel()
    logits = model.logits("How deep is Lake Hemmel?", [
        reader_input("Lake Hemmel lies in a wooded valley and is popular with anglers.",
                     "Lake Hemmel", ""),
        reader_input("Lake Hemmel is 42 metres deep at its deepest point.", "Lake Hemmel", ""),
    ])
    assert logits[1] > logits[0]
    calibration = model.calibration
    assert calibration.probability(float(logits[1])) > calibration.probability(float(logits[0]))


def test_the_reader_reorders_the_candidates_and_sets_the_confidence(sample):
    """The stage's mechanics with the real model: the candidates in the order of their scores
    (logit and ranking prior), none lost, the confidence the first one's probability."""
    reader = ModelReader(sample.view)
    query = sample.queries.run("What tariff rate was threatened?")
    hits = sample.retriever.search(query, sample.settings.top_k)
    ranked = sample.ranker.rank(query, hits)
    read = reader.read(query, hits, ranked)
    assert {s.text for s in read.ranked} == {s.text for s in ranked.ranked}  # reordered, not lost
    before = candidates(ranked.ranked)
    calibration = reader.model.calibration
    scores = calibration.scores(reader.model.logits(query.text,
                                                    [passage(sample.view, s) for s in before]))
    expected = [before[i].text for i in sorted(range(len(before)), key=lambda i: -scores[i])]
    assert [s.text for s in read.ranked[:len(before)]] == expected
    assert read.confidence == pytest.approx(calibration.probability(float(max(scores))))
    assert read.confidence == pytest.approx(read.ranked[0].score)
    assert read.answers == (read.confidence >= calibration.threshold)  # no byline question
    assert NoReader().read(query, hits, ranked) is ranked


def test_reader_none_keeps_the_ranking_and_its_confidence(sample):
    fast = Assistant(sample.settings.model_copy(update={"reader": "none"}), index=sample.index)
    query = fast.queries.run("How many troops?")
    hits = fast.retriever.search(query, fast.settings.top_k)
    evidence = fast.ranker.rank(query, hits)
    answer = fast.ask("How many troops?")
    assert answer.confidence == pytest.approx(evidence.confidence)
    assert [c.text for c in answer.citations] == [s.text for s in evidence.chosen]


LAKE = ("Lake Hemmel\n\nLake Hemmel lies in a wooded valley north of the town of Brask. It is "
        "fed by three mountain streams and drains into the river Oss. Anglers fish it for trout "
        "from May to September. The lake was named after a local landowner, Pieter Hemmel, in "
        "1791. A footpath of 9 kilometres runs around its shore.\n")


def lake_assistant(tmp_path_factory, reader: str) -> Assistant:
    """An index of the lake note alone, answered with ``reader``."""
    root = tmp_path_factory.mktemp(f"lake-{reader}")
    (root / "docs").mkdir()
    (root / "docs" / "lake.txt").write_text(LAKE)
    qa = Assistant.open(root / "ix", reader=reader)
    qa.ingest([root / "docs"])
    return qa


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    return lake_assistant(tmp_path_factory, "minilm")


def test_the_reader_cites_the_answering_sentence_and_doubts_the_near_miss(lake):
    """The reader picks the sentence that answers (the ranking alone cites the lake's first
    sentence here) and is less sure of a question the document nearly answers."""
    answered = lake.ask("How long is the footpath around Lake Hemmel?")
    assert not answered.abstained and "9 kilometres" in answered.citations[0].text
    near_miss = lake.ask("How deep is Lake Hemmel?")
    assert near_miss.confidence < answered.confidence / 2


@pytest.mark.xfail(strict=True, reason="issue 24, open: the reader does not yet refuse a "
                   "near-miss it shares every word with (confidence 0.23, threshold 0.18)")
def test_the_reader_refuses_a_near_miss(lake):
    assert lake.ask("How deep is Lake Hemmel?").abstained


def test_the_reader_switch_is_in_help_and_the_environment(capsys, monkeypatch):
    from assistant.errors import CiteqaError
    from assistant.faces.cli import main
    from assistant.settings import load_settings

    with pytest.raises(SystemExit):
        main(["ask", "--help"])
    assert "--reader {none,minilm,judge}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:
        main(["ask", "How many troops?", "--reader", "bert"])
    assert usage.value.code == 2
    monkeypatch.setenv("CITEQA_READER", "none")
    assert load_settings().reader == "none"
    monkeypatch.setenv("CITEQA_READER", "bert")
    with pytest.raises(CiteqaError, match="CITEQA_READER='bert'"):
        load_settings()


def test_the_judge_reads_yes_and_no_from_the_first_token():
    from assistant.models.judge import JudgeFit, yes_share

    top = [{"token": "No", "logprob": math.log(0.6)}, {"token": "Yes", "logprob": math.log(0.2)},
           {"token": "To", "logprob": math.log(0.1)}]
    assert yes_share(top) == pytest.approx(0.25)
    assert yes_share([{"token": " yes", "logprob": 0.0}]) == 1.0
    assert yes_share([{"token": "Maybe", "logprob": 0.0}]) == 0.5
    fit = JudgeFit(w_reader=0.7, w_judge=1.4, bias=-0.4, threshold=0.25, scale=1.1, shift=-0.8)
    assert fit.decision(0.5, 0.9) > fit.decision(0.5, 0.5) > fit.decision(0.5, 0.1)
    assert fit.decision(0.9, 0.5) > fit.decision(0.1, 0.5)
    z = fit.decision(0.5, 0.5)  # -0.4: sigmoid 0.40, answered at threshold 0.25
    assert fit.answers(z) and not fit.answers(fit.decision(0.1, 0.1))
    assert fit.confidence(z) == pytest.approx(1 / (1 + math.exp(-(1.1 * z - 0.8))))


@pytest.fixture(scope="module")
def judged_lake(tmp_path_factory):
    """The lake note with --reader judge: the real 1.5B model on its own llama.cpp server."""
    return lake_assistant(tmp_path_factory, "judge")


def test_the_judge_refuses_the_near_miss_and_answers_its_twin(judged_lake):
    """What the MiniLM reader alone cannot do (the xfail above): the judge reads that the lake
    sentence does not give its depth."""
    answered = judged_lake.ask("How long is the footpath around Lake Hemmel?")
    assert not answered.abstained and "9 kilometres" in answered.citations[0].text
    named = judged_lake.ask("When was Lake Hemmel named?")
    assert not named.abstained and "1791" in named.citations[0].text
    refused = judged_lake.ask("How deep is Lake Hemmel?")
    assert refused.abstained and not refused.citations
    assert refused.confidence < min(answered.confidence, named.confidence)


def test_the_reader_leads_the_citations_and_the_ranking_fills_them(sample):
    """The reader's first candidate is cited first; the further sentences the ranking would cite
    beside its best follow (the reader's probabilities alone would keep only one)."""
    query = sample.queries.run("How many troops?")
    hits = sample.retriever.search(query, sample.settings.top_k)
    ranked = sample.ranker.rank(query, hits)
    read = ModelReader(sample.view).read(query, hits, ranked)
    assert read.chosen[0].text == candidates(read.ranked, 1)[0].text
    cited = " ".join(c.text for c in read.chosen)
    for sentence in ranked.chosen:  # what the ranking alone cites is still cited
        assert sentence.text in cited
    assert len(read.chosen) > 1
