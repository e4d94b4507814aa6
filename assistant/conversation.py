"""A conversation with an Assistant: it keeps the turns, and each question is asked with them
(stage 1 reads a follow-up in their light: assistant/stages/followups.py)."""

from __future__ import annotations

import copy


class Conversation:
    """A conversation with an Assistant: ``ask`` answers follow-ups in context."""

    def __init__(self, assistant, history: list | None = None):
        self.assistant = assistant
        self.turns: list = list(history or [])  # questions, or {"question", "sources"} objects

    @property
    def history(self) -> list[str]:
        """The questions asked so far, oldest first."""
        return [t if isinstance(t, str) else t["question"] for t in self.turns]

    def _remember(self, answer) -> None:
        self.turns.append({"question": answer.question,
                           "sources": list(dict.fromkeys(c.source for c in answer.citations))})

    def ask(self, question: str, top_k: int | None = None, mode: str | None = None):
        """Answer ``question`` in the light of the conversation so far; remember it."""
        answer = self.assistant.ask(question, top_k=top_k, history=self.turns, mode=mode)
        self._remember(answer)
        return answer

    def ask_stream(self, question: str, top_k: int | None = None, mode: str | None = None):
        """Like ``ask``, streaming the generated text first (see Assistant.ask_stream)."""
        for item in self.assistant.ask_stream(question, top_k=top_k, history=self.turns,
                                              mode=mode):
            if not isinstance(item, str):
                self._remember(item)
            yield item

    def __deepcopy__(self, memo) -> Conversation:
        """Copies share the Assistant (its model and stores) and copy only the history."""
        return Conversation(self.assistant, copy.deepcopy(self.turns, memo))
