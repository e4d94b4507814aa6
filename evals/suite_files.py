"""Read eval suites: citeqa JSONL (single and multi-turn), SQuAD JSON, LabelledRagDataset JSON, CSV."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import CiteqaError


class SuiteFormatError(CiteqaError, ValueError):
    """A suite file is malformed; the message names the file and line."""


@dataclass
class Turn:
    """One question and what a right answer contains."""

    question: str
    answers: list[str] = field(default_factory=list)
    answerable: bool = True
    source: str | None = None
    contexts: list[str] = field(default_factory=list)


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
    contexts = data.get("contexts", [])
    if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
        raise SuiteFormatError(f"{where}: \"contexts\" must be a list of strings")
    return Turn(data["question"], answers, answerable, data.get("source"), contexts)


def _read_text(path: Path, encoding: str = "utf-8") -> str:
    """A suite file's text, or SuiteFormatError when it is not UTF-8."""
    try:
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError:
        raise SuiteFormatError(f"{path.name}: not UTF-8 text; save the suite as UTF-8") from None


def read_jsonl(path: Path) -> Suite:
    """citeqa's native suite: one JSON object a line."""
    cases = []
    for n, line in enumerate(_read_text(path).splitlines(), 1):
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


def _load_json(path: Path) -> object:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise SuiteFormatError(f"{path.name}:{exc.lineno}: not JSON ({exc.msg})") from None


def read_squad(path: Path, data: object = None) -> Suite:
    """SQuAD v1/v2 JSON: contexts become documents named by document id or title."""
    data = _load_json(path) if data is None else data
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise SuiteFormatError(f"{path.name}: not SQuAD JSON (no \"data\" list)")
    cases, documents = [], {}
    for a, article in enumerate(data["data"]):
        paragraphs = article.get("paragraphs") if isinstance(article, dict) else None
        if not isinstance(paragraphs, list):
            raise SuiteFormatError(f"{path.name}: data[{a}]: no \"paragraphs\" list")
        for p, para in enumerate(paragraphs):
            where = f"{path.name}: data[{a}].paragraphs[{p}]"
            if not isinstance(para, dict) or not isinstance(para.get("context"), str):
                raise SuiteFormatError(f"{where}: no \"context\" text")
            base = para.get("document_id") or article.get("title") or f"doc-{a}"
            name = f"{base}.txt" if len(paragraphs) == 1 else f"{base}-{p}.txt"
            name = str(name).replace("/", "_")
            documents[name] = para["context"]
            for q, qa in enumerate(para.get("qas", [])):
                if not isinstance(qa, dict) or not isinstance(qa.get("question"), str):
                    raise SuiteFormatError(f"{where}.qas[{q}]: no \"question\"")
                impossible = bool(qa.get("is_impossible"))
                answers = list(dict.fromkeys(x["text"] for x in qa.get("answers", [])))
                cases.append(Case(str(qa.get("id", f"{a}-{p}-{q}")),
                                  [Turn(qa["question"], answers, not impossible, name)]))
    return Suite(path.stem, cases, documents)


def read_rag_dataset(path: Path, data: object = None) -> Suite:
    """llama-index ``LabelledRagDataset`` JSON: examples[] of query, reference_answer,
    reference_contexts; the contexts become the documents."""
    data = _load_json(path) if data is None else data
    if not isinstance(data, dict) or not isinstance(data.get("examples"), list):
        raise SuiteFormatError(f"{path.name}: not a LabelledRagDataset (no \"examples\" list)")
    cases, documents, names = [], {}, {}
    for i, example in enumerate(data["examples"]):
        where = f"{path.name}: examples[{i}]"
        if not isinstance(example, dict) or not isinstance(example.get("query"), str) \
                or not example["query"].strip():
            raise SuiteFormatError(f"{where}: needs a non-empty \"query\"")
        answer = example.get("reference_answer") or ""
        contexts = example.get("reference_contexts") or []
        if not isinstance(answer, str) or not isinstance(contexts, list) \
                or not all(isinstance(c, str) for c in contexts):
            raise SuiteFormatError(f"{where}: \"reference_answer\" must be text and "
                                   f"\"reference_contexts\" a list of texts")
        for text in contexts:
            if text not in names:
                digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
                names[text] = f"context-{len(names) + 1:04d}-{digest}.txt"
                documents[names[text]] = text
        source = names[contexts[0]] if contexts else None
        turn = Turn(example["query"], [answer] if answer else [], bool(answer), source, contexts)
        cases.append(Case(str(example.get("id", f"example-{i + 1}")), [turn]))
    return Suite(path.stem, cases, documents)


def read_csv(path: Path) -> Suite:
    """CSV with a header ``question,answer[,source]``; an empty answer marks an unanswerable
    question, and ``|`` separates alternative answers."""
    text = _read_text(path, "utf-8-sig")
    reader = csv.reader(text.splitlines())
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:2] != ["question", "answer"] or not set(header) <= {"question", "answer", "source", "id"}:
        raise SuiteFormatError(f"{path.name}:1: the header must be question,answer[,source] "
                               f"(got {','.join(header) or 'nothing'})")
    cases = []
    for row in reader:
        where = f"{path.name}:{reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise SuiteFormatError(f"{where}: {len(row)} fields; the header has {len(header)}")
        data = dict(zip(header, (cell.strip() for cell in row)))
        answers = [a.strip() for a in data.get("answer", "").split("|") if a.strip()]
        turn = _turn({"question": data.get("question", ""), "answers": answers,
                      "answerable": bool(answers)}, where)
        turn.source = data.get("source") or None
        cases.append(Case(data.get("id") or f"row-{reader.line_num}", [turn]))
    return Suite(path.stem, cases)


def read_suite(path: str | Path) -> Suite:
    """Read a suite by its format: JSONL, CSV, or JSON (SQuAD or LabelledRagDataset)."""
    path = Path(path)
    if not path.is_file():
        raise SuiteFormatError(f"{path}: no such suite file")
    if path.suffix == ".jsonl":
        return read_jsonl(path)
    if path.suffix == ".csv":
        return read_csv(path)
    if path.suffix == ".json":
        data = _load_json(path)
        if isinstance(data, dict) and "examples" in data:
            return read_rag_dataset(path, data)
        return read_squad(path, data)
    raise SuiteFormatError(f"{path.name}: unknown suite format; use .jsonl, .csv, or .json "
                           "(SQuAD or LabelledRagDataset)")


def select_cases(cases: list[Case], limit: int | None = None, sample: int | None = None) -> list[Case]:
    """The first ``limit`` cases, or a fixed, evenly spaced ``sample`` of them."""
    if sample and sample < len(cases):
        step = len(cases) / sample
        cases = [cases[int(i * step)] for i in range(sample)]
    return cases[:limit] if limit else cases
