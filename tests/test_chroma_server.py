"""Server mode: a real `chroma run` on 127.0.0.1 holds the vectors; two app instances share it."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant import Assistant

CHROMA = Path(sys.executable).with_name("chroma")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _heartbeat(url: str) -> bool:
    for path in ("/api/v2/heartbeat", "/api/v1/heartbeat"):
        try:
            with urllib.request.urlopen(url + path, timeout=1) as reply:
                if reply.status == 200 and "nanosecond heartbeat" in json.loads(reply.read()):
                    return True
        except (OSError, ValueError):
            continue
    return False


@pytest.fixture
def chroma_server(tmp_path):
    """A `chroma run` on a free loopback port; stopped at the end of the test."""
    if not CHROMA.exists():
        pytest.skip("the chroma command is not installed beside this python")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "chroma.log").open("w")
    server = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(tmp_path / "chroma-data"), "--host", "127.0.0.1",
         "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not _heartbeat(url):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chroma run did not come up: {(tmp_path / 'chroma.log').read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_ingest_and_answer_through_a_chroma_server(tmp_path, docs_dir, chroma_server):
    index = tmp_path / "shared-index"
    qa = Assistant.open(index, chroma_url=chroma_server)
    report = qa.ingest([docs_dir])
    assert report.added == ["mexico-border-troops.txt"]
    assert not (index / "chroma").exists()  # the vectors live in the server, not the folder
    assert qa.index.vectors.count() > 0

    # a second app instance (another process in a deployment) sharing the server and the folder
    other = Assistant.open(index, chroma_url=chroma_server)
    answer = other.ask("How many troops?")
    assert not answer.abstained
    assert any("10,000" in c.text for c in answer.citations)
    assert answer.citations[0].source == "mexico-border-troops.txt"

    # a removal through one instance is seen by the other
    shutil.rmtree(docs_dir)
    docs_dir.mkdir()
    assert qa.ingest([docs_dir]).removed == ["mexico-border-troops.txt"]
    assert qa.index.vectors.count() == 0
