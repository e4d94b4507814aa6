"""The ``citeqa`` command: ingest, ask, chat, eval, bench, serve, docs."""

from __future__ import annotations

import argparse
import json
import sys

from assistant.terminal import safe, say

EPILOG = """environment: CITEQA_INDEX, CITEQA_EMBED_MODEL, CITEQA_CHROMA_URL, CITEQA_PORT, CITEQA_AUTH,
CITEQA_ALLOWED_HOSTS, CITEQA_LLM_URL, CITEQA_LLM_MODEL, CITEQA_LLM_API_KEY, CITEQA_LLM_TIMEOUT.
exit status: 0 ok, 1 user error, 2 usage."""


def _common(parser: argparse.ArgumentParser) -> None:
    from index.embedding import BACKENDS
    parser.add_argument("--index", help="index folder (default: $CITEQA_INDEX or ./.citeqa)")
    parser.add_argument("--embed-model", help="embedding model: a local path or a model name "
                        "(default: the bundled all-MiniLM-L6-v2)")
    parser.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--embed-backend", choices=list(BACKENDS),
                        help="how vectors are computed (default: onnx on a CPU, torch with a GPU)")


def _llm(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("LLM mode (off unless --llm-url or $CITEQA_LLM_URL is set)")
    group.add_argument("--llm-url", help="an OpenAI-compatible base URL, e.g. Ollama's "
                       "http://localhost:11434/v1")
    group.add_argument("--llm-model", help="the model to ask, e.g. llama3.2")
    group.add_argument("--llm-api-key", help="API key, if the endpoint needs one")
    group.add_argument("--llm-timeout", type=float, metavar="SECONDS",
                       help="wait this long for the LLM, then answer extractively (default 60)")


def _port(text: str) -> int:
    """An argparse type: a TCP port, 1 to 65535."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1 to 65535)")
    return int(text)


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
    p.add_argument("--top-k", type=int, help="chunks searched for the answer (default 10)")
    _common(p)
    _llm(p)

    p = sub.add_parser("chat", help="a conversation in the terminal")
    p.add_argument("--top-k", type=int)
    _common(p)
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
    p.add_argument("--top-k", type=int)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(p)
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
    p.add_argument("--top-k", type=int)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(p)

    p = sub.add_parser("serve", help="start the web UI")
    p.add_argument("--host", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=_port, help="port (default $CITEQA_PORT or 7860)")
    p.add_argument("--allowed-hosts", metavar="HOSTS", help="comma-separated host names the "
                   "server answers to besides loopback ones, e.g. qa.example.org (* for any; "
                   "default: loopback names on a loopback bind, any name on a wider bind)")
    _common(p)
    _llm(p)

    p = sub.add_parser("docs", help="list indexed documents, or remove one")
    p.add_argument("action", nargs="?", choices=["list", "remove"], default="list")
    p.add_argument("name", nargs="?", help="source name to remove")
    p.add_argument("--json", action="store_true")
    _common(p)
    return parser


def _assistant(args):
    from assistant.core import Assistant

    extra = {k: getattr(args, k, None) for k in ("llm_url", "llm_model", "llm_api_key",
                                                 "llm_timeout", "allowed_hosts")}
    return Assistant.open(index=args.index, embed_model=args.embed_model,
                          chroma_url=args.chroma_url, embed_backend=args.embed_backend, **extra)


def _progress(quiet: bool):
    """A tqdm bar over files, whose label follows the embedding."""
    from tqdm import tqdm

    # None: no bar when stderr is not a terminal (a log keeps one-line errors only)
    bar = tqdm(total=0, unit="file", file=sys.stderr, disable=True if quiet else None,
               leave=False)

    def update(done: int, total: int, what: str) -> None:
        bar.total = total
        bar.n = done
        bar.set_description(safe(what)[:60], refresh=False)
        bar.refresh()

    return update, bar.close


def cmd_ingest(args) -> int:
    qa = _assistant(args)
    update, close = _progress(args.quiet)
    try:
        report = qa.ingest(args.paths, progress=update)
    finally:
        close()
    for source, reason in report.errors:
        say(f"skipped {source}: {reason}", file=sys.stderr)
    say(f"{report.summary()} ({len(qa.documents())} documents in {qa.folder})")
    return 0


def _print_answer(answer, streamed: str = "") -> None:
    """The answer (unless it was streamed as is), its sources, and any warning."""
    for warning in answer.warnings:
        say(f"citeqa: warning: {warning}", file=sys.stderr)
    if streamed:
        say()
    if " ".join(streamed.split()) != " ".join(answer.text.split()):
        say(answer.text)
    for c in answer.citations:
        where = f"p. {c.page}" if c.page else f"chars {c.start}-{c.end}"
        say(f"  [{c.id}] {c.source} ({where})")


def _stream(items) -> tuple:
    """Print a streamed answer as it arrives; return (the Answer, the text printed)."""
    printed: list[str] = []
    for item in items:
        if isinstance(item, str):
            printed.append(item)
            say(item, end="", flush=True)
        else:
            return item, "".join(printed)
    raise RuntimeError("the answer stream ended without an answer")  # pragma: no cover


def cmd_ask(args) -> int:
    qa = _assistant(args)
    if args.json:
        print(json.dumps(qa.ask(args.question, top_k=args.top_k).to_dict(), ensure_ascii=False))
    else:
        _print_answer(*_stream(qa.ask_stream(args.question, top_k=args.top_k)))
    return 0


def cmd_chat(args) -> int:
    from assistant.errors import CiteqaError

    conversation = _assistant(args).chat()
    say("Ask about your documents; follow-up questions are understood in context. "
          "An empty line or Ctrl-D ends.", file=sys.stderr)
    while True:
        try:
            question = input("? ")
        except EOFError:
            return 0
        if not question.strip():
            return 0
        try:
            _print_answer(*_stream(conversation.ask_stream(question, top_k=args.top_k)))
        except CiteqaError as exc:
            say(f"citeqa: {exc}", file=sys.stderr)


def cmd_eval(args) -> int:
    from assistant.errors import CiteqaError
    from evals.runner import run_suite

    qa = _assistant(args)
    if args.judge and qa.llm is None:
        raise CiteqaError("--judge needs an LLM: set --llm-url and --llm-model (or CITEQA_LLM_URL "
                          "and CITEQA_LLM_MODEL)")
    return run_suite(qa, args.suite, docs=args.docs, out=args.out, limit=args.limit,
                     top_k=args.top_k, report=args.report, compare_with=args.compare,
                     gates=args.fail_under + args.fail_over, sample=args.sample,
                     progress=not args.quiet, judge=qa.llm.llm if args.judge else None)


def cmd_bench(args) -> int:
    from evals.bench import run_bench

    def factory(index):
        from assistant.core import Assistant

        return Assistant.open(index=index, embed_model=args.embed_model,
                              chroma_url=args.chroma_url, embed_backend=args.embed_backend)

    return run_bench(factory, args.corpus, index=args.index, questions=args.questions,
                     asks=args.asks, top_k=args.top_k, json_out=args.json_out,
                     progress=not args.quiet)


def cmd_serve(args) -> int:
    from assistant.serve import serve

    serve(_assistant(args), host=args.host, port=args.port)
    return 0


def cmd_docs(args) -> int:
    from assistant.errors import CiteqaError

    qa = _assistant(args)
    if args.action == "remove":
        if not args.name:
            raise CiteqaError("name the document to remove: citeqa docs remove NAME")
        if not qa.remove(args.name):
            names = ", ".join(d.source for d in qa.documents()[:10]) or "none"
            raise CiteqaError(f"no document named {args.name!r} in the index; indexed: {names}")
        say(f"removed {args.name}")
        return 0
    docs = qa.documents()
    if args.json:
        print(json.dumps([{"source": d.source, "chunks": d.chunks} for d in docs]))
    elif not qa.exists:
        say(f"no index in {qa.folder} yet; create it: citeqa ingest DOCS --index {qa.folder}")
    elif not docs:
        say(f"no documents in {qa.folder}")
    else:
        for d in docs:
            say(f"{d.chunks:6d} chunks  {d.source}")
    return 0


COMMANDS = {"ingest": cmd_ingest, "ask": cmd_ask, "chat": cmd_chat, "eval": cmd_eval,
            "bench": cmd_bench, "serve": cmd_serve, "docs": cmd_docs}


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors print one line and exit 1."""
    args = build_parser().parse_args(argv)
    from assistant.errors import CiteqaError

    try:
        return COMMANDS[args.command](args)
    except CiteqaError as exc:
        say(f"citeqa: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        say("citeqa: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `citeqa docs | head`: the reader has what it wanted
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
