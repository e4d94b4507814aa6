"""Split all-cases.ndjson into dev.jsonl and test.jsonl (50/50).

Stratified by corpus (the id prefix) and by answerable/unanswerable, so each
stratum is shuffled with a fixed seed and its first half (rounded down) goes to
dev, the rest to test. Re-running gives the same split.

    python evals/suites/trust/split.py
"""
import json
import os
import random
from collections import defaultdict

SEED = 20250611
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "all-cases.ndjson")


def main():
    with open(SRC, encoding="utf-8") as f:
        cases = [json.loads(line) for line in f if line.strip()]
    strata = defaultdict(list)
    for c in cases:
        corpus = c["id"].split("-")[0]
        strata[(corpus, c.get("answerable", True))].append(c)
    rng = random.Random(SEED)
    dev, test = [], []
    for key in sorted(strata, key=lambda k: (k[0], not k[1])):
        group = sorted(strata[key], key=lambda c: c["id"])
        rng.shuffle(group)
        half = len(group) // 2
        dev += group[:half]
        test += group[half:]
    order = {c["id"]: i for i, c in enumerate(cases)}
    for name, part in (("dev.jsonl", dev), ("test.jsonl", test)):
        part.sort(key=lambda c: order[c["id"]])
        with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
            for c in part:
                f.write(json.dumps(c, ensure_ascii=False) + "\n")
        print(name, len(part))


if __name__ == "__main__":
    main()
