"""The synthetic corpus and scale index of evals/bench/synth.py (issue 6): deterministic, and complete
enough that the real assistant opens and searches it."""

import json
import random
import subprocess
import sys

from evals.bench.synth import CHUNKS_PER_DOC, SENTENCES_PER_CHUNK, Synth, write_corpus
from tests.conftest import ROOT


def _scale(folder, *options):
    return subprocess.run([sys.executable, "-m", "evals.bench.synth", "scale", str(folder), *options],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def _texts(folder):
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


def test_the_corpus_is_the_same_for_a_seed_and_differs_across_seeds(tmp_path):
    assert write_corpus(tmp_path / "a", 250, seed=6) == 2  # 100 chunks a file
    write_corpus(tmp_path / "b", 250, seed=6)
    write_corpus(tmp_path / "c", 250, seed=7)
    a, b, c = (_texts(tmp_path / n) for n in "abc")
    assert a == b
    assert list(a) == list(c) == ["doc-000000.txt", "doc-000001.txt"]
    assert a != c
    text = a["doc-000001.txt"]
    assert text.count(".") >= CHUNKS_PER_DOC * SENTENCES_PER_CHUNK  # one number per sentence too
    assert any(ch.isdigit() for ch in text)


def test_scale_builds_an_index_the_assistant_searches(tmp_path):
    folder, out = tmp_path / "idx", tmp_path / "scale.json"
    done = _scale(folder, "--chunks", "300", "--asks", "3", "--json", str(out))
    assert done.returncode == 0, done.stderr[-800:]
    result = json.loads(out.read_text())
    assert result["vectors_generated"] is True
    assert result["build"]["vectors"] == 300 * SENTENCES_PER_CHUNK
    assert result["disk_mb"] > 0
    ask = result["ask"]  # timed in a child process, so its memory is the asking process's own
    assert ask["open_ms"] > 0 and 0 < ask["ask_p50_ms"] <= ask["ask_p95_ms"]
    assert 50 < ask["peak_rss_mb"] < result["build_peak_rss_mb"] + 2000

    from assistant import Assistant

    qa = Assistant.open(folder)
    words = random.Random(1).sample(Synth(6).topics[2], 3)  # document 2 is about topic 2
    # the sentence vectors are random, so the words are found by the keyword index
    found = [cid for cid, _ in qa.index.keyword_search(" ".join(words), 5)]
    assert len(found) == 5
    assert set(qa.index.docstore.sources_of(found).values()) == {"doc-000002.txt"}
    assert len(qa.index.dense_search(qa.index.embedder.embed_query("anything"), 5)) == 5
    answer = qa.ask(f"How many {' '.join(words)}?").to_dict()
    assert set(answer["timings_ms"]) >= {"retrieve", "total"}


def test_scale_refuses_a_folder_it_did_not_build(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    done = _scale(folder, "--chunks", "100", "--asks", "1")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "not an index built by" in done.stderr
    assert (folder / "notes.txt").read_text() == "keep me"


def test_scale_replaces_its_own_earlier_index(tmp_path):
    from evals.bench.synth import MARK

    folder = tmp_path / "idx"
    folder.mkdir()
    (folder / MARK).write_text("")
    (folder / "stale.bin").write_bytes(b"old")
    done = _scale(folder, "--chunks", "100", "--asks", "1")
    assert done.returncode == 0, done.stderr[-800:]
    assert not (folder / "stale.bin").exists()
    assert (folder / MARK).exists() and (folder / "manifest.json").exists()
