"""Serving: the UI and the HTTP API in one uvicorn server over one Assistant."""

from __future__ import annotations

import errno
import socket
import sys
import threading
import time

import uvicorn

from assistant.core import Assistant
from assistant.errors import CiteqaError
from assistant.faces.guard import is_loopback
from assistant.llm.local import LOCAL
from assistant.settings import parse_auth


class ReadyServer(uvicorn.Server):
    """A uvicorn Server that prints one line once it accepts requests."""

    def __init__(self, config: uvicorn.Config, line: str | None = None):
        super().__init__(config)
        self.line = line

    async def startup(self, sockets=None) -> None:
        """Start as uvicorn does, then say where (when a line was given)."""
        await super().startup(sockets=sockets)
        if self.started and self.line:
            print(self.line, file=sys.stderr, flush=True)


def full_app(qa: Assistant, host: str, port: int):
    """The API with the Gradio UI mounted at /, sharing one Assistant."""
    import gradio as gr

    from assistant.faces.http import create_app
    from assistant.faces.ui import build, launch_options, private_upload_folder

    private_upload_folder()  # before Gradio reads where uploads go
    app = create_app(qa, host)
    blocks = build(qa)
    app = gr.mount_gradio_app(app, blocks, path="", server_name=host, server_port=port,
                              **launch_options(qa))
    # Gradio accepts a file in an event's data only when it lies in its upload folder, but only
    # once the Blocks count as launched, which launch() marks and mount_gradio_app does not:
    # without this, a client could name any server file as an upload (ui.uploaded_only checks
    # again in the handler)
    blocks.has_launched = True
    return app


def check_port_free(host: str, port: int) -> None:
    """Refuse, in one line, a port another program already listens on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            fix = ("choose another port with --port or CITEQA_PORT" if exc.errno == errno.EADDRINUSE
                   else "choose an address of this machine with --host")
            raise CiteqaError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                              f"{fix}") from None


def ready_line(qa: Assistant, host: str, port: int) -> str:
    """What ``citeqa serve`` prints once it accepts requests."""
    shown = f"[{host}]" if ":" in host else ("127.0.0.1" if host in ("0.0.0.0", "") else host)
    line = f"citeqa: serving {qa.folder} at http://{shown}:{port} (Ctrl-C stops it)"
    if qa.settings.auth:
        line += f"; log in as {parse_auth(qa.settings.auth)[0]!r} (the CITEQA_AUTH password)"
    url, model = qa.settings.llm_url, qa.settings.llm_model
    if url == LOCAL:  # LLM mode: say which model writes the answers
        line += f"; answers written by {model or 'the bundled Qwen2.5-Coder-1.5B'} (LLM mode)"
    elif url:
        line += f"; answers written by {model} at {url} (LLM mode)"
    return line


def make_server(qa: Assistant, host: str | None = None, port: int | None = None,
                warm: bool = True, announce: bool = False):
    """A uvicorn Server for the UI and API (call .run(), or start it in a thread); with
    ``announce`` it prints the URL once it accepts requests."""
    from index.lock import hold_open

    host = host or qa.settings.host
    port = port if port is not None else qa.settings.port
    if not is_loopback(host) and not qa.settings.auth:
        print(f"citeqa: warning: serving on {host} without a login; anyone who can reach this "
              f"machine can read and change the index. Set CITEQA_AUTH=user:password.",
              file=sys.stderr)
    # this process keeps Chroma's graph and BM25 in memory: other processes' ingests are refused
    # while it runs (uploads through the page go on)
    hold_open(qa.folder)
    app = full_app(qa, host, port)
    if warm:
        threading.Thread(target=qa.warm_up, daemon=True).start()
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2)
    return ReadyServer(config, ready_line(qa, host, port) if announce else None)


def serve(qa: Assistant, host: str | None = None, port: int | None = None) -> None:
    """Serve the UI and the HTTP API (one process, one Assistant), on loopback by default."""
    host = host or qa.settings.host
    port = port if port is not None else qa.settings.port
    check_port_free(host, port)
    make_server(qa, host, port, announce=True).run()


def start_background(qa: Assistant, host: str = "127.0.0.1", port: int = 0, warm: bool = True):
    """Start the server in a daemon thread; return (server, base URL) once it accepts requests."""
    if not port:
        with socket.socket() as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
    server = make_server(qa, host, port, warm=warm)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start on {host}:{port}")
        time.sleep(0.05)
    return server, f"http://{host}:{port}"
