"""Read eval suites: citeqa JSONL (single and multi-turn), SQuAD JSON, LabelledRagDataset JSON, CSV."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
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
    """An eval case: one turn, or several for a conversation; ``where`` names its place in the
    suite file (file:line, or the SQuAD article and question id)."""

    id: str
    turns: list[Turn]
    where: str = ""


@dataclass
class Suite:
    """Cases, plus documents (name → text) when the suite carries its own (SQuAD)."""

    name: str
    cases: list[Case]
    documents: dict[str, str] = field(default_factory=dict)


def _flag(data: dict, key: str, default: bool, where: str) -> bool:
    """A true/false field; a string such as "false" is refused, not read as true."""
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise SuiteFormatError(f"{where}: \"{key}\" must be true or false (got {json.dumps(value)})")
    return value


def _turn(data: object, where: str) -> Turn:
    if not isinstance(data, dict):
        raise SuiteFormatError(f"{where}: a turn must be a JSON object with a \"question\" "
                               f"(got {type(data).__name__})")
    if not isinstance(data.get("question"), str) or not data["question"].strip():
        raise SuiteFormatError(f"{where}: a case needs a non-empty \"question\"")
    answers = data.get("answers", [])
    if isinstance(answers, str):
        answers = [answers]
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise SuiteFormatError(f"{where}: \"answers\" must be a list of strings")
    answerable = _flag(data, "answerable", True, where)
    if answerable and not answers:
        raise SuiteFormatError(f"{where}: an answerable case needs \"answers\"")
    contexts = data.get("contexts", [])
    if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
        raise SuiteFormatError(f"{where}: \"contexts\" must be a list of strings")
    source = data.get("source")
    if source is not None and not isinstance(source, str):
        raise SuiteFormatError(f"{where}: \"source\" must be a file name")
    return Turn(data["question"], answers, answerable, source, contexts)


def _read_text(path: Path) -> str:
    """A suite file's text (a UTF-8 byte-order mark is dropped), or SuiteFormatError when it
    is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SuiteFormatError(f"{path.name}: not UTF-8 text; save the suite as UTF-8") from None


MAX_NAME = 120  # characters of a document name made from a title
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def document_name(base: object) -> str:
    """A file name from a SQuAD title or document id that can always be written and indexed:
    NFC, no control characters or path separators, no leading dot (hidden files are skipped),
    at most MAX_NAME characters (a long one keeps a hash of the whole)."""
    text = unicodedata.normalize("NFC", str(base))
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc"))
    name = _UNSAFE.sub("_", text).strip().lstrip(".").strip() or "document"
    if len(name) > MAX_NAME:
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
        name = f"{name[:MAX_NAME - 9].rstrip()}-{digest}"
    return name


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
            turns = [_turn(t, f"{where}: turns[{i}]") for i, t in enumerate(data["turns"])]
        else:
            turns = [_turn(data, where)]
        cases.append(Case(case_id, turns, where))
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
            base = document_name(para.get("document_id") or article.get("title") or f"doc-{a}")
            name = f"{base}.txt" if len(paragraphs) == 1 else f"{base}-{p}.txt"
            documents[name] = para["context"]
            qas = para.get("qas", [])
            if not isinstance(qas, list):
                raise SuiteFormatError(f"{where}: \"qas\" must be a list of questions")
            for q, qa in enumerate(qas):
                at = f"{where}.qas[{q}]" + (f" (id {qa['id']})" if isinstance(qa, dict)
                                            and isinstance(qa.get("id"), (str, int)) else "")
                if not isinstance(qa, dict) or not isinstance(qa.get("question"), str) \
                        or not qa["question"].strip():
                    raise SuiteFormatError(f"{at}: no \"question\"")
                impossible = _flag(qa, "is_impossible", False, at)
                answers = qa.get("answers", [])
                if not isinstance(answers, list) or not all(
                        isinstance(x, dict) and isinstance(x.get("text"), str) for x in answers):
                    raise SuiteFormatError(f"{at}: \"answers\" must be a list of objects with a "
                                           f"\"text\" string (SQuAD: {{\"text\": ..., "
                                           f"\"answer_start\": ...}})")
                texts = list(dict.fromkeys(x["text"] for x in answers))
                if not impossible and not texts:
                    raise SuiteFormatError(f"{at}: an answerable question needs \"answers\" "
                                           f"(or \"is_impossible\": true)")
                cases.append(Case(str(qa.get("id", f"{a}-{p}-{q}")),
                                  [Turn(qa["question"], texts, not impossible, name)], at))
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
        cases.append(Case(str(example.get("id", f"example-{i + 1}")), [turn], where))
    return Suite(path.stem, cases, documents)


def read_csv(path: Path) -> Suite:
    """CSV with a header ``question,answer[,source]``; an empty answer marks an unanswerable
    question, and ``|`` separates alternative answers."""
    reader = csv.reader(io.StringIO(_read_text(path), newline=""), strict=True)
    try:
        return _csv_cases(path, reader)
    except csv.Error as exc:
        raise SuiteFormatError(f"{path.name}:{reader.line_num}: not valid CSV ({exc}); an "
                               f"unterminated quote?") from None


def _csv_cases(path: Path, reader) -> Suite:
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
        cases.append(Case(data.get("id") or f"row-{reader.line_num}", [turn], where))
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
