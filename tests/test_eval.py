"""citeqa eval on native JSONL and SQuAD JSON suites."""

import json
from pathlib import Path

import pytest

from assistant.errors import CiteqaError
from evals.metrics import contains, normalize, token_f1
from evals.runner import run_suite
from evals.suite_files import SuiteFormatError, read_suite
from tests.conftest import ROOT


def test_metrics_follow_squad_normalization():
    assert normalize("The  10,000 Troops!") == "10000 troops"
    assert contains("They plan to deploy 10,000 soldiers.", ["10,000"])
    assert not contains("hundreds", ["10,000"])
    assert token_f1("the 10,000 troops", ["10,000 troops"]) == 1.0
    assert token_f1("nothing", ["10,000"]) == 0.0
    # a gold answer of punctuation alone is compared as written (normalization would empty it)
    assert contains("Sets the escape character (default: \u2018~\u2019).", ["~"])
    assert not contains("Sets the escape character.", ["~"])


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


def test_csv_suite(tmp_path):
    path = tmp_path / "qs.csv"
    path.write_text('question,answer,source\n"How many troops?","10,000|ten thousand",a.txt\n'
                    "\nWho won the 1962 World Cup?,,\n")
    suite = read_suite(path)
    first, second = (c.turns[0] for c in suite.cases)
    assert suite.name == "qs" and len(suite.cases) == 2
    assert first.answers == ["10,000", "ten thousand"] and first.source == "a.txt"
    assert second.answerable is False and second.source is None


def test_csv_suite_quotes_answers_with_commas(tmp_path):
    path = tmp_path / "qs.csv"
    path.write_text('question,answer\nHow many troops?,"10,000"\n')
    assert read_suite(path).cases[0].turns[0].answers == ["10,000"]


@pytest.mark.parametrize("text, message", [
    ("q,a\nx,y\n", "bad.csv:1: the header must be"),
    ("question,answer\nok?,yes\n,no\n", "bad.csv:3: a case needs"),
    ("question,answer\nok?,yes\nq?,a,extra\n", "bad.csv:3: 3 fields"),
])
def test_malformed_csv_names_file_and_line(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(SuiteFormatError, match=message):
        read_suite(path)


def test_malformed_json_names_file_and_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"data": [\n  {"paragraphs": }\n]}')
    with pytest.raises(SuiteFormatError, match="bad.json:2: not JSON"):
        read_suite(path)
    path.write_text('{"examples": [{"query": ""}]}')
    with pytest.raises(SuiteFormatError, match=r"bad.json: examples\[0\]: needs a non-empty"):
        read_suite(path)


RAG_DATASET = {"examples": [
    {"query": "How many flowers do bees visit a day?", "query_by": {"type": "human"},
     "reference_contexts": ["Honey bees visit about 5,000 flowers a day. They live in hives."],
     "reference_answer": "About 5,000 flowers.", "reference_answer_by": {"type": "human"}},
    {"query": "Where do bees live?", "query_by": None,
     "reference_contexts": ["Honey bees visit about 5,000 flowers a day. They live in hives."],
     "reference_answer": "In hives.", "reference_answer_by": None}]}


def test_labelled_rag_dataset_suite(tmp_path):
    path = tmp_path / "rag.json"
    path.write_text(json.dumps(RAG_DATASET))
    suite = read_suite(path)
    assert [c.turns[0].question for c in suite.cases] == ["How many flowers do bees visit a day?",
                                                          "Where do bees live?"]
    assert len(suite.documents) == 1
    (name,) = suite.documents
    assert all(c.turns[0].source == name for c in suite.cases)
    assert suite.cases[0].turns[0].answers == ["About 5,000 flowers."]
    assert suite.cases[0].turns[0].contexts == RAG_DATASET["examples"][0]["reference_contexts"]


def test_rag_dataset_runs_end_to_end(tmp_path):
    from assistant import Assistant

    path = tmp_path / "rag.json"
    path.write_text(json.dumps(RAG_DATASET))
    out = tmp_path / "out.json"
    assert run_suite(Assistant.open(tmp_path / "ix"), str(path), out=str(out), progress=False) == 0
    summary = json.loads(out.read_text())["summary"]
    assert summary["context_hit"] == 1.0 and summary["source_recall_at_k"] == 1.0
    assert summary["passed"] == 1.0


def test_source_ranks_recall_and_mrr():
    from evals.runner import score_turn
    from evals.suite_files import Turn

    cites = [{"text": "nothing here", "source": "b.txt"}, {"text": "10,000 troops", "source": "a.txt"}]
    row = score_turn(Turn("How many?", ["10,000"], True, "a.txt"), {"citations": cites}, 5)
    assert (row["source_at_1"], row["source_recall_at_k"], row["source_mrr"]) == (False, True, 0.5)
    assert row["any_citation_contains"] and not row["first_citation_contains"] and row["passed"]
    row = score_turn(Turn("How many?", ["10,000"], True, "c.txt"), {"citations": cites}, 5)
    assert (row["source_recall_at_k"], row["source_mrr"]) == (False, 0.0)


def test_sample_selects_a_fixed_even_slice():
    from evals.suite_files import Case, select_cases

    cases = [Case(str(i), []) for i in range(1380)]
    picked = select_cases(cases, sample=150)
    assert len(picked) == 150 and picked[0].id == "0" and picked[1].id == "9"
    assert [c.id for c in select_cases(cases, sample=150)] == [c.id for c in picked]
    assert [c.id for c in select_cases(cases, limit=3)] == ["0", "1", "2"]


def test_shipped_covidqa_suite_reads_with_its_licence():
    folder = ROOT / "evals/suites/covidqa"
    assert (folder / "LICENSE").exists() and (folder / "README.md").exists()
    suite = read_suite(folder / "covidqa.squad.json")
    assert len(suite.cases) == 1380 and len(suite.documents) == 98
    assert all(c.turns[0].source in suite.documents for c in suite.cases)


def test_cli_gates_report_and_compare(sample_qa, tmp_path, capsys):
    from assistant.faces.cli import main

    suite = str(ROOT / "evals/suites/sample.jsonl")
    index = str(sample_qa.index.folder)
    first, report = tmp_path / "first.json", tmp_path / "report.html"
    assert main(["eval", suite, "--index", index, "--out", str(first), "--quiet",
                 "--fail-under", "passed=0.5", "--fail-over", "false_abstention=50%"]) == 0
    code = main(["eval", suite, "--index", index, "--quiet", "--compare", str(first),
                 "--report", str(report), "--fail-under", "passed=1.01"])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.strip().splitlines()[-1].startswith("citeqa: eval gate failed: passed ")
    assert "compared with" in captured.out and "0 regressed" in captured.out
    html = report.read_text()
    assert "<svg" in html and "gate failed" in html and "Compared with" in html


@pytest.mark.parametrize("argv", [["--fail-under", "passed"], ["--fail-under", "passed=x"],
                                  ["--fail-under", "latency_p95_ms=100"]])
def test_cli_bad_gate_is_a_usage_error(argv, capsys):
    from assistant.faces.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["eval", "suite.jsonl", *argv])
    assert exc.value.code == 2
    assert "gate" in capsys.readouterr().err


def test_llm_mode_checks_are_counted_per_answer_and_summed():
    from evals.runner import llm_checks, summarize

    generated = llm_checks({"mode": "llm", "answer": "Mexico sent troops [1]. They rode north "
                            "[?]. Canada pays $1.3 billion [2].",
                            "warnings": ["moved 2 citations to the passages that support them"]})
    assert generated == {"mode": "llm", "fell_back": False, "sentences": 3, "unsupported": 1,
                         "moved": 2}
    fallback = llm_checks({"mode": "extractive", "answer": "x", "warnings": [
        "the LLM timed out; showing the extractive answer instead"]})
    assert fallback == {"mode": "extractive", "fell_back": True}
    base = {"answerable": True, "abstained": False, "citations": [], "latency_ms": 5.0}
    rows = [{**base, **generated, "first_token_ms": 900.0, "citations_exact": True},
            {**base, **fallback, "citations_exact": True}]
    summary = summarize(rows)
    assert summary["generated"] == 0.5 and summary["fell_back"] == 0.5
    assert summary["unsupported_sentences"] == round(1 / 3, 4) and summary["markers_moved"] == 2
    assert summary["first_token_p50_ms"] == 900.0 and summary["citations_exact"] == 1.0


def squad_with(qa: dict, title: str = "Bees") -> dict:
    """A one-question SQuAD file around ``qa`` (the issue's malformed entries go in it)."""
    return {"data": [{"title": title, "paragraphs": [{
        "context": "Honey bees visit about 5,000 flowers a day.", "qas": [qa]}]}]}


@pytest.mark.parametrize("data, message", [
    (squad_with({"id": "q1", "question": "How many?", "answers": ["5,000"]}),
     r"paragraphs\[0\].qas\[0\] \(id q1\): \"answers\" must be a list of objects"),
    (squad_with({"id": "q1", "question": "How many?", "answers": [{"answer_start": 3}]}),
     r"\(id q1\): \"answers\" must be a list of objects with a \"text\""),
    (squad_with({"id": "q1", "question": "How many?", "answers": [{"text": 5000}]}),
     r"\(id q1\): \"answers\" must be"),
    (squad_with({"id": "q1", "question": "How many?", "is_impossible": "false",
                 "answers": [{"text": "5,000"}]}), r"\"is_impossible\" must be true or false"),
    ({"data": [{"title": "Bees", "paragraphs": [{"context": "x", "qas": 5}]}]},
     r"paragraphs\[0\]: \"qas\" must be a list"),
])
def test_malformed_squad_names_article_question_and_field(tmp_path, data, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SuiteFormatError, match=r"^bad.json: data\[0\]\.paragraphs\[0\]"):
        read_suite(path)
    with pytest.raises(SuiteFormatError, match=message):
        read_suite(path)


@pytest.mark.parametrize("line, message", [
    ('{"turns": ["How many?", "When?"]}', r"bad.jsonl:2: turns\[0\]: a turn must be a JSON object"),
    ('{"question": "q?", "answerable": "false"}', r"bad.jsonl:2: \"answerable\" must be true or "
                                                  r"false \(got \"false\"\)"),
])
def test_malformed_turns_and_flags_name_the_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "ok?", "answers": ["x"]}\n' + line + "\n")
    with pytest.raises(SuiteFormatError, match=message):
        read_suite(path)


def test_a_byte_order_mark_is_accepted_and_a_broken_csv_is_one_line(tmp_path):
    jsonl = tmp_path / "bom.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + b'{"question": "ok?", "answers": ["x"]}\n')
    assert read_suite(jsonl).cases[0].turns[0].question == "ok?"
    squad = tmp_path / "bom.json"
    squad.write_bytes(b"\xef\xbb\xbf" + json.dumps(squad_with(
        {"id": "q1", "question": "How many?", "answers": [{"text": "5,000"}]})).encode())
    assert len(read_suite(squad).cases) == 1
    broken = tmp_path / "broken.csv"
    broken.write_text('question,answer\n"How many troops?,10000\nWho?,x\n')
    with pytest.raises(SuiteFormatError, match=r"broken.csv:\d+: not valid CSV"):
        read_suite(broken)


@pytest.mark.parametrize("title, name", [
    (".hidden", "hidden.txt"), ("a/b\x00c", "a_bc.txt"), ("x" * 400, None)])
def test_squad_titles_become_names_that_are_always_indexed(tmp_path, title, name):
    from assistant import Assistant

    path = tmp_path / "t.json"
    path.write_text(json.dumps(squad_with(
        {"id": "q1", "question": "How many flowers do bees visit a day?",
         "answers": [{"text": "5,000"}]}, title=title)))
    qa = Assistant.open(tmp_path / "ix")
    out = tmp_path / "out.json"
    assert run_suite(qa, str(path), out=str(out), progress=False) == 0
    sources = [d.source for d in qa.index.documents()]
    assert len(sources) == 1 and (sources[0] == name if name else len(sources[0]) <= 124)
    assert json.loads(out.read_text())["summary"]["passed"] == 1.0


@pytest.mark.parametrize("where", ["folder", "missing-parent", "unwritable"])
def test_eval_output_paths_are_checked_before_the_first_case(sample_qa, tmp_path, where):
    import os

    suite = str(ROOT / "evals/suites/sample.jsonl")
    asked = []
    original = sample_qa.ask
    sample_qa.ask = lambda *a, **k: asked.append(a) or original(*a, **k)
    try:
        if where == "folder":
            with pytest.raises(CiteqaError, match=r"--out .*: that is a folder"):
                run_suite(sample_qa, suite, out=str(tmp_path), progress=False)
        elif where == "unwritable":
            if os.geteuid() == 0:
                target = Path("/proc/citeqa-report.html")  # not writable even for root
            else:
                locked = tmp_path / "locked"
                locked.mkdir(mode=0o500)
                target = locked / "report.html"
            with pytest.raises(CiteqaError, match=r"--report .*: cannot be written"):
                run_suite(sample_qa, suite, report=str(target), progress=False)
        else:
            out = tmp_path / "new" / "deeper" / "out.json"
            assert run_suite(sample_qa, suite, out=str(out), limit=2, progress=False) == 0
            assert json.loads(out.read_text())["summary"]["turns"] == 2
    finally:
        sample_qa.ask = original
    assert (asked != []) == (where == "missing-parent")


def test_a_case_that_cannot_be_asked_fails_alone(sample_qa, tmp_path, capsys):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"id": "ok", "question": "How many troops?", "answers": ["10,000"]}\n'
                    '{"id": "marks", "question": "???", "answers": ["x"]}\n'
                    '{"id": "long", "question": "' + "why " * 3000 + '?", "answers": ["x"]}\n'
                    '{"id": "after", "question": "How much does Canada\'s plan cost?", '
                    '"answers": ["$1.3 billion"]}\n')
    out, report = tmp_path / "out.json", tmp_path / "report.html"
    assert run_suite(sample_qa, str(path), out=str(out), report=str(report), progress=False) == 0
    result = json.loads(out.read_text())
    cases = {c["id"]: c for c in result["cases"]}
    assert cases["ok"]["passed"] and cases["after"]["passed"]
    assert not cases["marks"]["passed"] and cases["marks"]["error"]
    assert not cases["long"]["passed"] and cases["long"]["error"]
    assert result["summary"]["errors"] == 2 and result["summary"]["passed"] == 0.5
    err = capsys.readouterr().err
    assert "case marks (mixed.jsonl:2) could not be asked" in err
    assert "case long (mixed.jsonl:3) could not be asked" in err
    assert report.exists()
