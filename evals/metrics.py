"""Answer metrics with SQuAD's normalization: containment and token F1."""

from __future__ import annotations

import re
import string
from collections import Counter

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation) | set("‘’“”–—")


def normalize(text: str) -> str:
    """Lower-case; drop punctuation, articles and extra spaces (SQuAD's evaluation script)."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def contains(text: str, golds: list[str]) -> bool:
    """Whether ``text`` contains any gold answer, after normalization; a gold answer of
    punctuation alone ("%", "~"), which normalization would empty, as written."""
    norm = normalize(text)
    return any((normalize(g) in norm) if normalize(g) else (g.strip() and g.strip() in text)
               for g in golds)


def token_f1(text: str, golds: list[str]) -> float:
    """The best token-overlap F1 between ``text`` and a gold answer."""
    pred = normalize(text).split()
    best = 0.0
    for gold in golds:
        ref = normalize(gold).split()
        common = sum((Counter(pred) & Counter(ref)).values())
        if common:
            precision, recall = common / len(pred), common / len(ref)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def confidence_pairs(rows: list[dict]) -> list[tuple[float, bool]]:
    """(confidence, came true) of each answered question in an eval's rows: its first citation
    holds a gold answer (an unanswerable question's never does). What calibration is checked on."""
    return [(r["confidence"], bool(r.get("first_citation_contains")))
            for r in rows if r.get("confidence") is not None and not r["abstained"]]


def calibration(pairs: list[tuple[float, bool]], bins: int = 10) -> tuple[float, list[list]]:
    """Expected calibration error of (probability, came true) pairs over ``bins`` equal-width
    bins, and the reliability curve: [mean probability, share true, count] per non-empty bin."""
    if not pairs:
        return 0.0, []
    total, curve = 0.0, []
    for i in range(bins):
        lo, hi = i / bins, (i + 1) / bins
        inside = [(p, y) for p, y in pairs if lo <= p < hi or (i == bins - 1 and p == 1.0)]
        if inside:
            mean_p = sum(p for p, _ in inside) / len(inside)
            share = sum(bool(y) for _, y in inside) / len(inside)
            total += len(inside) / len(pairs) * abs(mean_p - share)
            curve.append([round(mean_p, 3), round(share, 3), len(inside)])
    return round(total, 4), curve
