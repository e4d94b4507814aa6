"""The ``citeqa`` command's options and help (kept import-light so ``--help`` is quick)."""

from __future__ import annotations

import argparse

EPILOG = """environment: CITEQA_INDEX, CITEQA_EMBED_MODEL, CITEQA_CHROMA_URL, CITEQA_PORT, CITEQA_AUTH,
CITEQA_ALLOWED_HOSTS, CITEQA_EMBED_BACKEND, CITEQA_READER, CITEQA_MAX_UPLOAD_MB, CITEQA_LLM_URL,
CITEQA_LLM_MODEL, CITEQA_LLM_API_KEY, CITEQA_LLM_TIMEOUT, CITEQA_LLM_PASSAGES, CITEQA_MAX_QUESTION_CHARS.
exit status: 0 ok, 1 user error, 2 usage."""


def _common(parser: argparse.ArgumentParser) -> None:
    from index.embedding import BACKENDS
    parser.add_argument("--index", help="index folder (default: $CITEQA_INDEX or ./.citeqa)")
    parser.add_argument("--embed-model", help="embedding model: a local path or a model name "
                        "(default: the bundled all-MiniLM-L6-v2)")
    parser.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--embed-backend", choices=list(BACKENDS),
                        help="how vectors are computed (default: onnx on a CPU, torch with a GPU)")


def _reader(parser: argparse.ArgumentParser) -> None:
    from assistant.settings import READERS
    parser.add_argument("--reader", choices=list(READERS),
                        help="the reading model that picks the answering sentence and decides "
                        "'not in the documents': " + "; ".join(f"{k}: {v}" for k, v in
                                                              READERS.items())
                        + " (default: $CITEQA_READER or none)")


def _llm(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("LLM mode (off unless --llm-url or $CITEQA_LLM_URL is set)")
    group.add_argument("--llm-url", help="an OpenAI-compatible base URL, e.g. Ollama's "
                       "http://localhost:11434/v1, or 'local': the bundled model on a "
                       "llama.cpp server of citeqa's own")
    group.add_argument("--llm-model", help="the model to ask, e.g. llama3.2 (with --llm-url "
                       "local: a .gguf file or a bundled name, by default qwen2.5-1.5b)")
    group.add_argument("--llm-api-key", help="API key, if the endpoint needs one")
    group.add_argument("--llm-timeout", type=float, metavar="SECONDS",
                       help="wait this long for the LLM, then answer extractively (default 60)")


def _whole(what: str, low: int, high: int):
    """An argparse type: a whole number from ``low`` to ``high`` (usage errors exit 2)."""

    def parse(text: str) -> int:
        if not text.lstrip("-").isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what} ({low} to {high})")
        return int(text)

    return parse


_port = _whole("a port", 1, 65535)
_top_k = _whole("a number of chunks", 1, 50)  # what the HTTP API takes too


def _gate(under: bool):
    """An argparse type for ``METRIC=VALUE`` gates (usage errors exit 2)."""

    def parse(text: str):
        from evals.compare import parse_gate

        try:
            return parse_gate(text, under=under)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (kept import-light so --help is quick)."""
    from index.loaders import LOADERS
    parser = argparse.ArgumentParser(
        prog="citeqa", description="Ask questions of your documents; answers cite the sentences "
        "they rest on.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("ingest", help="index files and folders (incremental)",
                       description=f"Index {' '.join(LOADERS)} files; unchanged files are "
                       "skipped, changed ones replaced, vanished ones removed. A file is named by "
                       "its path relative to the folder given; see the README for clashes.")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(p)

    p = sub.add_parser("ask", help="answer one question with citations")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    p.add_argument("--top-k", type=_top_k, help="chunks searched for the answer, 1 to 50 "
                   "(default 10)")
    _common(p)
    _reader(p)
    _llm(p)

    p = sub.add_parser("chat", help="a conversation in the terminal")
    p.add_argument("--top-k", type=_top_k, help="chunks searched per question, 1 to 50")
    _common(p)
    _reader(p)
    _llm(p)

    p = sub.add_parser("eval", help="score the assistant on a suite of questions",
                       description="Suites: citeqa JSONL, CSV (question,answer[,source]), SQuAD "
                       "JSON or llama-index LabelledRagDataset JSON. Exit status 1 when a "
                       "--fail-under/--fail-over gate fails.")
    p.add_argument("suite")
    p.add_argument("--docs", action="append", metavar="PATH",
                   help="documents to ingest first (SQuAD contexts are ingested when no index "
                   "exists)")
    p.add_argument("--out", help="write per-case results and the summary as JSON")
    p.add_argument("--report", metavar="HTML", help="write a self-contained HTML report")
    p.add_argument("--compare", metavar="OLD_JSON",
                   help="an earlier --out file: show metric deltas and the cases that regressed")
    p.add_argument("--fail-under", action="append", default=[], metavar="METRIC=VALUE",
                   type=_gate(True), help="exit 1 when METRIC falls below VALUE, e.g. "
                   "passed=0.9 or passed=90%% (repeatable)")
    p.add_argument("--fail-over", action="append", default=[], metavar="METRIC=VALUE",
                   type=_gate(False), help="exit 1 when a lower-is-better METRIC rises above "
                   "VALUE, e.g. latency_p95_ms=200 or false_abstention=5%% (repeatable)")
    p.add_argument("--judge", action="store_true",
                   help="also score each answer's faithfulness and relevancy with the configured "
                   "LLM (llama-index evaluators; needs --llm-url; reported as judged_*)")
    p.add_argument("--limit", type=int, help="only the first N cases")
    p.add_argument("--sample", type=int, metavar="N",
                   help="a fixed, evenly spaced selection of N cases (e.g. a CI slice)")
    p.add_argument("--top-k", type=_top_k, help="chunks searched per question, 1 to 50")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(p)
    _reader(p)
    _llm(p)

    p = sub.add_parser("bench", help="measure ingest throughput, ask latency and memory",
                       description="Ingest CORPUS (folders, files, or a suite whose documents "
                       "it carries) into a fresh index, then time warm questions.")
    p.add_argument("corpus", nargs="+", metavar="CORPUS")
    p.add_argument("--questions", metavar="SUITE",
                   help="a suite whose questions to time (default: the corpus suite's, else "
                   "questions made from the corpus text)")
    p.add_argument("--asks", type=int, default=50, help="questions to time (default 50)")
    p.add_argument("--json", metavar="FILE", dest="json_out", help="also write the results as JSON")
    p.add_argument("--top-k", type=_top_k, help="chunks searched per question, 1 to 50")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(p)
    _reader(p)
    _llm(p)

    p = sub.add_parser("serve", help="start the web UI")
    p.add_argument("--host", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=_port, help="port (default $CITEQA_PORT or 7860)")
    p.add_argument("--allowed-hosts", metavar="HOSTS", help="comma-separated host names the "
                   "server answers to besides loopback ones, e.g. qa.example.org (* for any; "
                   "default: loopback names on a loopback bind, any name on a wider bind)")
    _common(p)
    _reader(p)
    _llm(p)

    p = sub.add_parser("docs", help="list indexed documents, or remove one")
    p.add_argument("action", nargs="?", choices=["list", "remove"], default="list")
    p.add_argument("name", nargs="?", help="source name to remove")
    p.add_argument("--json", action="store_true")
    _common(p)
    return parser


