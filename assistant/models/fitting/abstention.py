"""Fit the "not in the documents" decision (assistant/models/abstention.py) and report it.

``python -m assistant.models.fitting.abstention --covid-index DIR --trust-index DIR``

Training data is made from the suites' own documents, at scale:

- answerable: COVID-QA's questions and the trust suite's (evals/suites/trust);
- unanswerable: the trust suite's hand-written ones; every answerable question that names
  something, with one of its names, numbers or dates replaced by another of the same kind that
  occurs in the corpus but not in the gold document (SQuAD 2.0-style, on topic); and questions
  asked of the other corpus (off topic).

Three splits, never mixed: COVID-QA by paper (a third each) and the trust dev questions by id
(halves) give *fit* and *threshold*; *report* is the last third of the COVID-QA papers, the
trust test split and the sample suite, which neither fitting nor the threshold ever saw. Two
logistic parts are fitted (assistant/models/abstention.py): is the question about the documents
(answerable against off-topic), and does the best passage hold its answer (answerable against
on-topic unanswerable); the confidence is their product. The threshold is the highest at which
at most ``--false-abstention`` of the threshold split's answerable questions are refused, in
each corpus. Writes the coefficients to
assistant/models/abstention.json and the numbers (with the trade-off curve) to ``--report``.

It sits beside the model it fits; scikit-learn (the ``fit`` extra) is imported only to fit.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import evals
from assistant.core import Assistant
from assistant.models.abstention import FEATURES, MODEL_FILE, TOPIC_FEATURES, AbstentionModel
from assistant.stages.s3_rank import EvidenceRanker
from assistant.text.entities import TOKEN, fold, question_entities
from evals.suite_files import read_suite

SUITES = Path(evals.__file__).parent / "suites"
COVID_SUITE = SUITES / "covidqa" / "covidqa.squad.json"
TRUST_DEV, TRUST_TEST = SUITES / "trust" / "dev.jsonl", SUITES / "trust" / "test.jsonl"
SAMPLE_SUITE = SUITES / "sample.jsonl"
SPLITS = ("fit", "threshold", "report")
CROSS_PER_SPLIT = 300  # off-topic questions per split and direction


@dataclass
class Example:
    """One question put to one index, with its label and (once collected) its features."""

    question: str
    answerable: bool
    corpus: str  # "covid", "trust" or "sample": the index asked
    split: str
    origin: str  # "written" (a suite's own question), "swapped" or "cross"
    features: dict[str, float] = field(default_factory=dict)


def bucket(key: str, n: int) -> int:
    """A stable bucket of ``key`` (the same on every run and machine)."""
    return zlib.crc32(key.encode("utf-8")) % n


def turns(path: Path):
    """(id, Turn) of a suite's single-turn cases."""

    for case in read_suite(path).cases:
        if len(case.turns) == 1:
            yield case.id, case.turns[0]


class Swapper:
    """On-topic unanswerable questions: one name, number or date of an answerable question
    replaced by another of its kind (a number, or a word written with a capital inside a
    sentence) from the corpus that its gold document never mentions."""

    def __init__(self, texts: dict[str, str], seed: int = 16):

        self.texts, self.fold, self.token = texts, fold, TOKEN
        self.rng = random.Random(seed)
        names, numbers = Counter(), Counter()
        for text in texts.values():
            previous = ""
            for m in TOKEN.finditer(text):
                w = m.group()
                if w[0].isdigit():
                    numbers[w] += 1
                elif w[0].isupper() and len(w) > 3 and previous.islower():  # mid-sentence
                    names[w] += 1
                previous = w
        self.pools = {"number": [w for w, _ in numbers.most_common(3000)],
                      "name": [w for w, _ in names.most_common(3000)]}
        self.doc_words = {s: {fold(m.group()) for m in TOKEN.finditer(t)} for s, t in texts.items()}

    def swap(self, question: str, source: str | None) -> str | None:
        """The question with one of its entities (else its rarest-looking word) replaced."""

        entities = {e.split("|")[0] for e in question_entities(question)}  # not its initials
        gold = self.doc_words.get(source or "", set())
        spots = [m for m in self.token.finditer(question) if self.fold(m.group()) in entities]
        if not spots:  # nothing to swap: no on-topic twin of this question
            return None
        m = self.rng.choice(spots)
        pool = self.pools["number" if m.group()[0].isdigit() else "name"]
        for _ in range(50):
            new = self.rng.choice(pool) if pool else None
            if new and self.fold(new) not in gold and self.fold(new) != self.fold(m.group()):
                return question[:m.start()] + new + question[m.end():]
        return None


def covid_split(source: str | None) -> str:
    return SPLITS[bucket(source or "", 3)]


def trust_dev_split(case_id: str) -> str:
    return SPLITS[bucket(case_id, 2)]


def build_examples(covid_texts: dict[str, str], trust_texts: dict[str, str]) -> list[Example]:
    """Every labelled question of the three splits (see the module's docstring)."""
    examples: list[Example] = []
    swap_covid, swap_trust = Swapper(covid_texts), Swapper(trust_texts)
    cross: dict[str, list[tuple[str, str]]] = {"covid": [], "trust": []}  # asked of the other

    def add(question, answerable, corpus, split, origin, swapper=None, source=None):
        examples.append(Example(question, answerable, corpus, split, origin))
        if answerable and swapper is not None:
            swapped = swapper.swap(question, source)
            if swapped:
                examples.append(Example(swapped, False, corpus, split, "swapped"))

    for _, turn in turns(COVID_SUITE):
        split = covid_split(turn.source)
        add(turn.question, True, "covid", split, "written", swap_covid, turn.source)
        cross["trust"].append((turn.question, split))
    for case_id, turn in turns(TRUST_DEV):
        split = trust_dev_split(case_id)
        add(turn.question, turn.answerable, "trust", split, "written", swap_trust, turn.source)
        cross["covid"].append((turn.question, split))
    for _, turn in turns(TRUST_TEST):
        add(turn.question, turn.answerable, "trust", "report", "written", swap_trust, turn.source)
        cross["covid"].append((turn.question, "report"))
    for _, turn in turns(SAMPLE_SUITE):
        add(turn.question, turn.answerable, "sample", "report", "written")
    rng = random.Random(20261201)
    for corpus, questions in cross.items():
        for split in SPLITS:
            chosen = [q for q, s in questions if s == split]
            rng.shuffle(chosen)
            examples += [Example(q, False, corpus, split, "cross") for q in chosen[:CROSS_PER_SPLIT]]
    return examples


def collect(qa, examples: list[Example], progress: bool = True) -> None:
    """Fill each example's features from ``qa`` (an Assistant on the example's corpus)."""
    from tqdm import tqdm


    ranker = EvidenceRanker(qa.view, qa.weights, AbstentionModel.never())  # features only
    for ex in tqdm(examples, disable=not progress, unit="q", desc=f"features ({len(examples)})"):
        query = qa.queries.run(ex.question)
        hits = qa.retriever.search(query, qa.settings.top_k)
        ex.features = ranker.features(query, ranker.rank(query, hits).basis)


def rates(conf: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[float, float]:
    """(share of answerable refused, share of unanswerable abstained) at ``threshold``."""
    refused = conf < threshold
    answerable = labels == 1
    fa = float(refused[answerable].mean()) if answerable.any() else 0.0
    ab = float(refused[~answerable].mean()) if (~answerable).any() else 0.0
    return fa, ab


def choose_threshold(groups: list[np.ndarray], target: float) -> float:
    """The highest threshold that refuses at most ``target`` of each group's answerable
    confidences."""
    return float(min(np.quantile(g, target, method="lower") for g in groups if len(g)))


def fit_part(train: list[Example], features: tuple[str, ...]) -> dict:
    """One logistic part (see assistant.models.abstention.Logistic), fitted on ``train``. Each kind
    of question (corpus, origin, label) weighs the same in total: the few hand-written
    unanswerable questions count as much as the many made-up ones."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.array([[e.features[f] for f in features] for e in train])
    y = np.array([int(e.answerable) for e in train])
    groups = Counter((e.corpus, e.origin, e.answerable) for e in train)
    weight = np.array([len(train) / (len(groups) * groups[(e.corpus, e.origin, e.answerable)])
                       for e in train])
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit(scaler.transform(x), y, sample_weight=weight)
    scale = [float(s) if s > 0 else 1.0 for s in scaler.scale_]
    return {"features": list(features), "mean": [round(float(m), 6) for m in scaler.mean_],
            "scale": [round(s, 6) for s in scale],
            "coef": [round(float(c), 6) for c in model.coef_[0]],
            "intercept": round(float(model.intercept_[0]), 6)}


def fit(examples: list[Example], target: float) -> dict:
    """The model as abstention.json stores it: the topic part fitted on the fit split's
    answerable and off-topic questions, the presence part on its answerable and on-topic
    unanswerable ones, the threshold on the threshold split."""

    train = [e for e in examples if e.split == "fit"]
    data = {"topic": fit_part([e for e in train if e.answerable or e.origin == "cross"],
                              TOPIC_FEATURES),
            "presence": fit_part([e for e in train if e.answerable or e.origin != "cross"],
                                 FEATURES)}
    probe = AbstentionModel.from_dict({**data, "threshold": 0.5})
    held = [e for e in examples if e.split == "threshold" and e.answerable]
    groups = [np.array([probe.confidence(e.features) for e in held if e.corpus == c])
              for c in ("covid", "trust")]
    data["threshold"] = round(choose_threshold(groups, target), 6)
    data["false_abstention_target"] = target
    data["fitted_on"] = dict(Counter(f"{e.corpus}/{e.origin}/{'yes' if e.answerable else 'no'}"
                                     for e in train))
    return data


def report(examples: list[Example], data: dict) -> dict:
    """Per split and corpus: false abstention, abstention by kind of unanswerable question, and
    the trade-off curve of the report split."""

    model = AbstentionModel.from_dict(data)
    t = data["threshold"]
    out: dict = {"threshold": t, "splits": {}}
    for split in SPLITS:
        rows = {}
        for corpus in ("covid", "trust", "sample"):
            mine = [e for e in examples if e.split == split and e.corpus == corpus]
            if not mine:
                continue
            conf = {id(e): model.confidence(e.features) for e in mine}
            answerable = [conf[id(e)] for e in mine if e.answerable]
            row = {"answerable": len(answerable),
                   "false_abstention": round(float(np.mean([c < t for c in answerable])), 4)
                   if answerable else None}
            for origin in ("written", "swapped", "cross"):
                negatives = [conf[id(e)] for e in mine if not e.answerable and e.origin == origin]
                if negatives:
                    row[f"abstention_{origin}"] = round(float(np.mean([c < t for c in negatives])), 4)
                    row[f"unanswerable_{origin}"] = len(negatives)
            rows[corpus] = row
        out["splits"][split] = rows
    for corpus in ("covid", "trust"):
        mine = [e for e in examples if e.split == "report" and e.corpus == corpus
                and (e.answerable or e.origin != "cross")]
        conf = np.array([model.confidence(e.features) for e in mine])
        labels = np.array([int(e.answerable) for e in mine])
        out.setdefault("curve", {})[corpus] = [
            [round(th, 3), *(round(v, 4) for v in rates(conf, labels, th))]
            for th in np.linspace(0, 1, 41)]
    return out


def texts_of(qa) -> dict[str, str]:
    """Every document's text, by source."""
    return {d.source: qa.view.context(d.source, 0, 0, 0)[2] for d in qa.documents()}


def main(argv: list[str] | None = None) -> int:

    parser = argparse.ArgumentParser(prog="python -m assistant.models.fitting.abstention",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--covid-index", required=True, help="an index of the COVID-QA papers")
    parser.add_argument("--trust-index", required=True, help="an index of evals/suites/trust/docs")
    parser.add_argument("--sample-index", help="an index of examples/docs (for the report)")
    parser.add_argument("--false-abstention", type=float, default=0.02,
                        help="share of answerable questions the threshold may refuse (0.02)")
    parser.add_argument("--out", default=str(MODEL_FILE), help="where the model goes")
    parser.add_argument("--report", help="write the split-by-split numbers here (JSON)")
    parser.add_argument("--examples", help="also write every example with its features (JSONL)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    systems = {"covid": Assistant.open(args.covid_index), "trust": Assistant.open(args.trust_index)}
    if args.sample_index:
        systems["sample"] = Assistant.open(args.sample_index)
    for name, qa in systems.items():
        if not qa.exists:
            print(f"python -m assistant.models.fitting.abstention: no index at {qa.folder} ({name})",
                  file=sys.stderr)
            return 2
    examples = build_examples(texts_of(systems["covid"]), texts_of(systems["trust"]))
    examples = [e for e in examples if e.corpus in systems]
    for name, qa in systems.items():
        collect(qa, [e for e in examples if e.corpus == name], progress=not args.quiet)
    if args.examples:
        with open(args.examples, "w", encoding="utf-8") as f:
            for e in examples:
                f.write(json.dumps(e.__dict__) + "\n")
    data = fit(examples, args.false_abstention)
    Path(args.out).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    numbers = report(examples, data)
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(json.dumps(numbers, indent=1) + "\n", encoding="utf-8")
    print(f"threshold {data['threshold']:.3f} (at most {args.false_abstention:.0%} of the "
          f"threshold split's answerable questions refused, per corpus); model in {args.out}")
    for split, rows in numbers["splits"].items():
        for corpus, row in rows.items():
            print(f"  {split:9} {corpus:6} " + "  ".join(
                f"{k}={v:.1%}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
