"""Checks in front of every route of the server (UI and API), before any of its code runs.

- Host: a server bound to loopback answers only requests addressed to a loopback name, so a
  web page whose domain is made to resolve to 127.0.0.1 (DNS rebinding) is refused;
  ``allowed_hosts`` (CITEQA_ALLOWED_HOSTS) names the hosts a wider bind answers to.
- Origin: a browser's cross-site write (a POST from another site's page) is refused.
- Body size: enforced from Content-Length before reading, then by a bounded read, so a huge
  request is refused without being held in memory. Uploads are limited per file by Gradio,
  which streams them to disk.
- Body time: a body (uploads aside) must arrive within BODY_SECONDS, so a client that sends it
  slowly cannot hold a connection and its worker open (408).
"""

from __future__ import annotations

import asyncio
import ipaddress
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse

API_BODY_BYTES = 64 * 1024  # /api/*: a question and its history
UI_BODY_BYTES = 8 * 1024 * 1024  # the page's own calls (a long conversation travels with each)
UPLOAD_PATH = "/gradio_api/upload"  # multipart, streamed to disk, limited per file by Gradio
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
BODY_SECONDS = 30.0  # the whole body of an /api/* or page call, once its headers have arrived


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) stays on this machine."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(netloc: str) -> str:
    """The host of ``host[:port]`` (IPv6 in brackets too), lower-case."""
    return (urlsplit(f"//{netloc}").hostname or "") if netloc else ""


def parse_hosts(text: str | None) -> list[str]:
    """A comma-separated host list (CITEQA_ALLOWED_HOSTS); ``*`` allows any."""
    return [h.strip().lower().strip("[]") for h in (text or "").split(",") if h.strip()]


class RequestGuard:
    """ASGI middleware: Host and Origin checks, bounded request bodies."""

    def __init__(self, app, bind_host: str = "127.0.0.1", allowed_hosts: list[str] | None = None,
                 api_bytes: int = API_BODY_BYTES, ui_bytes: int = UI_BODY_BYTES,
                 body_seconds: float = BODY_SECONDS):
        self.app = app
        self.body_seconds = body_seconds
        self.loopback = is_loopback(bind_host)
        self.allowed = set(allowed_hosts or [])
        self.api_bytes, self.ui_bytes = api_bytes, ui_bytes

    def host_allowed(self, host: str) -> bool:
        """Whether a request addressed to ``host`` is answered."""
        if not host:
            return False
        if host in self.allowed or "*" in self.allowed:
            return True
        if self.loopback:
            return is_loopback(host)
        return not self.allowed  # a wide bind with no list answers any name

    def origin_allowed(self, origin: str, netloc: str) -> bool:
        """Whether a write from a page at ``origin`` comes from this server's own pages."""
        parts = urlsplit(origin)
        if parts.netloc and parts.netloc.lower() == netloc.lower():
            return True
        return bool(parts.hostname) and parts.hostname in self.allowed

    def body_limit(self, path: str) -> int | None:
        """The most bytes a request to ``path`` may carry (None: left to the route)."""
        if path.startswith("/api/"):
            return self.api_bytes
        if path.rstrip("/") == UPLOAD_PATH:
            return None
        return self.ui_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        netloc = headers.get("host", "")
        if not self.host_allowed(host_name(netloc)):
            return await _refuse(scope, receive, send, 400, f"this server does not answer to host "
                                 f"{netloc!r}; allow it with CITEQA_ALLOWED_HOSTS")
        origin = headers.get("origin")
        if (origin and scope.get("method", "GET") not in SAFE_METHODS
                and not self.origin_allowed(origin, netloc)):
            return await _refuse(scope, receive, send, 403,
                                 f"requests from pages at {origin} are refused")
        limit = self.body_limit(scope.get("path", ""))
        if scope["type"] != "http" or limit is None:
            return await self.app(scope, receive, send)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await _too_large(scope, receive, send, limit)
        chunks, size = [], 0
        deadline = asyncio.get_running_loop().time() + self.body_seconds
        while True:
            try:
                message = await asyncio.wait_for(
                    receive(), max(0.0, deadline - asyncio.get_running_loop().time()))
            except asyncio.TimeoutError:
                return await _refuse(scope, receive, send, 408, f"the request body did not "
                                     f"arrive within {self.body_seconds:g} s")
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                return await _too_large(scope, receive, send, limit)
            if not message.get("more_body"):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _replay(body: bytes, receive):
    """A receive() that hands the app the body already read, then the client's own events."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(scope, receive, send, status: int, message: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    await JSONResponse({"error": message}, status_code=status)(scope, receive, send)


async def _too_large(scope, receive, send, limit: int) -> None:
    await _refuse(scope, receive, send, 413, f"request body over the limit of {limit:,} bytes")
