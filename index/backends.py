"""Embedding backends: ONNX Runtime (fp32, the CPU default, or int8 weights) beside the torch one.

The ONNX model is exported locally from the verified bundled weights, once, into a cache folder
keyed by those weights' SHA-256 (never downloaded); ONNX Runtime then runs it with the model's own
fast tokenizer, mean pooling and normalization, so asking and ingesting import neither torch nor
transformers once the export exists.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from index.errors import ModelError

RECIPE = "v1"  # bump when the export or quantization below changes: old caches are not reused
FILES = {True: "model_int8.onnx", False: "model_fp32.onnx"}


def cache_root() -> Path:
    """Where exported models live: ``$CITEQA_CACHE``, else ``$XDG_CACHE_HOME/citeqa``, else
    ``~/.cache/citeqa``."""
    if os.environ.get("CITEQA_CACHE"):
        return Path(os.environ["CITEQA_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "citeqa"


def threads() -> int:
    """Threads for inference: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def export_onnx(model_path: str, weights_sha256: str, int8: bool = True) -> Path:
    """The ONNX export of a local BERT-type model (int8 or fp32), made once and cached under its
    weights' hash, which the caller has verified. Returns the .onnx file.

    Quantization is dynamic, per output channel, with reduced range: per-tensor int8 weights
    lost too much here (mean cosine 0.956 to the fp32 vectors, 0.80 at worst, on COVID-QA
    sentences; per channel: 0.991 / 0.97), and the reduced range avoids the int8 overflow of
    CPUs without VNNI instructions.
    """
    folder = cache_root() / "onnx" / f"{weights_sha256[:32]}-{RECIPE}"
    target = folder / FILES[int8]
    if target.exists():
        return target
    try:
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise ModelError(f"exporting the ONNX model needs torch, transformers and onnx ({exc}): "
                         "pip install onnx, or set CITEQA_EMBED_BACKEND=torch") from None
    hf_logging.disable_progress_bar()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=folder))
    except OSError as exc:
        raise ModelError(f"cannot write the ONNX export to {folder} ({exc.strerror or exc}); set "
                         "CITEQA_CACHE to a writable folder, or CITEQA_EMBED_BACKEND=torch") from None
    try:
        # eager attention: a plain graph with the padding mask applied (verified: fp32 export
        # gives the torch vectors to a cosine of 1.0000 on padded batches)
        model = AutoModel.from_pretrained(model_path, attn_implementation="eager").eval()

        class Hidden(torch.nn.Module):  # positional inputs in, the last hidden state out
            def __init__(self, bert):
                super().__init__()
                self.bert = bert

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                                 token_type_ids=token_type_ids).last_hidden_state

        ids = torch.ones(2, 8, dtype=torch.long)
        mask = torch.ones(2, 8, dtype=torch.long)
        mask[1, 5:] = 0  # trace with padding, so the mask is part of the graph
        names = ["input_ids", "attention_mask", "token_type_ids"]
        axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
        fp32 = tmp / FILES[False]
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(Hidden(model), (ids, mask, torch.zeros_like(ids)), str(fp32),
                              dynamo=False, input_names=names, output_names=["last_hidden_state"],
                              dynamic_axes=axes, opset_version=17)
        logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))
        quantize_dynamic(str(fp32), str(tmp / FILES[True]), weight_type=QuantType.QInt8,
                         per_channel=True, reduce_range=True)
        (folder / "source.json").write_text(json.dumps(
            {"weights_sha256": weights_sha256, "from": str(model_path), "recipe": RECIPE}))
        for name in FILES.values():  # renames: a file present is a file complete
            os.replace(tmp / name, folder / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def inference_session(onnx_file: Path):
    """An ONNX Runtime session for ``onnx_file`` on the CPU, with this process's CPUs and quiet."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """Mean-pooled, normalized sentence vectors from an ONNX BERT with ONNX Runtime."""

    def __init__(self, onnx_file: Path, model_path: str, max_tokens: int):
        from tokenizers import Tokenizer

        self.session = inference_session(onnx_file)
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        size = self.session.get_outputs()[0].shape[-1]
        if not isinstance(size, int):
            size = json.loads((Path(model_path) / "config.json").read_text())["hidden_size"]
        self.dimension = int(size)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for one batch of texts."""
        encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feed)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
