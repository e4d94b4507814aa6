"""The citeqa command as users run it: subprocesses, JSON output, exit codes, one-line errors."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SAMPLE, SAMPLE_DIR


def citeqa(*args, env=None):
    run_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=ROOT,
                          capture_output=True, text=True, env=run_env, timeout=600)


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli") / "index"
    done = citeqa("ingest", str(SAMPLE.parent), "--index", str(folder), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "1 added" in done.stdout
    return folder


def test_ask_json_contract(cli_index):
    done = citeqa("ask", "How many troops?", "--json", "--index", str(cli_index))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"question", "answer", "short", "abstained", "confidence", "citations",
                         "timings_ms"}
    assert data["question"] == "How many troops?" and data["abstained"] is False
    assert 0 < data["confidence"] <= 1
    # the short answer leads the answer, each phrase with the marker of the citation it is in
    assert data["answer"].startswith(data["short"])
    texts = {c["id"]: c["text"] for c in data["citations"]}
    for part in data["short"].split(" · "):
        phrase, marker = part.rsplit(" [", 1)
        assert phrase in texts[int(marker.rstrip("]"))]
    document = SAMPLE.read_text(encoding="utf-8")
    for c in data["citations"]:
        assert {"id", "source", "text", "start", "end", "score"} <= set(c)
        assert document[c["start"]:c["end"]] == c["text"]
        if "highlight" in c:
            a, b = c["highlight"]
            assert 0 <= a < b <= len(c["text"])
    assert set(data["timings_ms"]) == {"retrieve", "answer", "total"}


def test_index_from_environment_and_docs_listing(cli_index):
    done = citeqa("docs", "--json", env={"CITEQA_INDEX": str(cli_index)})
    assert done.returncode == 0, done.stderr
    docs = json.loads(done.stdout)
    assert docs == [{"source": "mexico-border-troops.txt", "chunks": docs[0]["chunks"]}]
    assert docs[0]["chunks"] >= 2


@pytest.mark.parametrize("args, message", [
    (["ask", "   "], "question is empty"),
    (["docs", "remove", "nope.txt"], "no document named 'nope.txt'"),
])
def test_user_errors_exit_1_with_one_line(cli_index, args, message):
    done = citeqa(*args, "--index", str(cli_index))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in done.stderr


def test_missing_index_and_paths(tmp_path):
    done = citeqa("ask", "How many troops?", "--index", str(tmp_path / "none"))
    assert done.returncode == 1 and "citeqa ingest" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    done = citeqa("ingest", str(tmp_path / "missing"), "--index", str(tmp_path / "ix"))
    assert done.returncode == 1 and "no such file" in done.stderr


def test_usage_errors_exit_2():
    assert citeqa("frobnicate").returncode == 2
    assert citeqa("ask").returncode == 2


def test_help_lists_commands():
    done = citeqa("--help")
    assert done.returncode == 0
    for command in ("ingest", "ask", "chat", "eval", "serve", "docs"):
        assert command in done.stdout


def test_serve_says_where_it_is_once_ready(cli_index):
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--index",
                               str(cli_index), "--port", str(port)], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True)
    try:
        line = server.stderr.readline().strip()
        assert line.startswith("citeqa: serving") and f"http://127.0.0.1:{port}" in line, line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/docs", timeout=30) as resp:
            assert resp.status == 200  # ready means ready
    finally:
        server.terminate()
        server.wait(30)
        server.stderr.close()


def test_the_serve_line_names_the_llm_that_writes_answers():
    from assistant import Assistant
    from assistant.faces.serve import ready_line

    local = Assistant.open("/nonexistent-index", llm_url="local")
    ollama = Assistant.open("/nonexistent-index", llm_url="http://localhost:11434/v1",
                            llm_model="llama3.2")
    assert ready_line(local, "127.0.0.1", 7860).endswith(
        "; answers written by the bundled Qwen2.5-Coder-1.5B (LLM mode)")
    assert "answers written by llama3.2 at http://localhost:11434/v1" in ready_line(
        ollama, "127.0.0.1", 7860)
    assert "LLM" not in ready_line(Assistant.open("/nonexistent-index"), "127.0.0.1", 7860)


def _under_a_terminal(argv: list[str]) -> str:
    """What a command writes to a pseudo-terminal (a program's pty reports 0 columns)."""
    import pty

    output = bytearray()

    def read(fd):
        data = os.read(fd, 4096)
        output.extend(data)
        return data

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        status = pty.spawn([sys.executable, "-m", "assistant", *argv], read)
    finally:
        os.chdir(cwd)
    assert os.waitstatus_to_exitcode(status) == 0, output.decode("utf-8", "replace")[-2000:]
    return output.decode("utf-8", "replace")


def test_ingest_and_eval_show_a_live_bar_on_a_terminal_and_nothing_on_a_pipe(tmp_path):
    index = str(tmp_path / "ix")
    shown = _under_a_terminal(["ingest", str(SAMPLE_DIR), "--index", index])
    assert "%|" in shown and "sentence" in shown  # the bar, over the sentences embedded
    assert "1 added" in shown.rstrip().splitlines()[-1]  # then one line: the summary
    suite = str(ROOT / "evals/suites/sample.jsonl")
    shown = _under_a_terminal(["eval", suite, "--index", index, "--limit", "3"])
    assert "eval: " in shown and "%|" in shown and "3/3" in shown
    piped = subprocess.run([sys.executable, "-m", "assistant", "ingest", str(SAMPLE_DIR),
                            "--index", str(tmp_path / "ix2")], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
    assert piped.returncode == 0 and "%|" not in piped.stderr + piped.stdout
    assert len((piped.stdout + piped.stderr).strip().splitlines()) == 1  # one line at the end
