"""LLM mode's client: any OpenAI-compatible endpoint through llama-index (the ``llm`` extra)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

from assistant.errors import CiteqaError, LLMError

DEFAULT_TIMEOUT_S = 60.0
MAX_REPLY_TOKENS = 400  # a cited answer is a few sentences; a small model may loop without end


class LLMClient:
    """Chat completions from an OpenAI-compatible server (Ollama, llama.cpp, vLLM, OpenAI).

    Every failure (refused connection, timeout, HTTP error, empty reply) surfaces as LLMError,
    so callers can fall back to the extractive answer."""

    def __init__(self, url: str, model: str | None, api_key: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S, temperature: float = 0.0,
                 specials: tuple[str, ...] = ()):
        if not url.startswith(("http://", "https://")):
            raise CiteqaError(f"the LLM URL is an http:// or https:// address, or 'local' for the "
                              f"bundled model, not {url!r} (CITEQA_LLM_URL / --llm-url)")
        if not model:
            raise CiteqaError(f"an LLM at {url} needs a model name: set CITEQA_LLM_MODEL or "
                              "--llm-model (for Ollama e.g. llama3.2)")
        self.url = url.rstrip("/")
        self.model = model
        self.api_key = api_key or "none"  # local servers ignore it; the client insists on one
        self.timeout = timeout
        self.temperature = temperature
        self.specials = specials  # the model's own special tokens, when known (local GGUF)
        self._llm = None

    @property
    def llm(self):
        """The llama-index OpenAILike LLM (imported on first use)."""
        if self._llm is None:
            try:
                from llama_index.llms.openai_like import OpenAILike
            except ImportError:
                raise CiteqaError("LLM mode needs the llm extra: pip install 'citeqa[llm]'") from None
            self._llm = OpenAILike(model=self.model, api_base=self.url, api_key=self.api_key,
                                   is_chat_model=True, timeout=self.timeout, max_retries=0,
                                   temperature=self.temperature, reuse_client=True,
                                   max_tokens=MAX_REPLY_TOKENS)
        return self._llm

    @staticmethod
    def _messages(system: str, user: str):
        from llama_index.core.llms import ChatMessage

        return [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]

    def complete(self, system: str, user: str) -> str:
        """The whole reply to one system + user exchange."""
        try:
            reply = self.llm.chat(self._messages(system, user)).message.content or ""
        except CiteqaError:
            raise
        except Exception as exc:  # the client raises many types; all mean "no answer from it"
            raise LLMError(self._why(exc)) from None
        if not reply.strip():
            raise LLMError(f"the LLM at {self.url} sent an empty reply")
        return reply

    def stream(self, system: str, user: str, stop: tuple[str, ...] = ()) -> Iterator[str]:
        """The reply as it is generated, piece by piece, ending at any of ``stop``."""
        extra = {"stop": list(stop)} if stop else {}
        parts, finished = None, False
        try:
            parts = self.llm.stream_chat(self._messages(system, user), **extra)
            for part in parts:
                if part.delta:
                    yield part.delta
            finished = True
        except CiteqaError:
            raise
        except Exception as exc:
            raise LLMError(self._why(exc)) from None
        finally:
            if parts is not None and not finished:  # the reader stopped early, or it failed
                parts.close()
                # llama-index keeps an abandoned stream in a reference cycle; collected later,
                # inside the next request, its HTTP response closes under httpx's pool lock and
                # deadlocks (seen: a bench run idle after 10 questions). Collect it now.
                gc.collect()

    def _why(self, exc: Exception) -> str:
        """One line for a failure, classified by the openai client's exception types."""
        import httpx
        import openai

        name = type(exc).__name__
        # a reply that stalls or breaks off mid-stream raises httpx's own types
        if isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException)):
            return f"the LLM at {self.url} did not answer within {self.timeout:g} s"
        if isinstance(exc, (openai.APIConnectionError, httpx.TransportError)):
            return f"cannot reach the LLM at {self.url}"
        if isinstance(exc, openai.APIStatusError):
            return f"the LLM at {self.url} answered HTTP {exc.status_code}"
        return f"the LLM at {self.url} failed: {str(exc).splitlines()[0][:160] if str(exc) else name}"
