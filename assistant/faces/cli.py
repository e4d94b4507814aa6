"""The ``citeqa`` command: ingest, ask, chat, eval, bench, serve, docs (options: cli_parser.py)."""

from __future__ import annotations

import json
import sys

from assistant.faces.cli_parser import build_parser
from assistant.faces.terminal import safe, say


def _assistant(args, index: str | None = None):
    """The Assistant the options ask for (over ``index`` when given, else --index)."""
    from assistant.core import Assistant

    extra = {k: getattr(args, k, None) for k in ("llm_url", "llm_model", "llm_api_key",
                                                 "llm_timeout", "allowed_hosts", "reader")}
    return Assistant.open(index=index or args.index, embed_model=args.embed_model,
                          chroma_url=args.chroma_url, embed_backend=args.embed_backend, **extra)


def _progress(quiet: bool):
    """A tqdm bar over the files being read, then over the sentences being embedded."""
    from evals.progress import progress_bar

    # None: no bar when stderr is not a terminal (a log keeps one-line errors only)
    bar = progress_bar(total=0, unit="file", show=not quiet, leave=False)

    def update(done: int, total: int, what: str) -> None:
        bar.unit = "sentence" if what.startswith("embedding") else "file"
        bar.total = total
        bar.n = done
        bar.set_description(safe(what)[:60], refresh=False)
        bar.refresh()

    return update, bar.close


RENAMED = ("names are compared in Unicode NFC, without invisible or direction characters; "
           "when another file already has the name, its folder goes before it")


def shown_name(name: str) -> str:
    """A name with its combining, invisible and control characters written as escapes
    ('re\\u0301sume\\u0301.txt'), so two look-alikes print differently."""
    import unicodedata

    return "'" + "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Mn", "Cf", "Cc")
                         else c for c in name) + "'"


def cmd_ingest(args) -> int:
    qa = _assistant(args)
    update, close = _progress(args.quiet)
    try:
        report = qa.ingest(args.paths, progress=update)
    finally:
        close()
    for source, reason in report.errors:
        say(f"skipped {source}: {reason}", file=sys.stderr)
    for source, share in report.repetitive:
        say(f"note: {source}: {share:.0%} of its chunks repeat others (each text is searched "
            f"once, so it cannot crowd out the other documents)", file=sys.stderr)
    for written, source in report.renamed:
        say(f"named {shown_name(written)} as {source!r}: {RENAMED}", file=sys.stderr)
    count = len(qa.documents())
    say(f"{report.summary()} ({count} document{'' if count == 1 else 's'} in {qa.folder})")
    return 1 if report.errors and not (report.added or report.updated) else 0


def _print_answer(answer) -> None:
    """The answer, its sources, and any warning."""
    for warning in answer.warnings:
        say(f"citeqa: warning: {warning}", file=sys.stderr)
    say(answer.text)
    for c in answer.citations:
        where = f"p. {c.page}" if c.page else f"chars {c.start}-{c.end}"
        say(f"  [{c.id}] {c.source} ({where})")


def _await_answer(items):
    """The Answer at the end of an answer stream. An LLM's reply is never printed as it
    streams (the checks have not read it yet: a document could have steered the model); on a
    terminal a status line on stderr counts its words and is cleared before the answer."""
    status = sys.stderr.isatty()
    words = 0
    try:
        for item in items:
            if not isinstance(item, str):
                return item
            words += len(item.split())
            if status:
                print(f"\rciteqa: the LLM is writing ({words} words); checking follows",
                      end="", file=sys.stderr, flush=True)
    finally:
        if status and words:
            print("\r\x1b[2K", end="", file=sys.stderr, flush=True)
    raise RuntimeError("the answer stream ended without an answer")  # pragma: no cover


def cmd_ask(args) -> int:
    qa = _assistant(args)
    if args.json:
        print(json.dumps(qa.ask(args.question, top_k=args.top_k).to_dict(), ensure_ascii=False))
    else:
        _print_answer(_await_answer(qa.ask_stream(args.question, top_k=args.top_k)))
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
            _print_answer(_await_answer(conversation.ask_stream(question, top_k=args.top_k)))
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
    from evals.bench.corpus import run_bench

    return run_bench(lambda index: _assistant(args, index), args.corpus, index=args.index,
                     questions=args.questions,
                     asks=args.asks, top_k=args.top_k, json_out=args.json_out,
                     progress=not args.quiet)


def cmd_serve(args) -> int:
    from assistant.faces.serve import serve

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
            say(f"{d.chunks:6d} chunk{' ' if d.chunks == 1 else 's'}  {d.source}")
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
