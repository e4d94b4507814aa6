"""LLM mode's prompts: the retrieved passages numbered and quoted as data, the question, and the
rewrite of a follow-up as a standalone question (templates in prompts/*.txt)."""

from __future__ import annotations

import re

import prompts
from assistant.llm.control_tokens import neutralise
from assistant.text.markers import defuse
from assistant.types import Hit

_TAG = re.compile(r"<(/?)(passage)", re.IGNORECASE)
# the answer prompt's own label: a small model that goes on to write the next question and
# answer itself (as in the prompt's example) is cut there
ANSWER_STOP = ("Question:",)



def format_passages(hits: list[Hit], specials: tuple[str, ...] = ()) -> str:
    """The passages as numbered, quoted blocks; a document cannot close the block early nor
    write a control token (see control_tokens.py)."""
    blocks = []
    for n, hit in enumerate(hits, 1):
        text = _TAG.sub(lambda m: f"&lt;{m.group(1)}{m.group(2)}", defuse(hit.chunk.text))
        text = neutralise(text, specials)
        source = neutralise(hit.chunk.source.replace('"', "'"), specials)
        blocks.append(f'[{n}] <passage id="{n}" source="{source}">\n{text}\n</passage>')
    return "\n\n".join(blocks)


def build_prompt(question: str, hits: list[Hit], specials: tuple[str, ...] = ()) -> tuple[str, str]:
    """The (system, user) messages of the answer prompt; ``specials`` are the model's own
    special tokens, broken wherever the passages or the question hold them."""
    return (prompts.load("answer_system").render(),
            prompts.load("answer").render(passages=format_passages(hits, specials),
                                          question=neutralise(question, specials)))


def condense_prompt(question: str, history: list[str], specials: tuple[str, ...] = ()) -> str:
    """The prompt that rewrites a follow-up as a standalone question."""
    lines = "\n".join(f"- {neutralise(q, specials)}" for q in history[-6:])
    return prompts.load("condense").render(history=lines, question=neutralise(question, specials))
