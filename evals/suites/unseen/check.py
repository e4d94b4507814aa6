"""Check the suite: 80 cases, 20 unanswerable, unique ids, every gold answer verbatim in its
document (HTML: after dropping scripts, styles and tags). Run from this folder."""

import collections
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent


def text(name: str) -> str:
    raw = (HERE / "docs" / name).read_text(encoding="utf-8")
    if name.endswith(".html"):
        raw = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", raw)
        raw = re.sub(r"<[^>]+>", " ", raw)
    return re.sub(r"\s+", " ", raw)


def problems(cases: list[dict]) -> list[str]:
    found = []
    if len(cases) != 80:
        found.append(f"expected 80 cases, got {len(cases)}")
    repeated = [i for i, n in collections.Counter(c["id"] for c in cases).items() if n > 1]
    if repeated:
        found.append(f"duplicate ids: {repeated}")
    unanswerable = [c for c in cases if c.get("answerable") is False]
    if len(unanswerable) != 20:
        found.append(f"expected 20 unanswerable, got {len(unanswerable)}")
    for case in cases:
        if case.get("answerable") is False:
            continue
        source, answers = case.get("source"), case.get("answers")
        if not source or not answers:
            found.append(f"{case['id']}: missing source or answers")
            continue
        body = text(source)
        found += [f"{case['id']}: answer not in {source}: {a!r}" for a in answers if a not in body]
    return found


if __name__ == "__main__":
    lines = (HERE / "test.jsonl").read_text(encoding="utf-8").splitlines()
    errors = problems([json.loads(line) for line in lines if line.strip()])
    print("\n".join(errors) if errors else "OK: all checks passed")
    sys.exit(1 if errors else 0)
