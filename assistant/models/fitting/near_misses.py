"""Near-miss questions made from answerable ones, to train the reader on more of what it must
refuse: the question changed so that the sentence that answered it no longer does, in the ways
SQuAD 2.0's crowdworkers often wrote theirs (Rajpurkar et al. 2018: an entity or number
swapped, an antonym; a negation is left out, as "not" would have to find the question's verb).
Each is paired with that sentence, labelled "does not answer".
"""

from __future__ import annotations

import random
import re

from assistant.text.entities import TOKEN, fold

# word -> its opposite (both ways): a question about the first is not answered by the last
OPPOSITES = dict(pair for a, b in (
    ("first", "last"), ("most", "least"), ("largest", "smallest"), ("biggest", "smallest"),
    ("highest", "lowest"), ("before", "after"), ("earliest", "latest"), ("more", "fewer"),
    ("increase", "decrease"), ("increased", "decreased"), ("maximum", "minimum"),
    ("longest", "shortest"), ("oldest", "newest"), ("north", "south"), ("east", "west"),
    ("best", "worst"), ("won", "lost"), ("allowed", "forbidden"), ("start", "end"),
    ("began", "ended"), ("major", "minor"), ("higher", "lower"), ("larger", "smaller"),
    ("positive", "negative"), ("inside", "outside"), ("above", "below"),
) for pair in ((a, b), (b, a)))


def names_in(question: str) -> list[re.Match]:
    """The question's numbers and capitalised words after its first word."""
    return [m for i, m in enumerate(TOKEN.finditer(question))
            if m.group()[0].isdigit() or (i > 0 and m.group()[0].isupper())]


def swap_name(question: str, passage: str, pool: list[str], rng: random.Random) -> str | None:
    """A name or number of the question replaced by another of the same kind from ``pool`` that
    the passage does not hold."""
    names = names_in(question)
    if not names:
        return None
    target = rng.choice(names)
    digit = target.group()[0].isdigit()
    held = {fold(m.group()) for m in TOKEN.finditer(passage)}
    options = [w for w in pool if w[0].isdigit() == digit and fold(w) not in held
               and fold(w) != fold(target.group())]
    if not options:
        return None
    return question[:target.start()] + rng.choice(options) + question[target.end():]


def swap_opposite(question: str, passage: str) -> str | None:
    """The first word with an opposite replaced by it, unless the passage holds the opposite."""
    held = {fold(m.group()) for m in TOKEN.finditer(passage)}
    for m in TOKEN.finditer(question):
        opposite = OPPOSITES.get(m.group().lower())
        if opposite and opposite not in held:
            return question[:m.start()] + opposite + question[m.end():]
    return None


def near_misses(rows: list[dict], seed: int = 0) -> list[dict]:
    """One near-miss row for each training row with an answering candidate (where a change
    applies): the changed question with that candidate's passage, labelled 0."""
    rng = random.Random(seed)
    pools: dict[str, list[str]] = {}
    for r in rows:
        pools.setdefault(r["corpus"], []).extend(m.group() for m in names_in(r["question"]))
    out = []
    for r in rows:
        if r["split"] != "train" or not any(r["labels"]):
            continue
        passage = r["passages"][r["labels"].index(1)]
        question, pool = r["question"], pools[r["corpus"]]
        order = ["name", "opposite"]
        rng.shuffle(order)
        for kind in order:
            changed = (swap_name(question, passage, pool, rng) if kind == "name"
                       else swap_opposite(question, passage))
            if changed and changed != question:
                out.append({"id": r["id"] + "~near-miss", "corpus": r["corpus"], "split": "train",
                            "question": changed, "answerable": False, "passages": [passage],
                            "labels": [0]})
                break
    return out
