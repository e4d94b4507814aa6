"""Whole-process ingest timings, back to back in one run: citeqa's backends and the peer.

    python -m evals.bench.ingest DOCS [--systems peer,onnx,onnx-int8] [--rounds 2] [--json F]

Each system ingests DOCS into a fresh index folder as its own process (``python -m assistant
ingest`` or ``python -m evals.bench.peer ingest``), timed from outside: wall seconds, CPU seconds
(user + system, from the child's rusage) and peak resident memory. Rounds alternate the order,
so a neighbour's load falls on every system alike; ratios are to the first system. The peer
needs the ``bench`` extra. On a shared machine only ratios from one run mean anything.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BACKENDS = ("onnx", "onnx-int8", "torch")


def command(system: str, docs: list[str], index: str) -> list[str]:
    """The ingest command line of ``system`` ("peer" or a citeqa embedding backend)."""
    if system == "peer":
        return [sys.executable, "-m", "evals.bench.peer", "ingest", *docs, "--index", index]
    if system not in BACKENDS:
        raise SystemExit(f"bench_ingest: unknown system {system!r}; choose peer or one of "
                         f"{', '.join(BACKENDS)}")
    return [sys.executable, "-m", "assistant", "ingest", *docs, "--index", index, "--quiet",
            "--embed-backend", system]


def run_once(system: str, docs: list[str], work: Path) -> dict:
    """One ingest into a new folder: wall, CPU and peak memory of the whole process."""
    index = work / f"ix-{system}"
    shutil.rmtree(index, ignore_errors=True)
    with tempfile.TemporaryFile(mode="w+") as errors:  # a file, not a pipe: progress bars
        started = time.perf_counter()                     # cannot fill it and stall the child
        child = subprocess.Popen(command(system, docs, str(index)), stdout=subprocess.DEVNULL,
                                 stderr=errors, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if child.returncode:
            errors.seek(0)
            last = (errors.read().strip().splitlines() or ["no message"])[-1]
            raise SystemExit(f"bench_ingest: {system} failed ({child.returncode}): {last}")
    shutil.rmtree(index, ignore_errors=True)
    return {"wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench.ingest",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("docs", nargs="+", help="folders or files to ingest")
    parser.add_argument("--systems", default="peer,onnx,onnx-int8",
                        help="comma-separated: peer, onnx, onnx-int8, torch (ratios to the first)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat, alternating the order")
    parser.add_argument("--json", help="write every run and the summary here")
    args = parser.parse_args(argv)
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    runs: dict[str, list[dict]] = {s: [] for s in systems}
    work = Path(tempfile.mkdtemp(prefix="citeqa-bench-ingest-"))
    try:
        for round_no in range(args.rounds):
            for system in systems if round_no % 2 == 0 else systems[::-1]:
                result = run_once(system, args.docs, work)
                runs[system].append(result)
                print(f"round {round_no + 1} {system:<10} {result['wall_s']:>7} s wall "
                      f"{result['cpu_s']:>7} s CPU {result['peak_rss_mb']:>6} MB", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = {s: {k: round(min(r[k] for r in rs), 1) for k in rs[0]} for s, rs in runs.items()}
    base = summary[systems[0]]
    print(f"{'system':<10} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} {'wall ratio':>11} "
          f"{'CPU ratio':>10}  (best of {args.rounds}; ratios: {systems[0]} / system)")
    for system, best in summary.items():
        print(f"{system:<10} {best['wall_s']:>8} {best['cpu_s']:>8} {best['peak_rss_mb']:>8} "
              f"{base['wall_s'] / best['wall_s']:>10.2f}x {base['cpu_s'] / best['cpu_s']:>9.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"docs": args.docs, "runs": runs,
                                               "best": summary}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
