"""citeqa eval on native JSONL and SQuAD JSON suites."""

import json

import pytest

from assistant.errors import CiteqaError
from evals.metrics import contains, normalize, token_f1
from evals.runner import run_suite
from evals.suites import SuiteFormatError, read_suite
from tests.conftest import ROOT


def test_metrics_follow_squad_normalization():
    assert normalize("The  10,000 Troops!") == "10000 troops"
    assert contains("They plan to deploy 10,000 soldiers.", ["10,000"])
    assert not contains("hundreds", ["10,000"])
    assert token_f1("the 10,000 troops", ["10,000 troops"]) == 1.0
    assert token_f1("nothing", ["10,000"]) == 0.0


def test_native_suite_scores_answers_and_abstentions(sample_qa, tmp_path):
    out = tmp_path / "out.json"
    assert run_suite(sample_qa, str(ROOT / "evals/suites/sample.jsonl"), out=str(out)) == 0
    result = json.loads(out.read_text())
    summary, cases = result["summary"], result["cases"]
    assert {"id", "question", "expected", "answer", "abstained", "citations",
            "latency_ms"} <= set(cases[0])
    assert summary["any_citation_contains"] >= 0.8
    assert summary["abstention"] >= 0.8
    assert summary["false_abstention"] <= 0.1


def test_squad_suite_ingests_its_contexts(tmp_path):
    from assistant import Assistant

    squad = {"data": [{"title": "Bees", "paragraphs": [{
        "context": "Honey bees visit about 5,000 flowers a day. They live in hives.",
        "qas": [{"id": "q1", "question": "How many flowers do bees visit a day?",
                 "answers": [{"text": "5,000", "answer_start": 23}]}]}]}]}
    path = tmp_path / "bees.json"
    path.write_text(json.dumps(squad))
    qa = Assistant.open(tmp_path / "ix")
    out = tmp_path / "out.json"
    assert run_suite(qa, str(path), out=str(out)) == 0
    result = json.loads(out.read_text())
    assert [d.source for d in qa.index.documents()] == ["Bees.txt"]
    assert result["cases"][0]["first_citation_contains"] is True
    assert result["summary"]["source_at_1"] == 1.0


@pytest.mark.parametrize("line, message", [
    ("{not json", "bad.jsonl:2: not JSON"),
    ('{"id": "x"}', "bad.jsonl:2: a case needs"),
    ('{"question": "q?"}', "bad.jsonl:2: an answerable case needs"),
])
def test_malformed_suite_names_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "ok?", "answers": ["x"]}\n' + line + "\n")
    with pytest.raises(SuiteFormatError, match=message):
        read_suite(path)
    with pytest.raises(CiteqaError, match=message):
        run_suite(None, str(path))
