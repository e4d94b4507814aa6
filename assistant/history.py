"""One model of a conversation's earlier turns, shared by the Assistant, the HTTP API and the
eval runner: a question, and the documents its answer cited."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.errors import BadInputError


class Turn(BaseModel):
    """An earlier question and the sources its answer cited (a follow-up stays with them)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    question: str
    sources: list[str] = []


def parse_turn(item) -> Turn:
    """A turn from a question string, a {"question", "sources"?} object, or an ``ask --json``
    object (its "citations" give the sources)."""
    if isinstance(item, Turn):
        return item
    if isinstance(item, str):
        return Turn(question=item)
    if not isinstance(item, dict):
        raise BadInputError('"history" items must be strings or {"question": "..."} objects')
    data = dict(item)
    if data.get("sources") is None:
        cited = data.get("citations") or []
        data["sources"] = [c["source"] for c in cited if isinstance(c, dict)
                           and isinstance(c.get("source"), str)] if isinstance(cited, list) else []
    try:
        return Turn.model_validate(data)
    except ValidationError as exc:
        field = ".".join(str(p) for p in exc.errors()[0].get("loc", ())) or "history"
        if field.startswith("sources"):
            raise BadInputError('"sources" in "history" must be a list of document names') from None
        raise BadInputError('"history" items must be strings or {"question": "..."} objects') from None


def parse_history(history: list) -> list[Turn]:
    """Every earlier turn as a Turn (CiteqaError naming the problem otherwise)."""
    if not isinstance(history, list):
        raise BadInputError('"history" must be a list of earlier questions')
    return [parse_turn(item) for item in history]
