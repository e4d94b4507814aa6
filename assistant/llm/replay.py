"""Record a real LLM's replies to a suite once, then replay them: LLM mode's checks (markers,
support, citations) can be measured and changed in seconds without running the model again.

    python -m assistant.llm.replay record evals/suites/trust/dev.jsonl --index IX --replies R.json
    python -m assistant.llm.replay replay evals/suites/trust/dev.jsonl --index IX --replies R.json

``record`` asks the LLM of ``--llm-url`` (default ``local``: the bundled model) and keeps each
reply under its prompt; ``replay`` answers every prompt with the recorded reply (a prompt that
was not recorded, e.g. after a prompt change, fails like an unreachable LLM and falls back).
Both print the suite's summary as ``citeqa eval`` does (and take its --out/--sample)."""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path

from assistant import Assistant
from assistant.errors import LLMError
from evals.runner import run_suite


def _key(system: str, user: str) -> str:
    return hashlib.sha256(f"{system}\x00{user}".encode()).hexdigest()


class Recorder:
    """An LLM client that asks ``client`` and keeps every reply under its prompt."""

    def __init__(self, client, replies: dict):
        self.client, self.replies, self.url = client, replies, client.url

    def complete(self, system: str, user: str) -> str:
        reply = self.client.complete(system, user)
        self.replies[_key(system, user)] = reply
        return reply

    def stream(self, system: str, user: str, stop: tuple[str, ...] = ()):
        parts = []
        try:
            for part in self.client.stream(system, user, stop=stop):
                parts.append(part)
                yield part
        finally:  # also when the reader stops early (a looping reply is cut off)
            self.replies[_key(system, user)] = "".join(parts)


class Replayer:
    """An LLM client that answers each prompt with its recorded reply."""

    url = "replay"

    def __init__(self, replies: dict):
        self.replies = replies

    def complete(self, system: str, user: str) -> str:
        try:
            return self.replies[_key(system, user)]
        except KeyError:
            raise LLMError("no recorded reply for this prompt") from None

    def stream(self, system: str, user: str, stop: tuple[str, ...] = ()):
        reply = self.complete(system, user)
        for word in stop:  # as the server would have stopped
            reply = reply.split(word)[0]
        yield from re.findall(r"\S+\s*|\s+", reply)  # in pieces, as it streamed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.llm.replay", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("record", "replay"))
    parser.add_argument("suite")
    parser.add_argument("--index", required=True)
    parser.add_argument("--replies", required=True, help="the JSON file of recorded replies")
    parser.add_argument("--llm-url", default="local")
    parser.add_argument("--llm-model")
    parser.add_argument("--sample", type=int)
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    path = Path(args.replies)
    replies = json.loads(path.read_text()) if path.exists() else {}
    qa = Assistant.open(args.index, llm_url=args.llm_url, llm_model=args.llm_model)
    if args.action == "record":
        qa.llm = Recorder(qa.llm, replies)
    else:
        qa.llm = Replayer(replies)
    try:
        return run_suite(qa, args.suite, out=args.out, sample=args.sample, progress=False)
    finally:
        if args.action == "record":
            path.write_text(json.dumps(replies, indent=0, ensure_ascii=False))


if __name__ == "__main__":
    raise SystemExit(main())
