"""The same question on the same index gets the same answer in every process (issue 26): no set or
dict order, no string-hash seed and no graph Chroma links anew on opening decides a tie."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from conftest import ROOT, SAMPLE_DIR

from assistant import Assistant
from evals.bench.synth import write_corpus

QUESTIONS = ["How many troops?", "Who is the harbor master?", "When did Ottoline Verge take the post?",
             "What tariff rate was threatened?", "What is the population of Mexico City?"]
ASK = ("import json, sys\nfrom assistant import Assistant\nqa = Assistant.open(sys.argv[1])\n"
       "queries = json.loads(sys.argv[2])\n"
       "answers = [qa.ask(q).to_dict() for q in queries['ask']]\n"
       "for a in answers:\n    a.pop('timings_ms')\n"
       "found = [[p.to_dict() for p in qa.retrieve(q, top_k=10)] for q in queries['retrieve']]\n"
       "print(json.dumps([answers, found]))\n")


def answers_in_process(index, seed: int, searches: list[str]) -> list:
    """The --json objects (less timings) of QUESTIONS and the passages retrieved for
    ``searches``, in a fresh process."""
    queries = json.dumps({"ask": QUESTIONS, "retrieve": searches})
    done = subprocess.run([sys.executable, "-c", ASK, str(index), queries], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_answers_do_not_follow_the_process(tmp_path):
    """An index past Chroma's 1,000-vector save threshold, grown by a second ingest (synthetic
    text, repeated lines, the sample, a note), answers identically in processes with different
    hash seeds."""
    first, second = tmp_path / "first", tmp_path / "second"
    write_corpus(first, chunks=220)
    write_corpus(second / "synthetic", chunks=70, seed=7)
    shutil.copytree(SAMPLE_DIR, second / "sample")
    (second / "harbor.txt").write_text("Port of Kellswater: staff notes\n\nThe harbor master is "
                                       "Ottoline Verge, who took the post in March 2019.\n")
    (second / "repeated.txt").write_text("The same line again and again.\n" * 3000)
    index = tmp_path / "index"
    qa = Assistant.open(index)
    for folder in (first, second):
        report = qa.ingest([folder])
        assert not report.errors and report.added
    # searches near the second ingest's sentences: the vectors a graph would link anew, at
    # random, on every opening had the ingest not made Chroma save it
    lines = [line for f in sorted((second / "synthetic").iterdir())
             for line in f.read_text().split(". ")]
    searches = [" ".join(line.split()[:8]) for line in lines[::5][:80]]
    runs = [answers_in_process(index, seed, searches) for seed in (0, 1, 2)]
    assert runs[0] == runs[1] == runs[2]
    assert "Ottoline Verge" in runs[0][0][1]["answer"]


def test_a_small_index_is_searched_exactly(tmp_path):
    """Under 1,000 vectors Chroma keeps no saved graph: the search is exact, ties in id order."""
    qa = Assistant.open(tmp_path / "index")
    qa.ingest([SAMPLE_DIR])
    index = qa.index
    vector = index.embedder.embed_query("How many troops?")
    hits = index.dense_search(vector, 5)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    collection = index.vectors.collection  # every vector, by Chroma's own distances
    found = collection.query(query_embeddings=[vector.tolist()], n_results=collection.count(),
                             include=["distances"])
    best: dict[str, float] = {}
    for vid, dist in zip(found["ids"][0], found["distances"][0]):
        best.setdefault(vid.rsplit(":", 1)[0], 1.0 - dist)
    assert [c for c, _ in hits] == sorted(best, key=lambda c: (-best[c], c))[:5]
    assert all(abs(s - best[c]) < 1e-5 for c, s in hits)


def test_unrelated_documents_do_not_change_the_answers(tmp_path):
    """Answers about three notes stay the same once a large file of one repeated word and 200
    unrelated documents join them; the report names the repetitive file."""
    import random

    notes = {"harbor.txt": "Port of Kellswater: staff notes\n\nThe harbor master is Ottoline "
                           "Verge, who took the post in March 2019.\n",
             "bakery.txt": "Corner bakery price list\n\nA rye loaf costs 3.80 pounds. The bakery "
                           "opens at 7 am on weekdays.\n",
             "club.txt": "Chess club minutes\n\nThe current champion is Haruki Benn, who won "
                         "the autumn tournament.\n"}
    questions = ["Who is the harbor master?", "How much does a rye loaf cost?",
                 "Who is the chess champion?"]
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in notes.items():
        (docs / name).write_text(text)
    qa = Assistant.open(tmp_path / "index")
    qa.ingest([docs])
    before = [qa.ask(q).to_dict() for q in questions]
    (docs / "filler.txt").write_text(" ".join(["filler"] * 80_000))
    rng = random.Random(3)
    words = "river stone market winter signal garden copper lantern valley orchard".split()
    other = docs / "unrelated"
    other.mkdir()
    for i in range(200):
        (other / f"memo-{i:03d}.txt").write_text(
            f"Memo {i}. " + " ".join(rng.choice(words) for _ in range(40)) + ".\n")
    report = qa.ingest([docs])
    assert len(report.added) == 201
    assert [s for s, share in report.repetitive] == ["filler.txt"]
    after = [qa.ask(q).to_dict() for q in questions]
    place = lambda answer: [(c["source"], c["start"], c["end"]) for c in answer["citations"]]
    for one, two in zip(before, after):  # scores follow the corpus's statistics; answers do not
        assert (one["answer"], place(one)) == (two["answer"], place(two)), (one, two)
    assert not any(a["abstained"] for a in after)
