"""LLM mode's prompts: the retrieved passages numbered and quoted as data, the question, and the
rewrite of a follow-up as a standalone question (templates in prompts/*.txt)."""

from __future__ import annotations

import re

import prompts
from assistant.text.markers import defuse
from assistant.types import Hit

_TAG = re.compile(r"<(/?)(passage)", re.IGNORECASE)
# the answer prompt's own label: a small model that goes on to write the next question and
# answer itself (as in the prompt's example) is cut there
ANSWER_STOP = ("Question:",)



def format_passages(hits: list[Hit]) -> str:
    """The passages as numbered, quoted blocks; a document cannot close the block early."""
    blocks = []
    for n, hit in enumerate(hits, 1):
        text = _TAG.sub(lambda m: f"&lt;{m.group(1)}{m.group(2)}", defuse(hit.chunk.text))
        source = hit.chunk.source.replace('"', "'")
        blocks.append(f'[{n}] <passage id="{n}" source="{source}">\n{text}\n</passage>')
    return "\n\n".join(blocks)


def build_prompt(question: str, hits: list[Hit]) -> tuple[str, str]:
    """The (system, user) messages of the answer prompt."""
    return (prompts.load("answer_system").render(),
            prompts.load("answer").render(passages=format_passages(hits), question=question))


def condense_prompt(question: str, history: list[str]) -> str:
    """The prompt that rewrites a follow-up as a standalone question."""
    lines = "\n".join(f"- {q}" for q in history[-6:])
    return prompts.load("condense").render(history=lines, question=question)
