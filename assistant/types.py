"""What the answer path passes and returns: retrieval hits, passages, citations and answers (plain
dataclasses; all but Hit JSON-ready)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index import StoredChunk


@dataclass
class Hit:
    """A retrieved chunk with its fused score."""

    chunk: StoredChunk
    score: float


@dataclass
class Passage:
    """A retrieved chunk: ``text`` is the document's text at [start, end)."""

    text: str
    source: str
    start: int
    end: int
    score: float
    id: str = ""
    page: int | None = None

    def to_dict(self) -> dict:
        """The JSON shape of /api/retrieve."""
        data = asdict(self)
        if data["page"] is None:
            del data["page"]
        return data


@dataclass
class Citation:
    """A cited sentence (or run of sentences) with its place in the document."""

    id: int
    source: str
    text: str
    start: int
    end: int
    score: float
    highlight: tuple[int, int] | None = None
    page: int | None = None

    def to_dict(self) -> dict:
        """The citation shape of ``ask --json``."""
        data = {"id": self.id, "source": self.source, "text": self.text, "start": self.start,
                "end": self.end, "score": round(self.score, 4)}
        if self.highlight is not None:
            data["highlight"] = list(self.highlight)
        if self.page is not None:
            data["page"] = self.page
        return data


@dataclass
class Answer:
    """An answer, the citations it rests on, and where the time went."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    mode: str | None = None  # "llm" or "extractive" when an LLM is configured; None otherwise
    warnings: list[str] = field(default_factory=list)
    confidence: float | None = None  # 0-1: how likely the documents answer (abstention model)
    short: str | None = None  # the answer phrase(s) with markers, when the question asks for one

    @property
    def body(self) -> str:
        """The answer's text after its short answer (the supporting sentences)."""
        if self.short and self.text.startswith(self.short):
            return self.text[len(self.short):].lstrip()
        return self.text

    def to_dict(self) -> dict:
        """The ``ask --json`` object; ``mode`` and ``warnings`` appear only when an LLM is
        configured or something went wrong, so the extractive shape stays as it was."""
        data = {"question": self.question, "answer": self.text, "short": self.short,
                "abstained": self.abstained,
                "confidence": None if self.confidence is None else round(self.confidence, 4),
                "citations": [c.to_dict() for c in self.citations],
                "timings_ms": {k: round(v, 1) for k, v in self.timings.items()}}
        if self.mode:
            data["mode"] = self.mode
        if self.warnings:
            data["warnings"] = list(self.warnings)
        return data
