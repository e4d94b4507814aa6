"""Hostile or odd input gets one clear line, never a traceback: escape codes in documents and
file names, document brackets that look like markers, bad settings, a busy or impossible port,
a non-UTF-8 suite, short and over-long questions, a pipe closed early, an index deleted under
a running server (issue 14)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from assistant import Assistant
from assistant.errors import EmptyQuestionError
from assistant.faces.cli import main
from tests.conftest import ROOT, SAMPLE

HOSTILE = ("The lighthouse on Skerra was lit in 1911 \x1b]0;pwned\x07 by keeper Ansel Brae."
           "\x1b[2J\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGU=\x07 It is 41 metres tall [1].\n")
NAME = "light\x1b[31mhouse.txt"


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    docs = base / "docs"
    docs.mkdir()
    (docs / NAME).write_text(HOSTILE)
    shutil.copy(SAMPLE, docs / SAMPLE.name)
    index = base / "ix"
    assert main(["ingest", str(docs), "--index", str(index), "--quiet"]) == 0
    return index


def _no_raw_controls(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text, repr(text)


def test_escape_codes_from_documents_never_reach_the_terminal(hostile_index, capsys):
    capsys.readouterr()
    assert main(["ask", "When was the lighthouse on Skerra lit?", "--index",
                 str(hostile_index)]) == 0
    out = capsys.readouterr()
    _no_raw_controls(out.out + out.err)
    assert "\\x1b]0;pwned\\x07" in out.out  # shown, visibly
    assert "light\\x1b[31mhouse.txt" in out.out
    assert main(["docs", "--index", str(hostile_index)]) == 0
    out = capsys.readouterr()
    _no_raw_controls(out.out)
    assert main(["ask", "When was the lighthouse on Skerra lit?", "--json", "--index",
                 str(hostile_index)]) == 0
    data = json.loads(capsys.readouterr().out)  # JSON keeps the exact text, escaped by JSON
    assert "\x1b]0;pwned\x07" in data["citations"][0]["text"]


def test_a_documents_bracketed_number_is_no_marker(hostile_index):
    answer = Assistant.open(hostile_index).ask("How tall is the lighthouse on Skerra?")
    cited = answer.citations[0]
    assert "[1]." in cited.text  # the citation quotes the document exactly
    assert "tall (1)." in answer.body and answer.body.count("[1]") == 1
    from assistant.faces.render import answer_html

    html = answer_html(answer, 1)  # links: the short answer's marker and the sentence's, no more
    assert html.count("href='#src-1-1'") + html.count('href="#src-1-1"') == answer.text.count("[1]")


def test_escape_codes_in_skipped_file_names(tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bad\x1b]52;c;eA==\x07.pdf").write_bytes(b"%PDF-1.4 broken")
    (docs / "fine.txt").write_text("The ferry leaves at nine.\n")
    assert main(["ingest", str(docs), "--index", str(tmp_path / "ix"), "--quiet"]) == 0
    out = capsys.readouterr()
    _no_raw_controls(out.out + out.err)
    assert "skipped bad\\x1b]52" in out.err


@pytest.mark.parametrize("question", ["谁", "x?", "Qui?"])
def test_short_and_non_latin_questions_are_asked(sample_qa, question):
    sample_qa.ask(question)  # answered or abstained, not refused as empty


def test_an_over_long_question_is_called_too_long(sample_qa):
    with pytest.raises(EmptyQuestionError, match="60,000 characters long"):
        sample_qa.ask("?" * 60_000)
    with pytest.raises(EmptyQuestionError, match="has no letter or digit"):
        sample_qa.ask(" ?! \x1b[31m ")
    with pytest.raises(EmptyQuestionError, match="empty"):
        sample_qa.ask(" \x1b[31m ")


@pytest.mark.parametrize("env, words", [({"CITEQA_PORT": "abc"}, "CITEQA_PORT='abc'"),
                                        ({"CITEQA_MAX_UPLOAD_MB": "0"}, "CITEQA_MAX_UPLOAD_MB")])
def test_bad_settings_are_one_line(tmp_path, monkeypatch, capsys, env, words):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["docs", "--index", str(tmp_path / "ix")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err and "Traceback" not in err


def test_ports_out_of_range_and_in_use(tmp_path, capsys):
    with pytest.raises(SystemExit) as usage:
        main(["serve", "--port", "99999", "--index", str(tmp_path / "ix")])
    assert usage.value.code == 2 and "not a port" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port), "--index", str(tmp_path / "ix")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"127.0.0.1:{port}" in err and "--port" in err


def test_a_non_utf8_suite_is_one_line(tmp_path, capsys):
    suite = tmp_path / "suite.jsonl"
    suite.write_bytes('{"id": "a", "question": "Où?", "answers": ["là"]}\n'.encode("latin-1"))
    assert main(["eval", str(suite), "--index", str(tmp_path / "ix"), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert "not UTF-8" in err and len(err.splitlines()) == 1


def test_a_pipe_closed_early_is_no_traceback(hostile_index):
    listing = subprocess.Popen(f"{sys.executable} -m assistant docs --index {hostile_index} "
                               f"| head -c 1 >/dev/null", shell=True, cwd=ROOT,
                               stderr=subprocess.PIPE, text=True)
    _, err = listing.communicate(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_an_index_deleted_under_a_running_server_says_so(tmp_path):
    from assistant.faces.serve import start_background

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SAMPLE, docs / SAMPLE.name)
    qa = Assistant.open(tmp_path / "ix")
    qa.ingest([docs])
    server, url = start_background(qa, warm=False)
    try:
        assert qa.ask("How many troops?").citations
        shutil.rmtree(tmp_path / "ix")
        for path, body in (("/api/docs", None), ("/api/ask", {"question": "How many troops?"})):
            req = urllib.request.Request(url + path, data=json.dumps(body).encode()
                                         if body else None)
            with pytest.raises(urllib.error.HTTPError) as failed:
                urllib.request.urlopen(req, timeout=60)
            assert failed.value.code < 500
            assert "deleted" in json.loads(failed.value.read())["error"]
        from assistant.faces.ui import upload
        from tests.conftest import as_uploads

        html, added = upload(qa, as_uploads([SAMPLE]))
        assert "deleted" in html and added is None
    finally:
        server.should_exit = True
