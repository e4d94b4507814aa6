"""Security checks not covered elsewhere (see also test_http: auth and the wide-bind warning;
test_ui: escaping in the browser and the upload limit in the page; test_ingest: HTML reduced to
text, model weights checked by hash): loopback by default, upload names and sizes on the server,
server files never read through the upload event, Host and Origin checks, bounded bodies."""

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
from tests.conftest import SAMPLE_DIR, as_uploads
from tests.test_http import call


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from assistant.faces.serve import start_background

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
    from assistant.faces.serve import make_server
    from assistant.settings import Settings

    assert Settings().host == "127.0.0.1"
    server = make_server(sample_qa, port=0, warm=False)
    assert server.config.host == "127.0.0.1"


def test_an_upload_named_with_dot_dots_lands_inside_the_upload_folder(site):
    from assistant.faces.ui import upload

    qa, url = site
    status, paths = post_file(url, "../../evil dir/../../x.txt", b"The ferry carried 31 bicycles.\n")
    assert status == 200 and len(paths) == 1
    landed = Path(paths[0]).resolve()
    cache = Path(os.environ.get("GRADIO_TEMP_DIR", Path(tempfile.gettempdir()) / "gradio")).resolve()
    assert landed.is_relative_to(cache) and landed.name == "x.txt"
    html, added = upload(qa, paths)
    assert added in ("x.txt", "upload/x.txt") and "1 added" in html
    assert qa.ask("How many bicycles did the ferry carry?").citations[0].source == added


def test_an_upload_over_the_limit_is_refused_by_the_server(site):
    _, url = site
    status, body = post_file(url, "big.txt", b"All work and no play. " * 60_000)  # 1.3 MB > 1 MB
    assert status in (400, 413), (status, body)
    assert "size" in str(body).lower()


def run_event(url: str, api_name: str, data: list, headers: dict | None = None) -> dict:
    """Call one of the page's events the way its client does (join the queue, read the event
    stream); the completed message."""
    config = json.loads(urllib.request.urlopen(f"{url}/config", timeout=30).read())
    dep = next(d for d in config["dependencies"] if d.get("api_name") == api_name)
    session = uuid.uuid4().hex
    body = {"data": data, "fn_index": dep["id"], "session_hash": session, "event_data": None,
            "trigger_id": dep["targets"][0][0]}
    req = urllib.request.Request(f"{url}/gradio_api/queue/join", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", **(headers or {})})
    urllib.request.urlopen(req, timeout=30).read()
    with urllib.request.urlopen(f"{url}/gradio_api/queue/data?session_hash={session}",
                                timeout=120) as stream:
        for line in stream:
            message = json.loads(line[5:]) if line.startswith(b"data:") else {}
            if message.get("msg") == "process_completed":
                return message
    raise AssertionError("the event stream ended without a result")


def test_the_upload_event_refuses_server_paths(site, tmp_path):
    """A client posting a server path (a private file, the project's README) as the upload's
    data gets a refusal; nothing is indexed and nothing tells whether the path exists."""
    qa, url = site
    secret = tmp_path / "private-notes.txt"
    secret.write_text("The vault combination is 7741 and the guard is Orla Brenning.\n")
    before = [d.source for d in qa.index.documents()]
    readme = Path(__file__).resolve().parents[1] / "README.md"
    outputs = []
    shared = Path(tempfile.gettempdir()) / "gradio" / f"planted-{uuid.uuid4().hex}"
    shared.mkdir(parents=True)  # Gradio's default folder, which any program may write
    planted = shared / "planted.txt"
    planted.write_text("The vault combination is 7741.\n")
    for path in (secret, readme, tmp_path / "missing.txt", Path("/etc/hostname"), planted):
        file_data = {"path": str(path), "meta": {"_type": "gradio.FileData"},
                     "orig_name": path.name}
        done = run_event(url, "upload_event", [[file_data]])
        outputs.append(json.dumps(done.get("output", {})))
    assert [d.source for d in qa.index.documents()] == before
    for output in outputs:
        assert "only files uploaded through this page" in output or '"error"' in output, output
        assert "no such file" not in output and str(tmp_path) not in output  # names no path
    status, data = call(f"{url}/api/retrieve", {"query": "vault combination guard"})
    assert status == 200 and all("7741" not in p["text"] for p in data["passages"])


def test_a_real_upload_still_indexes(site):
    from assistant.faces.ui import upload

    qa, _ = site
    note = Path(tempfile.mkdtemp()) / "ferry-timetable.txt"
    note.write_text("The night ferry to Skerra leaves at 23:40 from pier nine.\n")
    html, added = upload(qa, as_uploads([note]))
    assert "1 added" in html and added == "ferry-timetable.txt"


def test_a_forged_host_is_refused_on_every_route(site):
    """DNS rebinding: a page at evil.example resolving to 127.0.0.1 sends Host: evil.example."""
    _, url = site
    port = url.rsplit(":", 1)[1]
    forged = {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}
    for path, body in (("/api/docs", None), ("/api/retrieve", {"query": "troops"}), ("/", None),
                       ("/config", None), ("/gradio_api/queue/join", {"data": []})):
        status, data = call(url + path, body, forged)
        assert status == 400, (path, status)
        assert "host" in str(data)
    for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
        assert call(f"{url}/api/docs", headers={"Host": host})[0] == 200


def test_a_cross_site_write_is_refused(site):
    """A page on another site posting to the loopback server (the browser adds Origin)."""
    _, url = site
    status, data = call(f"{url}/api/ask", {"question": "How many troops?"},
                        {"Origin": "https://evil.example", "Content-Type": "text/plain"})
    assert status == 403 and "evil.example" in data["error"]
    same = {"Origin": url, "Content-Type": "application/json"}
    assert call(f"{url}/api/ask", {"question": "How many troops?"}, same)[0] == 200


def test_a_large_body_is_refused_before_it_is_read(site):
    """Content-Length over the limit: 413 at once; a body that lies about its length, or sends
    no length, is cut off at the limit."""
    import http.client

    _, url = site
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", "/api/ask")
    conn.putheader("Content-Length", str(400 * 1024 * 1024))
    conn.putheader("Content-Type", "application/json")
    conn.endheaders()
    conn.send(b'{"question": "' + b"a" * 1000)  # a little of the promised 400 MB
    resp = conn.getresponse()
    assert resp.status == 413 and "limit" in json.loads(resp.read())["error"]
    conn.close()
    for path in ("/api/ask", "/gradio_api/queue/join"):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.putrequest("POST", path)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.putheader("Content-Type", "application/json")
        conn.endheaders()
        status = None
        try:
            for _ in range(200):  # up to 200 MB, far past either limit
                piece = b"a" * (1024 * 1024)
                conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            status = conn.getresponse().status
        except (ConnectionResetError, http.client.RemoteDisconnected):
            status = "closed"
        conn.close()
        assert status in (413, "closed"), (path, status)


def test_json_nested_too_deeply_is_a_400(site):
    _, url = site
    status, data = call(f"{url}/api/ask", b"[" * 20_000 + b"]" * 20_000)
    assert status == 400 and "nested" in data["error"]


def test_non_ascii_credentials_are_compared_not_crashed(sample_qa):
    import base64

    from assistant.faces.serve import start_background

    qa = Assistant(sample_qa.settings.model_copy(update={"auth": "zoë:pässwörd"}),
                   index=sample_qa.index)
    server, url = start_background(qa, warm=False)
    try:
        def with_login(user_password: str) -> int:
            token = base64.b64encode(user_password.encode()).decode()
            return call(f"{url}/api/docs", headers={"Authorization": f"Basic {token}"})[0]

        assert with_login("zoë:pässwörd") == 200
        assert with_login("zoë:wrong") == 401 and with_login("ann:pässwörd") == 401
        assert with_login("zoe:passwort") == 401
    finally:
        server.should_exit = True


def test_a_body_sent_slowly_is_cut_off():
    """A client that sends its body slowly gets a 408 once the guard's time is up (the guard
    itself, driven as the server drives it, with a body that never finishes)."""
    import asyncio

    from assistant.faces.guard import RequestGuard

    reached, sent = [], []

    async def app(scope, receive, send):
        reached.append(scope["path"])

    async def receive():
        await asyncio.sleep(0.05)
        return {"type": "http.request", "body": b"a", "more_body": True}  # a byte at a time

    async def send(message):
        sent.append(message)

    guard = RequestGuard(app, body_seconds=0.5)
    scope = {"type": "http", "method": "POST", "path": "/api/ask",
             "headers": [(b"host", b"127.0.0.1:7860"), (b"content-type", b"application/json")]}
    asyncio.run(asyncio.wait_for(guard(scope, receive, send), 10))
    assert not reached
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 408
    assert b"did not arrive within 0.5 s" in sent[1]["body"]
