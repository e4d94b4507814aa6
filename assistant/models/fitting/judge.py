"""Fit the judge reader's decision (assistant/models/judge.py) and write judge.json.

``python -m assistant.models.fitting.judge --squad-index DIR --trust-index DIR [--rows FILE]``
(``make fit-judge`` runs it with the indexes ``make fit-reader`` builds).

The calibration split is the reader's (assistant/models/fitting/reader.py): the SQuAD tune article
the reader was not trained on (Imperialism; an evenly spaced 200 of its questions) and the half
of the trust dev questions it was not trained on. For each question the answer path runs with
the MiniLM reader, and the judge reads the reader's first candidate; a logistic regression of
"the documents answer" on logit(reader probability) and logit(judge P(yes)) gives the weights,
and the threshold refuses at most ``--false-abstention`` of each corpus's answerable questions.
The confidence shown is then Platt-scaled on the questions answered, to "the first citation
holds the answer" (its calibration error, per corpus, is written beside the rest). The SQuAD
hold-out articles, trust test and unseen are never read here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from assistant.core import Assistant
from assistant.models.fitting.reader import SQUAD_TUNE, TRUST_DEV, halves, holds, squad_split
from assistant.models.judge import FIT_FILE, logit
from assistant.stages.s4_read import JudgeReader, candidates, focused
from evals.metrics import calibration
from evals.suite_files import read_suite

SQUAD_QUESTIONS = 200


def collect(qa: Assistant, suite: Path, corpus: str, keep, limit: int | None,
            progress: bool) -> list[dict]:
    """One row per kept question: the reader's and the judge's probabilities and the labels."""
    from tqdm import tqdm

    reader = JudgeReader(qa.view)
    cases = [c for c in read_suite(suite).cases if len(c.turns) == 1 and keep(c)]
    if limit and len(cases) > limit:
        cases = [cases[int(i * len(cases) / limit)] for i in range(limit)]
    rows = []
    for case in tqdm(cases, desc=f"judging ({corpus})", disable=not progress):
        turn = case.turns[0]
        query = qa.queries.run(turn.question)
        hits = qa.retriever.search(query, qa.settings.top_k)
        read = reader.reader.read(query, hits, qa.ranker.rank(query, hits))
        first = candidates(read.ranked, 1)
        if not first:
            continue
        rows.append({"id": case.id, "corpus": corpus, "answerable": turn.answerable,
                     "reader_conf": read.confidence,
                     "judge": reader.judge.p_yes(query.text, focused(qa.view, first[0])),
                     "gold_first": bool(turn.answerable and holds(first[0].text, turn.answers))})
    return rows


def fit(rows: list[dict], false_abstention: float) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    x = np.array([(logit(r["reader_conf"]), logit(r["judge"])) for r in rows])
    y = np.array([r["answerable"] for r in rows])
    model = LogisticRegression(C=1.0).fit(x, y)
    z = model.decision_function(x)
    prob = 1 / (1 + np.exp(-z))
    corpora = sorted({r["corpus"] for r in rows})
    mine = {c: np.array([r["corpus"] == c for r in rows]) for c in corpora}
    threshold = float(min(np.quantile(prob[y & mine[c]], false_abstention, method="lower")
                          for c in corpora))
    numbers = {}
    for c in corpora:
        m = mine[c]
        numbers[c] = {"questions": int(m.sum()),
                      "auc": round(float(roc_auc_score(y[m], prob[m])), 3),
                      "abstention": round(float((prob[m & ~y] < threshold).mean()), 4),
                      "false_abstention": round(float((prob[m & y] < threshold).mean()), 4)}
    # the confidence shown: Platt scaling of z on the answered questions, to "the first citation
    # holds the answer" (the decision's own probability is of "the documents answer", and runs
    # high for what the eval checks)
    answered = prob >= threshold
    held = np.array([bool(r["gold_first"]) for r in rows])
    platt = LogisticRegression(C=100.0).fit(z[answered, None], held[answered])
    scale, shift = float(platt.coef_[0][0]), float(platt.intercept_[0])
    shown = 1 / (1 + np.exp(-(scale * z + shift)))
    for c in corpora:
        m = mine[c] & answered
        numbers[c]["ece"] = calibration(list(zip(shown[m].tolist(), held[m].tolist())))[0]
    return {"w_reader": round(float(model.coef_[0][0]), 6),
            "w_judge": round(float(model.coef_[0][1]), 6),
            "bias": round(float(model.intercept_[0]), 6), "threshold": round(threshold, 6),
            "scale": round(scale, 6), "shift": round(shift, 6),
            "false_abstention_target": false_abstention, "calibration_split": numbers}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.models.fitting.judge",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad-index", help="an index of the SQuAD articles")
    parser.add_argument("--trust-index", help="an index of evals/suites/trust/docs")
    parser.add_argument("--rows", help="reuse (or write) the judged rows here (JSONL)")
    parser.add_argument("--false-abstention", type=float, default=0.05)
    parser.add_argument("--out", default=str(FIT_FILE))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.rows and Path(args.rows).exists():
        rows = [json.loads(line) for line in Path(args.rows).read_text().splitlines()]
    else:
        if not (args.squad_index and args.trust_index):
            parser.error("--squad-index and --trust-index are needed to judge the questions")
        rows = collect(Assistant.open(args.squad_index, reader="none"), SQUAD_TUNE, "squad",
                       lambda c: squad_split(c.turns[0].source) == "calibrate", SQUAD_QUESTIONS,
                       not args.quiet)
        rows += collect(Assistant.open(args.trust_index, reader="none"), TRUST_DEV, "trust",
                        lambda c: halves(c.id) == "calibrate", None, not args.quiet)
        if args.rows:
            Path(args.rows).write_text("".join(json.dumps(r) + "\n" for r in rows))
    data = fit(rows, args.false_abstention)
    Path(args.out).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"judge decision written to {args.out}: threshold {data['threshold']:.3f}")
    for corpus, row in data["calibration_split"].items():
        print(f"  calibrate {corpus:6} " + "  ".join(f"{k}={v}" for k, v in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
