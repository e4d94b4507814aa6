"""The HTTP API: /api/ask, /api/retrieve, /api/docs (served beside the UI by assistant.faces.serve)."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import sys
import traceback

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.core import Assistant
from assistant.errors import BadInputError, CiteqaError, NoIndexError
from assistant.faces.guard import RequestGuard, parse_hosts
from assistant.history import parse_history
from assistant.settings import parse_auth


class BadRequest(Exception):
    """A request the API refuses (answered with 4xx and {"error": ...})."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def error(message: str, status: int = 400, headers: dict | None = None) -> JSONResponse:
    """The API's error shape."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _body(request: Request) -> dict:
    """The JSON object in a request's body, or BadRequest (its size is bounded by RequestGuard)."""
    raw = await request.body()
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    except RecursionError:
        raise BadRequest("the body's JSON is nested too deeply") from None
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
    """Earlier turns of the conversation (assistant.history: questions, or {"question",
    "sources"?} objects)."""
    return parse_history(data.get("history") or [])


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
    if isinstance(exc, BadInputError):
        return 400
    if isinstance(exc, NoIndexError):
        return 409
    return 422


def create_app(qa: Assistant, host: str | None = None) -> FastAPI:
    """A FastAPI app with the /api routes over one shared Assistant, behind RequestGuard for
    a server bound to ``host`` (default: the settings' host)."""
    app = FastAPI(title="citeqa", docs_url=None, redoc_url=None, openapi_url=None)
    credentials = parse_auth(qa.settings.auth)
    app.add_middleware(RequestGuard, bind_host=host or qa.settings.host,
                       allowed_hosts=parse_hosts(qa.settings.allowed_hosts))

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
        mode = data.get("mode")  # checked by Assistant.ask (a BadInputError: 400)
        return await _threaded(lambda: qa.ask(question, top_k=top_k, history=history,
                                              mode=mode).to_dict())

    @app.post("/api/retrieve")
    async def retrieve(request: Request):
        data = await _body(request)
        query, top_k = _text(data, "query"), _top_k(data)
        return await _threaded(
            lambda: {"passages": [p.to_dict() for p in qa.retrieve(query, top_k=top_k)]})

    @app.get("/api/docs")
    async def docs():
        return await _threaded(
            lambda: [{"source": d.source, "chunks": d.chunks} for d in qa.documents()])

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
        user, _, password = base64.b64decode(encoded, validate=True).partition(b":")
    except (binascii.Error, ValueError):
        return False
    # compared as bytes: compare_digest refuses str holding non-ASCII characters
    return (secrets.compare_digest(user, credentials[0].encode())
            & secrets.compare_digest(password, credentials[1].encode()))
