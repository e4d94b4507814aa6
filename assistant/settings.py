"""One settings model: defaults, then CITEQA_* environment variables, then per-call arguments."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.errors import CiteqaError

READERS = {  # what --reader / CITEQA_READER takes (assistant/stages/s4_read.py)
    "none": "no reader: the evidence ranking's order and fitted abstention decide (the default)",
    "minilm": "a fine-tuned MiniLM cross-encoder reads the best candidates",
    "judge": "minilm, then the bundled 1.5B LLM judges its first candidate (needs make local-llm)",
}


class Settings(BaseSettings):
    """Everything configurable, each field read from ``CITEQA_<FIELD>``. CLI options exist
    for index, embed_model, embed_backend, chroma_url, host, port, allowed_hosts, top_k and the
    llm_* fields but llm_passages; auth, max_upload_mb, llm_passages and max_question_chars
    are environment only (a password belongs in no command line). ``CITEQA_CACHE``, where the
    ONNX export is kept, is read by index/backends.py, below the settings."""

    model_config = SettingsConfigDict(env_prefix="CITEQA_", extra="forbid")

    index: str = Field(".citeqa", description="index folder")
    embed_model: str | None = Field(None, description="embedding model: local path or name")
    embed_backend: str | None = Field(None, description="embedding backend, a key of "
                                      "index.embedding.BACKENDS (default: onnx on CPUs, torch "
                                      "with a GPU)")
    chroma_url: str | None = Field(None, description="Chroma server URL instead of the embedded store")
    host: str = Field("127.0.0.1", description="address the server binds")
    port: int = Field(7860, ge=1, le=65535, description="port the server listens on")
    auth: str | None = Field(None, description="user:password for the UI and /api/*")
    allowed_hosts: str | None = Field(None, description="comma-separated host names the server "
                                      "answers to besides loopback ones (* for any)")
    llm_url: str | None = Field(None, description="OpenAI-compatible base URL: turns on LLM mode")
    llm_model: str | None = Field(None, description="the LLM's model name")
    llm_api_key: str | None = Field(None, description="API key for the LLM endpoint, if it needs one")
    llm_timeout: float = Field(60.0, gt=0, description="seconds to wait for the LLM before "
                               "falling back to the extractive answer")
    llm_passages: int = Field(3, ge=1, le=20, description="retrieved passages shown to the LLM")
    reader: Literal["none", "minilm", "judge"] = Field("none", description="the reading model (READERS)")
    top_k: int = Field(10, ge=1, le=50, description="passages retrieved per question")
    max_question_chars: int = 2000
    max_upload_mb: int = Field(50, ge=1, description="largest file the UI accepts, in MB")


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """``user:password`` (CITEQA_AUTH) into a pair; None when unset."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise CiteqaError("CITEQA_AUTH must look like user:password")
    return user, password


def load_settings(**overrides) -> Settings:
    """Settings from the environment and ``overrides``; a bad value is one CiteqaError line
    naming the variable (or option), the value and what it must be."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(part) for part in err.get("loc", ())) or "settings"
            where = (f"--{name.replace('_', '-')}" if name in overrides
                     else f"CITEQA_{name.upper()}")
            problems.append(f"{where}={err.get('input')!r}: {err.get('msg', 'invalid')}")
        raise CiteqaError("; ".join(problems)) from None
