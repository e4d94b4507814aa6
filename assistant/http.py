"""The HTTP API (/api/ask, /api/retrieve, /api/docs) and the server that also hosts the Gradio UI."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import secrets
import sys
import threading
import traceback

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.core import Assistant
from assistant.errors import CiteqaError, EmptyQuestionError, NoIndexError

MAX_BODY_BYTES = 64 * 1024


class BadRequest(Exception):
    """A request the API refuses (answered with 4xx and {"error": ...})."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def error(message: str, status: int = 400, headers: dict | None = None) -> JSONResponse:
    """The API's error shape."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """``user:password`` into a pair; None when unset."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise CiteqaError("CITEQA_AUTH must look like user:password")
    return user, password


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _body(request: Request) -> dict:
    """The JSON object in a request's body, or BadRequest."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest(f"request body is {len(raw):,} bytes; the limit is {MAX_BODY_BYTES:,}", 413)
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def _text(data: dict, key: str) -> str:
    """A required string field."""
    value = data.get(key)
    if not isinstance(value, str):
        raise BadRequest(f'"{key}" is required and must be a string')
    return value


def _history(data: dict) -> list:
    """Earlier turns of the conversation: questions, or {"question": ..., "sources"?: [...]}
    objects (the sources the answer cited keep a follow-up with those documents)."""
    value = data.get("history") or []
    if not isinstance(value, list):
        raise BadRequest('"history" must be a list of earlier questions')
    turns: list = []
    for item in value:
        text = item.get("question") if isinstance(item, dict) else item
        if not isinstance(text, str):
            raise BadRequest('"history" items must be strings or {"question": "..."} objects')
        sources = item.get("sources") if isinstance(item, dict) else None
        if sources is None:
            turns.append(text)
        elif isinstance(sources, list) and all(isinstance(s, str) for s in sources):
            turns.append({"question": text, "sources": sources})
        else:
            raise BadRequest('"sources" in "history" must be a list of document names')
    return turns


def _top_k(data: dict) -> int | None:
    """The optional top_k field (1..50)."""
    value = data.get("top_k")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 50:
        raise BadRequest('"top_k" must be an integer from 1 to 50')
    return value


def _status_of(exc: CiteqaError) -> int:
    """The HTTP status for one of citeqa's errors."""
    if isinstance(exc, EmptyQuestionError):
        return 400
    if isinstance(exc, NoIndexError):
        return 409
    return 422


def create_app(qa: Assistant) -> FastAPI:
    """A FastAPI app with the /api routes over one shared Assistant."""
    app = FastAPI(title="citeqa", docs_url=None, redoc_url=None, openapi_url=None)
    credentials = parse_auth(qa.settings.auth)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if not request.url.path.startswith("/api/"):
            return await call_next(request)
        if credentials and not _authorized(request, credentials):
            return error("login required (HTTP Basic, the CITEQA_AUTH user)", 401,
                         {"WWW-Authenticate": 'Basic realm="citeqa"'})
        try:
            return await call_next(request)
        except Exception:  # the client gets one line; the log gets the traceback
            traceback.print_exc(file=sys.stderr)
            return error("internal error; see the server log", 500)

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest):
        return error(str(exc), exc.status)

    @app.exception_handler(CiteqaError)
    async def citeqa_error(request: Request, exc: CiteqaError):
        return error(str(exc), _status_of(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return error(str(exc.detail), exc.status_code)

    @app.post("/api/ask")
    async def ask(request: Request):
        data = await _body(request)
        question, top_k, history = _text(data, "question"), _top_k(data), _history(data)
        return await _threaded(lambda: qa.ask(question, top_k=top_k, history=history).to_dict())

    @app.post("/api/retrieve")
    async def retrieve(request: Request):
        data = await _body(request)
        query, top_k = _text(data, "query"), _top_k(data)
        return await _threaded(
            lambda: {"passages": [p.to_dict() for p in qa.retrieve(query, top_k=top_k)]})

    @app.get("/api/docs")
    async def docs():
        return await _threaded(
            lambda: [{"source": d.source, "chunks": d.chunks} for d in qa.index.documents()])

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def unknown(request: Request, rest: str):
        return error(f"no such endpoint: {request.method} /api/{rest}; there are POST /api/ask, "
                     f"POST /api/retrieve and GET /api/docs", 404)

    return app


async def _threaded(work):
    """Run blocking work in the thread pool so requests are served concurrently."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(work)


def _authorized(request: Request, credentials: tuple[str, str]) -> bool:
    """Whether the request carries the configured HTTP Basic credentials."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return (secrets.compare_digest(user, credentials[0])
            & secrets.compare_digest(password, credentials[1]))


def warm_up(qa: Assistant) -> None:
    """Load the model, the stores and the keyword index before the first question."""
    try:
        qa.index.embedder.model  # noqa: B018 - loads once per process
        if qa.index.exists:
            qa.ask("warm up")
    except CiteqaError as exc:
        print(f"citeqa: {exc}", file=sys.stderr)


def full_app(qa: Assistant, host: str, port: int) -> FastAPI:
    """The API with the Gradio UI mounted at /, sharing one Assistant."""
    import gradio as gr

    from assistant.ui import build, launch_options

    app = create_app(qa)
    blocks = build(qa)
    return gr.mount_gradio_app(app, blocks, path="", server_name=host, server_port=port,
                               **launch_options(qa))


def make_server(qa: Assistant, host: str | None = None, port: int | None = None,
                warm: bool = True):
    """A uvicorn Server for the UI and API (call .run(), or start it in a thread)."""
    import uvicorn

    host = host or qa.settings.host
    port = port if port is not None else qa.settings.port
    if not is_loopback(host) and not qa.settings.auth:
        print(f"citeqa: warning: serving on {host} without a login; anyone who can reach this "
              f"machine can read and change the index. Set CITEQA_AUTH=user:password.",
              file=sys.stderr)
    from index.lock import hold_open

    # this process keeps Chroma's graph and BM25 in memory: other processes' ingests are refused
    # while it runs (uploads through the page go on)
    hold_open(qa.index.folder)
    app = full_app(qa, host, port)
    if warm:
        threading.Thread(target=warm_up, args=(qa,), daemon=True).start()
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2)
    return uvicorn.Server(config)


def start_background(qa: Assistant, host: str = "127.0.0.1", port: int = 0, warm: bool = True):
    """Start the server in a daemon thread; return (server, base URL) once it accepts requests."""
    import socket
    import time

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
