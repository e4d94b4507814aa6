"""Split the 10 SQuAD 2.0 dev articles of ../shared/data/squad2-dev by article.

``python evals/suites/squad2/split.py [SQUAD_JSON]`` writes ``tune.json`` (the articles the reader
is trained and calibrated on) and ``holdout.json`` (the articles only reported). Each file
carries every article's paragraphs, so both index the same documents (the other split's are the
distractors); only the questions differ. Articles alternate in the file's order, so each split
holds five.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
SOURCE = HERE.parents[2] / ".." / "shared" / "data" / "squad2-dev" / "squad2-dev-10.json"


def split(data: dict) -> dict[str, dict]:
    """{"tune": ..., "holdout": ...}: SQuAD JSON with all paragraphs, the split's questions."""
    out = {}
    for name, parity in (("tune", 0), ("holdout", 1)):
        articles = []
        for n, article in enumerate(data["data"]):
            keep = n % 2 == parity
            articles.append({"title": article["title"], "paragraphs": [
                {"context": p["context"], "qas": p["qas"] if keep else []}
                for p in article["paragraphs"]]})
        out[name] = {"version": data.get("version", "v2.0"), "data": articles}
    return out


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else SOURCE
    for name, data in split(json.loads(source.read_text(encoding="utf-8"))).items():
        (HERE / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
        questions = [q for a in data["data"] for p in a["paragraphs"] for q in p["qas"]]
        titles = [a["title"] for a in data["data"] if any(p["qas"] for p in a["paragraphs"])]
        print(f"{name}: {len(questions)} questions "
              f"({sum(q['is_impossible'] for q in questions)} unanswerable) from {', '.join(titles)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
