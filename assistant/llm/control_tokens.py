"""Control tokens kept out of prompts: text from documents, questions and history can hold the
strings a chat template or tokenizer reads as special (``<|im_start|>``, ``<|eot_id|>``,
``[INST]`` …), and a server that tokenizes the rendered template would take them for turns of
the conversation. Each is broken before it enters a prompt, so the model reads it as text."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

# the shapes chat templates give their control tokens: ChatML and Llama 3 (<|…|>), Llama 2 and
# Mistral ([INST], <<SYS>>, <s>), Gemma (<start_of_turn>), and the usual bos/eos/pad/unk names
TEMPLATE_TOKENS = re.compile(
    r"<\|[^<>|\s]{1,48}\|>|\[/?INST\]|<</?SYS>>|</?s>|<(?:start|end)_of_turn>"
    r"|<(?:bos|eos|pad|unk|mask|sep|cls)>", re.IGNORECASE)
LOOKALIKE = {"<": "‹", "[": "⁅"}  # what a token's first character becomes
CONTROL, USER_DEFINED = 3, 4  # GGUF token types a tokenizer treats as special


def _broken(token: str) -> str:
    first = token[0]
    return LOOKALIKE.get(first, first + "\u2060") + token[1:]


@lru_cache(maxsize=8)
def _pattern(specials: tuple[str, ...]) -> re.Pattern | None:
    words = sorted({s for s in specials if s.strip()}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words))) if words else None


def neutralise(text: str, specials: tuple[str, ...] = ()) -> str:
    """``text`` with every chat-template control token, and each of the model's own special
    tokens (``specials``), broken: its first character swapped for a look-alike ("<" for "‹"),
    or followed by a word joiner."""
    own = _pattern(specials)
    if own is not None:
        text = own.sub(lambda m: _broken(m.group(0)), text)
    return TEMPLATE_TOKENS.sub(lambda m: _broken(m.group(0)), text)


@lru_cache(maxsize=4)
def gguf_special_tokens(path: Path) -> tuple[str, ...]:
    """The tokens a GGUF model's tokenizer treats as special (control and user-defined), read
    from its metadata with the ``gguf`` package; none when it cannot be read."""
    try:
        import gguf

        reader = gguf.GGUFReader(str(path))
        tokens, types = (reader.fields.get(k) for k in ("tokenizer.ggml.tokens",
                                                        "tokenizer.ggml.token_type"))
        if tokens is None or types is None:
            return ()
        return tuple(bytes(tokens.parts[i]).decode("utf-8", "replace")
                     for i, t in zip(tokens.data, types.data)
                     if int(types.parts[t][0]) in (CONTROL, USER_DEFINED))
    except Exception:  # noqa: BLE001 - no list: the template shapes above still apply
        return ()
