"""Read eval suites: citeqa JSONL (single and multi-turn cases) and SQuAD JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


class SuiteFormatError(ValueError):
    """A suite file is malformed; the message names the file and line."""


@dataclass
class Turn:
    """One question and what a right answer contains."""

    question: str
    answers: list[str] = field(default_factory=list)
    answerable: bool = True
    source: str | None = None


@dataclass
class Case:
    """An eval case: one turn, or several for a conversation."""

    id: str
    turns: list[Turn]


@dataclass
class Suite:
    """Cases, plus documents (name → text) when the suite carries its own (SQuAD)."""

    name: str
    cases: list[Case]
    documents: dict[str, str] = field(default_factory=dict)


def _turn(data: dict, where: str) -> Turn:
    if not isinstance(data.get("question"), str) or not data["question"].strip():
        raise SuiteFormatError(f"{where}: a case needs a non-empty \"question\"")
    answers = data.get("answers", [])
    if isinstance(answers, str):
        answers = [answers]
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise SuiteFormatError(f"{where}: \"answers\" must be a list of strings")
    answerable = bool(data.get("answerable", True))
    if answerable and not answers:
        raise SuiteFormatError(f"{where}: an answerable case needs \"answers\"")
    return Turn(data["question"], answers, answerable, data.get("source"))


def read_jsonl(path: Path) -> Suite:
    """citeqa's native suite: one JSON object a line."""
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name}:{n}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SuiteFormatError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise SuiteFormatError(f"{where}: expected a JSON object")
        case_id = str(data.get("id", f"case-{n}"))
        if "turns" in data:
            if not isinstance(data["turns"], list) or not data["turns"]:
                raise SuiteFormatError(f"{where}: \"turns\" must be a non-empty list")
            turns = [_turn(t, where) for t in data["turns"]]
        else:
            turns = [_turn(data, where)]
        cases.append(Case(case_id, turns))
    return Suite(path.stem, cases)


def read_squad(path: Path) -> Suite:
    """SQuAD v1/v2 JSON: contexts become documents named by document id or title."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        articles = data["data"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise SuiteFormatError(f"{path.name}: not SQuAD JSON ({exc})") from None
    cases, documents = [], {}
    for a, article in enumerate(articles):
        for p, para in enumerate(article.get("paragraphs", [])):
            base = para.get("document_id") or article.get("title") or f"doc-{a}"
            name = f"{base}.txt" if len(article["paragraphs"]) == 1 else f"{base}-{p}.txt"
            name = str(name).replace("/", "_")
            documents[name] = para["context"]
            for qa in para.get("qas", []):
                impossible = bool(qa.get("is_impossible"))
                answers = list(dict.fromkeys(x["text"] for x in qa.get("answers", [])))
                cases.append(Case(str(qa.get("id")), [Turn(qa["question"], answers,
                                                           not impossible, name)]))
    return Suite(path.stem, cases, documents)


def read_suite(path: str | Path) -> Suite:
    """Read a suite by its format (JSONL, else SQuAD JSON)."""
    path = Path(path)
    if not path.exists():
        raise SuiteFormatError(f"{path}: no such suite file")
    if path.suffix == ".jsonl":
        return read_jsonl(path)
    if path.suffix == ".json":
        return read_squad(path)
    raise SuiteFormatError(f"{path.name}: unknown suite format; use .jsonl or SQuAD .json")
