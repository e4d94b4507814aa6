"""A short smoke run of the HTTP load test (loopback only): a real `citeqa serve`, clients asking
on /api/ask while generated documents are uploaded through the UI's upload endpoint."""

import json
import subprocess
import sys

from tests.conftest import ROOT, SAMPLE_DIR


def test_load_with_an_ingest_alongside(tmp_path):
    index = tmp_path / "ix"
    done = subprocess.run([sys.executable, "-m", "assistant", "ingest", str(SAMPLE_DIR),
                           "--index", str(index), "--quiet"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    run = subprocess.run([sys.executable, "-m", "evals.bench.http_load", "--serve",
                          "--index", str(index),
                          "--clients", "2", "--seconds", "4", "--ingest-generated", "6",
                          "--ingest-batch", "3", "--max-p95-ms", "60000"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = run.stdout
    result = json.loads(out[out.index("{"):])
    assert run.returncode == 0, (out, run.stderr[-2000:])
    assert result["failures"] == 0 and result["requests"] >= 2, result
    assert result["ingest"]["added"] == 6 and result["ingest"]["failed"] == 0, result
    docs = subprocess.run([sys.executable, "-m", "assistant", "docs", "--json", "--index",
                           str(index)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert len(json.loads(docs.stdout)) == 7
