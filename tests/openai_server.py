"""A local OpenAI-compatible chat server for tests and benchmarks, over real HTTP.

It answers `POST /v1/chat/completions` from a script of replies (answers and faults), falling
back to a `responder(request_body)` when the script is empty, and records every request with the
time it arrived, so tests can assert on call counts, reask content and retry waits.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted reply: a chat answer, an HTTP error, or a stall."""

    content: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""
    stall: float = 0.0  # seconds to wait before answering (longer than the client timeout)
    finish_reason: str = "stop"  # "length" for an answer cut off at the token limit
    raw: str | None = None  # a body sent as is instead of a chat completion (proxy pages, junk)
    content_type: str = "application/json"

    @classmethod
    def json(cls, data: Any) -> Reply:
        return cls(content=json.dumps(data, ensure_ascii=False))

    @classmethod
    def body(cls, raw: str, content_type: str = "application/json", status: int = 200) -> Reply:
        """A reply whose body is `raw`, not a chat completion: an HTML page, junk, `{}`, ``."""
        return cls(raw=raw, content_type=content_type, status=status)

    @classmethod
    def fault(cls, status: int, error: str = "scripted fault", **headers: str) -> Reply:
        return cls(
            status=status, error=error, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )


@dataclass
class Recorded:
    at: float  # time.monotonic() on arrival
    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])


Responder = Callable[[dict[str, Any]], Reply]


class ScriptedServer:
    """Serve on 127.0.0.1 at a random port; use as a context manager."""

    def __init__(self, responder: Responder | None = None, *, latency: float = 0.0) -> None:
        self.responder = responder
        self.latency = latency
        self.requests: list[Recorded] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()  # release stalled handlers
        self._http.shutdown()
        self._http.server_close()

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._script:
                return self._script.popleft()
        if self.responder is not None:
            return self.responder(body)
        return Reply.fault(500, "nothing scripted for this request")

    def _record(self, request: Recorded) -> None:
        with self._lock:
            self.requests.append(request)


def completion(
    body: dict[str, Any], content: str | None, finish_reason: str = "stop"
) -> dict[str, Any]:
    """A chat.completion object; token counts are simple character counts."""
    prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
    answer = len(content or "")
    return {
        "id": "chatcmpl-local",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "local"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": answer,
            "total_tokens": prompt + answer,
        },
    }


def _handler_for(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else keep-alive replies wait ~40 ms for delayed ACKs

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            arrived = time.monotonic()
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            body = json.loads(raw or b"{}")
            headers = {k.lower(): v for k, v in self.headers.items()}
            server._record(Recorded(arrived, self.path, headers, body))
            if not self.path.endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            reply = server._next(body)
            if reply.stall and server._closing.wait(reply.stall):
                return
            if server.latency:
                time.sleep(server.latency)
            if reply.raw is not None:
                self._send_raw(reply.status, reply.raw.encode(), reply.content_type, reply.headers)
            elif reply.status != 200:
                self._send(reply.status, {"error": {"message": reply.error}}, reply.headers)
            else:
                self._send(200, completion(body, reply.content, reply.finish_reason), reply.headers)

        def _send(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self._send_raw(status, data, "application/json", headers)

        def _send_raw(
            self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None
        ) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

    return Handler


_TASK_BLOCK = re.compile(r"<task>\n(.*?)\n</task>", re.DOTALL)


def item_id_of(body: dict[str, Any]) -> str | None:
    """The item a chat request is for, from the `<task>` data block of the LLM engine's prompt."""
    for message in body.get("messages", [])[:2]:
        found = _TASK_BLOCK.search(str(message.get("content", "")))
        if found:
            return json.loads(found.group(1))["item_id"]
    return None


def answers_from(items: dict[str, str]) -> Responder:
    """Answer each task with the prepared JSON for its item id (e.g. another engine's output)."""

    def respond(body: dict[str, Any]) -> Reply:
        item_id = item_id_of(body)
        if item_id not in items:
            return Reply.fault(500, f"no prepared answer for {item_id}")
        return Reply(content=items[item_id])

    return respond


def package_answers(package: Any) -> dict[str, str]:
    """Item id → answer JSON for every task of a week package (e.g. the template engine's).

    The calendar answers for `calendar`; each post also answers for its own id (regenerating one
    post). Ids and findings are left in: the LLM engine overwrites them, as it does a model's.
    """
    answers = {item.id: item.model_dump_json() for item in package.items()}
    if package.calendar is not None:
        answers["calendar"] = package.calendar.model_dump_json()
    return answers
