"""Load test for POST /api/ask: N clients for T seconds on loopback; prints requests, failures, p50/p95.

    python -m evals.bench.http_load --url http://127.0.0.1:7860 --clients 8 --seconds 30
    python -m evals.bench.http_load --serve --index .citeqa   # starts `citeqa serve`, then stops it
    python -m evals.bench.http_load --serve --index IDX --ingest-generated 200   # and upload 200
        generated documents through the UI's upload endpoint while the questions run

Speaks plain HTTP only (no import of assistant/), so it can load any server with the same API;
the ingest alongside goes through the page's upload handler with gradio_client, as a browser's
upload does.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

QUESTIONS = ["How many troops?", "How much does Canada's plan cost?", "How many personnel?",
             "When was the deal announced?", "What is the population of Mexico City?"]


def suite_questions(path: str) -> list[str]:
    """Questions of a JSONL suite (first turn of conversations included)."""
    out = []
    for line in Path(path).read_text().splitlines():
        if line.strip():
            case = json.loads(line)
            out += [case["question"]] if "question" in case else [t["question"] for t in case["turns"]]
    return out or QUESTIONS


def ask_once(url: str, question: str, timeout: float) -> tuple[bool, float, str]:
    """One POST /api/ask: (ok, seconds, problem)."""
    body = json.dumps({"question": question}).encode()
    req = urllib.request.Request(f"{url}/api/ask", data=body,
                                 headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            data = json.loads(resp.read())
            ok = resp.status == 200 and "answer" in data
            return ok, time.perf_counter() - started, "" if ok else f"bad body {str(data)[:80]}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, time.perf_counter() - started, str(exc)[:120]


WORDS = ("harbour ferry archive council orchard bridge canal warden survey district ledger "
         "station granary quarry mill tower market chapel school depot").split()


def generate_documents(folder: Path, count: int, seed: int = 7) -> list[Path]:
    """``count`` distinct text documents of about 2 KB (sentences with names and numbers)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        lines = [f"Report {n} on the {rng.choice(WORDS)} of {rng.choice(WORDS).title()}ford.", ""]
        for i in range(14):
            a, b, c = rng.sample(WORDS, 3)
            lines.append(f"In {1850 + rng.randrange(170)} the {a} of district {n}-{i} counted "
                         f"{rng.randrange(2, 9000)} {b}s near the {c}.")
        path = folder / f"generated-{n:04d}.txt"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def ingest_alongside(url: str, files: list[Path], batch: int, out: dict) -> None:
    """Upload ``files`` in batches through the UI's upload handler (the same server, the same
    index); record files, batches, seconds, added and failures in ``out``."""
    from gradio_client import Client, handle_file

    started = time.perf_counter()
    out.update(files=len(files), batches=0, added=0, failed=0, problems=[])
    client = Client(url, verbose=False)
    for i in range(0, len(files), batch):
        try:
            status = client.predict([handle_file(str(f)) for f in files[i : i + batch]],
                                    api_name="/upload_event")[0]
            added = int(status.split(" added")[0].rsplit(">", 1)[-1])
            out["added"] += added
            if added != len(files[i : i + batch]):
                out["failed"] += 1
                out["problems"].append(status[:200])
        except Exception as exc:  # noqa: BLE001 - any failure of an upload is reported
            out["failed"] += 1
            out["problems"].append(f"{type(exc).__name__}: {str(exc)[:160]}")
        out["batches"] += 1
    out["seconds"] = round(time.perf_counter() - started, 1)


def run(url: str, clients: int, seconds: float, questions: list[str], timeout: float) -> dict:
    """Run the load; every client stops at the deadline (a request in flight ends by its timeout)."""
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    problems: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        i = n
        while time.monotonic() < deadline:
            ok, took, problem = ask_once(url, questions[i % len(questions)], timeout)
            i += 1
            with lock:
                latencies.append(took)
                if not ok:
                    problems.append(problem)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + timeout + 5)
    wall = time.monotonic() - started
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0.0

    return {"clients": clients, "seconds": round(wall, 1), "requests": len(latencies),
            "failures": len(problems), "rps": round(len(latencies) / wall, 1) if wall else 0,
            "p50_ms": round(pct(0.50), 1), "p95_ms": round(pct(0.95), 1),
            "max_ms": round(ordered[-1] * 1000, 1) if ordered else 0.0,
            "mean_ms": round(statistics.fmean(ordered) * 1000, 1) if ordered else 0.0,
            "problems": sorted(set(problems))[:5]}


def start_server(index: str, timeout: float = 120) -> tuple[subprocess.Popen, str]:
    """Start `python -m assistant serve` on a free loopback port; wait until /api/docs answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--index", index,
                             "--host", "127.0.0.1", "--port", str(port)],
                            cwd=Path(__file__).resolve().parents[2], env=dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with status {proc.returncode}")
        try:
            urllib.request.urlopen(f"{url}/api/docs", timeout=2).read()
            ask_once(url, QUESTIONS[0], 30)  # the first answer loads the stores
            return proc, url
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"the server did not answer on {url} within {timeout:.0f}s")


def main(argv: list[str] | None = None) -> int:
    """Parse options, run the load, print one JSON summary; exit 1 on failures or a slow p95."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860")
    parser.add_argument("--serve", action="store_true", help="start `citeqa serve` for the run")
    parser.add_argument("--index", default=os.environ.get("CITEQA_INDEX", ".citeqa"))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--timeout", type=float, default=10, help="per request, seconds")
    parser.add_argument("--suite", help="take questions from a JSONL suite")
    parser.add_argument("--max-p95-ms", type=float, default=2000)
    parser.add_argument("--ingest", metavar="DIR", help="while the load runs, upload the "
                        "documents of DIR through the UI's upload endpoint (same server and index)")
    parser.add_argument("--ingest-generated", type=int, metavar="N",
                        help="while the load runs, upload N generated documents (about 2 KB each)")
    parser.add_argument("--ingest-batch", type=int, default=10, help="files per upload")
    args = parser.parse_args(argv)
    questions = suite_questions(args.suite) if args.suite else QUESTIONS
    scratch = None
    files: list[Path] = []
    if args.ingest:
        files = sorted(p for p in Path(args.ingest).rglob("*")
                       if p.is_file() and p.suffix.lower() in {".txt", ".md", ".html", ".htm",
                                                               ".pdf", ".docx"})
    if args.ingest_generated:
        scratch = Path(tempfile.mkdtemp(prefix="citeqa-bench-"))
        files += generate_documents(scratch, args.ingest_generated)
    proc, url = start_server(args.index) if args.serve else (None, args.url.rstrip("/"))
    ingest: dict = {}
    try:
        worker = None
        if files:
            worker = threading.Thread(target=ingest_alongside,
                                      args=(url, files, args.ingest_batch, ingest), daemon=True)
            worker.start()
        result = run(url, args.clients, args.seconds, questions, args.timeout)
        if worker is not None:
            result["ingest_running_at_end"] = worker.is_alive()
            worker.join()
            result["ingest"] = ingest
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(json.dumps(result, indent=1))
    failed = result["failures"] or result.get("ingest", {}).get("failed")
    return 1 if failed or result["p95_ms"] > args.max_p95_ms else 0


if __name__ == "__main__":
    sys.exit(main())
