"""Speed work (issue 6): the int8 ONNX backend, what each command imports, backends in the manifest."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from assistant import Assistant
from index import embedding
from index.embedding import Embedder
from index.errors import CiteqaError

HEAVY = ("torch", "transformers", "sentence_transformers", "gradio", "fastapi", "uvicorn")

SENTENCES = [
    "The plan to eventually deploy 10,000 Mexican soldiers forms part of a deal with Washington.",
    "Canada's plan costs $1.3 billion.",
    "Who announced it?",
    "The incubation period of MERS-CoV was estimated at 5.2 days in this study.",
    "Hand washing reduces transmission.",
]


def _modules_after(code: str, watched: tuple[str, ...] = HEAVY) -> list[str]:
    """Run ``code`` in a fresh interpreter; the ``watched`` modules it ended up importing."""
    probe = (f"{code}\nimport sys, json\n"
             f"print(json.dumps([m for m in {watched!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_default_backend_is_onnx_on_a_cpu(monkeypatch):
    monkeypatch.setattr(embedding, "gpu_visible", lambda: False)
    assert Embedder().backend == "onnx"
    assert Embedder(device="cuda").backend == "torch"  # a GPU: sentence-transformers on torch
    monkeypatch.setattr(embedding, "gpu_visible", lambda: True)
    assert Embedder().backend == "torch"  # torch then picks "cuda" itself when it sees the GPU


def test_unknown_backend_names_the_choices():
    with pytest.raises(CiteqaError, match="onnx.*onnx-int8.*torch"):
        Embedder(backend="tensorflow")


def test_onnx_vectors_are_the_torch_vectors_and_int8_stays_close():
    fp32 = Embedder(backend="torch").embed(SENTENCES)
    int8 = Embedder(backend="onnx-int8").embed(SENTENCES)
    onnx32 = Embedder(backend="onnx").embed(SENTENCES)
    assert int8.shape == fp32.shape == (len(SENTENCES), 384)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1, atol=1e-4)
    assert (onnx32 * fp32).sum(axis=1).min() > 0.9999  # the export itself is exact
    assert (int8 * fp32).sum(axis=1).min() > 0.95  # quantization costs a little
    query = Embedder(backend="onnx-int8").embed_query("How many troops?")
    assert int(np.argmax(fp32 @ query)) == 0 == int(np.argmax(int8 @ query))


def test_help_imports_nothing_heavy():
    code = ("import sys\nsys.argv = ['citeqa', '--help']\nimport assistant.faces.cli\n"
            "try:\n    assistant.faces.cli.main()\nexcept SystemExit:\n    pass")
    assert _modules_after(code) == []
    assert _modules_after("import assistant", ("numpy",)) == []


def test_ask_imports_neither_torch_nor_the_ui(tmp_path, docs_dir):
    Assistant.open(tmp_path / "ix").ingest([docs_dir])  # exports the ONNX model if needed
    code = ("import sys\nfrom assistant.faces.cli import main\n"
            f"main(['ask', 'How many troops?', '--index', {str(tmp_path / 'ix')!r}])")
    assert _modules_after(code) == []


def test_the_manifest_records_the_backend(tmp_path, docs_dir):
    qa = Assistant.open(tmp_path / "ix", embed_backend="onnx")
    qa.ingest([docs_dir])
    manifest = json.loads((tmp_path / "ix" / "manifest.json").read_text())
    assert manifest["embed_backend"] == "onnx"


def test_backends_share_an_index_only_when_their_vectors_agree(tmp_path):
    from index.errors import IndexMismatchError
    from index.manifest import Manifest

    def made(backend: str) -> Manifest:
        return Manifest(3, "all-MiniLM-L6-v2", "ab" * 32, 384, 254, 32, backend)

    made("torch").check(made("onnx"), tmp_path)  # the same vectors (cosine >= 0.9999)
    made("onnx").check(made("torch"), tmp_path)
    with pytest.raises(IndexMismatchError, match="backend 'onnx-int8'.*rebuild: rm -r"):
        made("onnx-int8").check(made("onnx"), tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps(
        {k: v for k, v in made("torch").__dict__.items() if k != "embed_backend"}))
    assert Manifest.read(tmp_path).embed_backend == "torch"  # written before backends existed
