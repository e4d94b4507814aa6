"""Security checks not covered elsewhere (see also test_http: auth and the wide-bind warning;
test_ui: escaping in the browser and the upload limit in the page; test_ingest: HTML reduced to
text, model weights checked by hash): loopback by default, upload names and sizes on the server."""

from __future__ import annotations

import json
import os
import tempfile
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from assistant import Assistant
from tests.conftest import SAMPLE_DIR


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from assistant.http import start_background

    folder = tmp_path_factory.mktemp("sec")
    qa = Assistant.open(folder / "ix", max_upload_mb=1)
    qa.ingest([SAMPLE_DIR])
    server, url = start_background(qa, warm=False)
    yield qa, url
    server.should_exit = True


def post_file(url: str, filename: str, content: bytes) -> tuple[int, object]:
    """Upload one file the way the page does (multipart to Gradio's upload route)."""
    b = uuid.uuid4().hex
    body = (f'--{b}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
            f"Content-Type: text/plain\r\n\r\n").encode() + content + f"\r\n--{b}--\r\n".encode()
    req = urllib.request.Request(f"{url}/gradio_api/upload", data=body,
                                 headers={"Content-Type": f"multipart/form-data; boundary={b}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def test_the_server_binds_loopback_by_default(sample_qa):
    from assistant.http import make_server
    from assistant.settings import Settings

    assert Settings().host == "127.0.0.1"
    server = make_server(sample_qa, port=0, warm=False)
    assert server.config.host == "127.0.0.1"


def test_an_upload_named_with_dot_dots_lands_inside_the_upload_folder(site):
    from assistant.ui import upload

    qa, url = site
    status, paths = post_file(url, "../../evil dir/../../x.txt", b"The ferry carried 31 bicycles.\n")
    assert status == 200 and len(paths) == 1
    landed = Path(paths[0]).resolve()
    cache = Path(os.environ.get("GRADIO_TEMP_DIR", Path(tempfile.gettempdir()) / "gradio")).resolve()
    assert landed.is_relative_to(cache) and landed.name == "x.txt"
    html, added = upload(qa, paths)
    assert added == "x.txt" and "1 added" in html
    assert qa.ask("How many bicycles did the ferry carry?").citations[0].source == "x.txt"


def test_an_upload_over_the_limit_is_refused_by_the_server(site):
    _, url = site
    status, body = post_file(url, "big.txt", b"All work and no play. " * 60_000)  # 1.3 MB > 1 MB
    assert status in (400, 413), (status, body)
    assert "size" in str(body).lower()
