"""Concurrency: one writer per index (a file lock, two real processes), and questions answered by
a real server on loopback while an upload is being indexed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from assistant import Assistant
from assistant.errors import CiteqaError
from index.lock import IndexBusyError, IndexLock
from tests.conftest import ROOT, SAMPLE_DIR, as_uploads
from tests.test_crash import _generated, snapshot

BUSY = "is being written by another process"


def citeqa(*args, wait=True):
    cmd = [sys.executable, "-m", "assistant", *args]
    if not wait:
        return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def _notes(folder, count: int, first: int = 0):
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(first, first + count):
        (folder / f"note-{n:02d}.txt").write_text(_generated(f"district {n} archives", n))
    return folder


def test_a_second_writer_is_refused_with_one_line(tmp_path):
    index = tmp_path / "ix"
    with IndexLock(index):  # this test process is the writer
        done = citeqa("ingest", str(SAMPLE_DIR), "--index", str(index), "--quiet")
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and BUSY in lines[0] and f"(pid {os.getpid()})" in lines[0]
        assert "try again" in lines[0] and "Traceback" not in done.stderr
        with pytest.raises(IndexBusyError, match=BUSY):
            Assistant.open(index).ingest([SAMPLE_DIR])
    assert not (index / "manifest.json").exists()  # the refused writers wrote nothing
    assert Assistant.open(index).ingest([SAMPLE_DIR]).added  # free again once released


def test_two_ingest_processes_never_interleave(tmp_path):
    """Two real ingests of one folder into one index at the same moment: each finishes or is
    refused with the one-line message, and the index is the one a single ingest gives."""
    docs = _notes(tmp_path / "docs", 6)
    shutil.copy(SAMPLE_DIR / "mexico-border-troops.txt", docs)
    index = tmp_path / "ix"
    procs = [citeqa("ingest", str(docs), "--index", str(index), "--quiet", wait=False)
             for _ in range(2)]
    results = [(p.wait(300), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert any(rc == 0 for rc, _ in results), results
    for rc, err in results:
        assert rc == 0 or (rc == 1 and BUSY in err and len(err.strip().splitlines()) == 1), err
    clean = tmp_path / "clean"
    Assistant.open(clean).ingest([docs])
    assert snapshot(index) == snapshot(clean)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A real server (UI + API) on loopback over a fresh index of the sample article."""
    from assistant.faces.serve import start_background

    folder = tmp_path_factory.mktemp("served")
    qa = Assistant.open(folder / "ix")
    qa.ingest([SAMPLE_DIR])
    server, url = start_background(qa)
    yield qa, url, folder
    server.should_exit = True


def _ask(url: str, question: str, endpoint: str = "ask") -> tuple[int, dict, float]:
    field = "question" if endpoint == "ask" else "query"
    req = urllib.request.Request(f"{url}/api/{endpoint}",
                                 data=json.dumps({field: question}).encode(),
                                 headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.status, json.loads(resp.read()), time.perf_counter() - started


def test_questions_are_answered_while_an_upload_is_indexed(served):
    """The UI's upload handler indexes files in one thread while clients ask over HTTP."""
    from assistant.faces.ui import upload

    qa, url, folder = served
    uploads = _notes(folder / "uploads", 8)
    files = as_uploads(sorted(uploads.iterdir()))
    result: dict = {}

    def indexing():
        started = time.perf_counter()
        result["html"], _ = upload(qa, files)
        result["seconds"] = time.perf_counter() - started

    worker = threading.Thread(target=indexing)
    answered = []
    worker.start()
    while worker.is_alive():
        status, data, took = _ask(url, "How many troops?")
        answered.append((status, took, "answer" in data))
        status, data, took = _ask(url, "Mexican soldiers at the southern border", "retrieve")
        found = [p["source"] for p in data["passages"]]
        answered.append((status, took, found[:1] == ["mexico-border-troops.txt"]))
    worker.join()
    assert "8 added" in result["html"], result["html"]
    assert len(answered) >= 2, (answered, result)  # questions kept coming back during the upload
    assert all(status == 200 and cited for status, _, cited in answered), answered
    assert max(took for _, took, _ in answered) < result["seconds"]  # none waited for the ingest
    status, data, _ = _ask(url, "survey 3 of the district 2 archives findings", "retrieve")
    assert status == 200 and data["passages"][0]["source"] == "note-02.txt"


def test_questions_never_wait_for_an_uploads_embedding(served):
    """While an upload's sentences are being embedded, questions over HTTP are answered: an
    ask that starts after the embedding began comes back before it ends (they once waited for
    the whole ingest, the embedder holding one lock across its batches)."""
    from assistant.faces.ui import upload

    qa, url, folder = served
    big = folder / "long-log" / "harbour-log.txt"
    big.parent.mkdir(exist_ok=True)
    big.write_text("\n".join(f"On day {n} the harbour logged {n * 7 % 97} arrivals of vessel "
                             f"class {n % 13} from port {n * 31 % 211}." for n in range(1500)))
    events: dict[str, float] = {}

    def step(done, total, desc=""):
        if "embedding" in str(desc):
            events.setdefault("embedding_started", time.perf_counter())
            events["embedding_last"] = time.perf_counter()

    class Progress:  # the shape of gradio.Progress that upload() calls
        def __call__(self, fraction, desc="", unit="steps"):
            step(*fraction, desc=desc)

    worker = threading.Thread(target=lambda: events.setdefault(
        "html", upload(qa, as_uploads([big]), Progress())[0]))
    worker.start()
    asked = []  # (started, finished)
    while worker.is_alive():
        started = time.perf_counter()
        status, data, _ = _ask(url, "How many troops?")
        assert status == 200 and "answer" in data, data  # (what it cites is not the point)
        asked.append((started, time.perf_counter()))
    worker.join()
    assert "1 added" in events["html"], events["html"]
    begun, ended = events["embedding_started"], events["embedding_last"]
    during = [(a, b) for a, b in asked if begun < a and b < ended]
    assert during, (begun, ended, asked[-5:])  # answered while the embedding went on


def test_an_upload_while_another_process_writes_gets_one_line(served):
    from assistant.faces.ui import upload

    qa, _, folder = served
    extra = _notes(folder / "extra", 1, first=40)
    with IndexLock(qa.index.folder):
        html, added = upload(qa, as_uploads([extra / "note-40.txt"]))
    assert BUSY in html and added is None
    with pytest.raises(CiteqaError, match=BUSY), IndexLock(qa.index.folder):
        qa.ingest([extra])
    from assistant.faces.ui import remove

    with IndexLock(qa.index.folder):
        assert BUSY in remove(qa, "mexico-border-troops.txt")
    assert "mexico-border-troops.txt" in [d.source for d in qa.index.documents()]


def test_a_cli_ingest_into_an_index_a_server_holds_open_is_refused(served, tmp_path):
    """A server keeps Chroma's graph and BM25 in memory and would not see another process's
    writes, so while it runs only its own uploads write the index."""
    qa, url, folder = served
    docs = _notes(tmp_path / "more", 1, first=60)
    done = citeqa("ingest", str(docs), "--index", str(qa.index.folder), "--quiet")
    assert done.returncode == 1
    line = done.stderr.strip()
    assert "open in a running citeqa serve" in line and f"pid {os.getpid()}" in line
    assert len(line.splitlines()) == 1
    from assistant.faces.ui import upload

    html, added = upload(qa, as_uploads([docs / "note-60.txt"]))  # the server's own writes go on
    assert added == "note-60.txt", html
