"""A small OpenAI-compatible chat server for tests: scripted replies over real HTTP on loopback.

No model can be downloaded on these machines, so LLM mode's client talks to this instead. Each
request is recorded; the reply comes from ``script(request) -> Reply``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    """What the server does with one request: answer ``text`` in ``pieces`` stream chunks (``pause``
    seconds apart) after ``delay`` seconds, or fail with HTTP ``status``."""

    text: str = ""
    status: int = 200
    delay: float = 0.0
    pieces: int = 4
    pause: float = 0.0


class FakeLLM:
    """``with FakeLLM(script) as llm:`` serves ``llm.url``; ``llm.requests`` holds the bodies."""

    def __init__(self, script: Callable[[dict], Reply] | str):
        self.script = script if callable(script) else (lambda _request: Reply(script))
        self.requests: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeLLM:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def user_messages(self) -> list[str]:
        """The user message of each request so far."""
        return [m["content"] for r in self.requests for m in r["messages"] if m["role"] == "user"]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep the test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                reply = fake.script(body)
                time.sleep(reply.delay)
                if reply.status != 200:
                    self._send(reply.status, {"error": {"message": "scripted failure"}})
                elif body.get("stream"):
                    self._stream(body, reply)
                else:
                    self._send(200, {
                        "id": "fake", "object": "chat.completion", "created": 0,
                        "model": body["model"],
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": reply.text}}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

            def _send(self, status: int, data: dict) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _stream(self, body: dict, reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                size = max(1, len(reply.text) // max(1, reply.pieces))
                pieces = [reply.text[i:i + size] for i in range(0, len(reply.text), size)]
                for n, piece in enumerate(pieces + [None]):
                    delta = {"content": piece} if piece is not None else {}
                    if n == 0:
                        delta["role"] = "assistant"
                    chunk = {"id": "fake", "object": "chat.completion.chunk", "created": 0,
                             "model": body["model"],
                             "choices": [{"index": 0, "delta": delta,
                                          "finish_reason": None if piece is not None else "stop"}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(reply.pause)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler
