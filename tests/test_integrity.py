"""No document silently lost: unique source names, updates that survive a crash, a full disk."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.errors import CiteqaError
from tests.conftest import ROOT, SAMPLE, as_uploads
from tests.test_crash import ingest_cli, snapshot


def _note(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


@pytest.fixture
def two_roots(tmp_path):
    a = _note(tmp_path / "A", "notes.txt", "The orchard in Ardmore holds 37 pear trees.\n").parent
    b = _note(tmp_path / "B", "notes.txt", "The harbour in Belcastle moors 12 trawlers.\n").parent
    return a, b


def test_two_folders_holding_the_same_name_keep_both_documents(tmp_path, two_roots):
    a, b = two_roots
    qa = Assistant.open(tmp_path / "ix")
    report = qa.ingest([a, b])
    assert report.added == ["notes.txt", "B/notes.txt"]
    assert qa.ask("How many pear trees are in the orchard?").citations[0].source == "notes.txt"
    assert qa.ask("How many trawlers moor in the harbour?").citations[0].source == "B/notes.txt"
    for order in ([a, b], [b, a]):  # reruns, in either order, keep each file's name
        again = qa.ingest(order)
        assert sorted(again.skipped) == ["B/notes.txt", "notes.txt"] and not again.changed
    ix = qa.index
    assert ix.vectors.count() == len(list(ix.docstore.expected_vector_ids()))


def test_two_files_of_one_name_given_alone_keep_both(tmp_path, two_roots):
    a, b = two_roots
    qa = Assistant.open(tmp_path / "ix")
    report = qa.ingest([a / "notes.txt", b / "notes.txt"])
    assert report.added == ["notes.txt", "B/notes.txt"]
    ix = qa.index
    assert ix.vectors.count() == len(list(ix.docstore.expected_vector_ids())) == 2  # no orphan


def test_uploads_of_one_name_are_numbered_and_never_replace_a_folder_document(tmp_path, two_roots):
    from assistant.faces.ui import upload

    a, _ = two_roots
    qa = Assistant.open(tmp_path / "ix")
    qa.ingest([a])
    first = _note(tmp_path / "u1", "same.txt", "The ferry to Skerra leaves at 23:40.\n")
    second = _note(tmp_path / "u2", "same.txt", "The tram to Oldport runs every 9 minutes.\n")
    html, _ = upload(qa, as_uploads([first]) + as_uploads([second]))
    assert "2 added" in html
    clash = _note(tmp_path / "u3", "notes.txt", "The mill at Corran grinds 80 sacks a day.\n")
    html, added = upload(qa, as_uploads([clash]))
    assert added == "upload/notes.txt"
    names = [d.source for d in qa.index.documents()]
    assert names == ["notes.txt", "same (2).txt", "same.txt", "upload/notes.txt"]
    assert qa.ask("How many pear trees are in the orchard?").citations[0].source == "notes.txt"
    changed = _note(tmp_path / "u4", "same.txt", "The ferry to Skerra leaves at 22:15.\n")
    html, added = upload(qa, as_uploads([changed]))  # a re-upload replaces the earlier upload
    assert "1 updated" in html and added == "same.txt"
    assert len(qa.index.documents()) == 4


@pytest.mark.parametrize("point", ["after-vectors", "after-document", "after-delete"])
def test_an_update_killed_midway_keeps_the_document(tmp_path, point):
    """Killed while replacing a changed file, the index still holds the document (the old
    version or the new), answerable before any rerun; the next ingest finishes the update."""
    docs = tmp_path / "docs"
    _note(docs, "ferry.txt", "The ferry to Skerra leaves at 23:40 from pier nine.\n")
    shutil.copy(SAMPLE, docs / SAMPLE.name)
    index = tmp_path / "ix"
    assert ingest_cli(docs, index).returncode == 0
    _note(docs, "ferry.txt", "The ferry to Skerra leaves at 22:15 from pier four.\n")
    crashed = ingest_cli(docs, index, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    qa = Assistant.open(index)
    cited = qa.ask("When does the ferry to Skerra leave?").citations
    assert cited and cited[0].source == "ferry.txt"
    assert ("23:40" if point == "after-vectors" else "22:15") in cited[0].text
    state = snapshot(index)
    assert state["vectors"] == state["expected_vectors"] and state["in_step"]
    assert Assistant.open(index).ingest([docs]).updated == (["ferry.txt"]
                                                            if point == "after-vectors" else [])


@pytest.fixture
def small_disk(tmp_path):
    """A 5 MB tmpfs (root only; skipped with the reason elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=5m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip() or done.returncode}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _corpus(folder: Path, files: int) -> Path:
    from tests.test_crash import TOPICS, _generated

    for n in range(files):
        _note(folder, f"note-{n:02d}.txt", _generated(TOPICS[n % len(TOPICS)], n) * 3)
    return folder


def test_a_full_disk_ends_in_one_line_and_an_index_that_works_or_says_so(tmp_path, small_disk):
    docs = _corpus(tmp_path / "docs", 60)
    index = small_disk / "ix"
    done = subprocess.run([sys.executable, "-m", "assistant", "ingest", str(docs), "--index",
                           str(index), "--quiet"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 1, (done.stdout, done.stderr)
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line, line
    assert "space" in line and "ingest" in line, line
    # space is freed (the index moves to a roomy disk): the index works or says what to do
    roomy = tmp_path / "roomy"
    shutil.copytree(index, roomy)
    shutil.rmtree(index)
    qa = Assistant.open(roomy)
    try:
        listed = [d.source for d in qa.index.documents()]
        if listed:
            assert qa.ask("How many findings did survey 3 of the glaciers record?").citations
    except CiteqaError as exc:
        assert "ingest" in str(exc) and "\n" not in str(exc)
    report = Assistant.open(roomy).ingest([docs])
    assert not report.errors
    state = snapshot(roomy)
    assert len(state["documents"]) == 60 and state["vectors"] == state["expected_vectors"]
    assert state["in_step"]
    cited = Assistant.open(roomy).ask("How many findings did survey 3 of the glaciers record?")
    assert cited.citations and os.path.basename(cited.citations[0].source).startswith("note-")


def test_a_moved_folder_or_a_second_copy_is_not_indexed_twice(tmp_path, two_roots):
    a, _ = two_roots
    qa = Assistant.open(tmp_path / "ix")
    qa.ingest([a])
    copy = tmp_path / "copy-of-A"
    shutil.copytree(a, copy)
    again = qa.ingest([copy])  # the same content elsewhere: the same document
    assert again.skipped == ["notes.txt"] and not again.added, again
    shutil.rmtree(copy)
    moved = tmp_path / "moved"
    a.rename(moved)
    (moved / "notes.txt").write_text("The orchard in Ardmore holds 41 pear trees.\n")
    after = qa.ingest([moved])  # the old place is gone: the file keeps its name, updated
    assert after.updated == ["notes.txt"] and not after.added
    assert [d.source for d in qa.documents()] == ["notes.txt"]
