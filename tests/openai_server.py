"""A local OpenAI-compatible chat server for tests and benchmarks, over real HTTP.

It answers `POST /v1/chat/completions` from a script of replies (answers and faults), falling
back to a `responder(request_body)` when the script is empty, and records every request with the
time it arrived, so tests can assert on call counts, reask content and retry waits.

A `Profile` makes it behave like a real provider: time to first token, then a steady number of
tokens a second; an output cap that cuts a longer answer and says `finish_reason: "length"`;
server-sent events when the request asks to `stream`. Tokens are estimated the way the engine
budgets them (`estimate_tokens`: about 1.4 Chinese characters a token, 4 other characters a
token), for prompts and answers alike.
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

from pipelines.engines.llm.limits import estimate_tokens


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
    trickle: float = 0.0  # seconds between the body's bytes: alive, but never done in time

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


@dataclass(frozen=True)
class Profile:
    """A provider's pace and limits. An answer takes `first_token` seconds, then one second per
    `tokens_per_second` tokens; it is cut at `max_tokens` (or `default_max_tokens` when the
    request sends none), and never beyond `cap`. DeepSeek's chat model: cap 8192, default 4096."""

    first_token: float = 0.0
    tokens_per_second: float | None = None
    cap: int | None = None
    default_max_tokens: int | None = None

    def room(self, body: dict[str, Any]) -> int | None:
        asked = body.get("max_tokens") or self.default_max_tokens
        limits = [n for n in (asked, self.cap) if n]
        return min(limits) if limits else None

    def seconds(self, tokens: int) -> float:
        return self.first_token + (tokens / self.tokens_per_second if self.tokens_per_second else 0)


def cut(content: str, tokens: int) -> str:
    """The longest start of `content` within `tokens` (estimated)."""
    low, high = 0, len(content)
    while low < high:
        middle = (low + high + 1) // 2
        if estimate_tokens(content[:middle]) <= tokens:
            low = middle
        else:
            high = middle - 1
    return content[:low]


class ScriptedServer:
    """Serve on 127.0.0.1 at a random port; use as a context manager."""

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        latency: float = 0.0,
        profile: Profile | None = None,
    ) -> None:
        self.responder = responder
        self.latency = latency
        self.profile = profile or Profile()
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


def use_server(monkeypatch: Any, url: str, *, key: str, model: str, **settings: str) -> None:
    """Point the settings at a local server: the openai engine, a key, a model, a 5 s timeout,
    plus any other setting given (e.g. CC_MAX_RETRIES="0")."""
    values = {"CC_ENGINE": "openai", "OPENAI_BASE_URL": url, "OPENAI_API_KEY": key,
              "CC_MODEL": model, "CC_TIMEOUT": "5", **settings}  # fmt: skip
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def completion(
    body: dict[str, Any], content: str | None, finish_reason: str = "stop"
) -> dict[str, Any]:
    """A chat.completion object; token counts are estimates (see `estimate_tokens`)."""
    prompt = sum(estimate_tokens(str(m.get("content", ""))) for m in body.get("messages", []))
    answer = estimate_tokens(content or "")
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
                data = reply.raw.encode()
                self._send_raw(reply.status, data, reply.content_type, reply.headers, reply.trickle)
            elif reply.status != 200:
                self._send(reply.status, {"error": {"message": reply.error}}, reply.headers)
            else:
                self._answer(body, reply)

        def _answer(self, body: dict[str, Any], reply: Reply) -> None:
            """The answer at the profile's pace, cut at its limit, whole or as events."""
            profile = server.profile
            content, finish = reply.content, reply.finish_reason
            room = profile.room(body)
            if content and room is not None and estimate_tokens(content) > room:
                content, finish = cut(content, room), "length"
            tokens = estimate_tokens(content or "")
            if body.get("stream"):
                self._stream(body, content or "", finish, reply.headers)
                return
            if server._closing.wait(profile.seconds(tokens)):
                return
            payload = completion(body, content, finish)
            data = json.dumps(payload, ensure_ascii=False).encode()
            self._send_raw(200, data, "application/json", reply.headers, reply.trickle)

        def _stream(
            self, body: dict[str, Any], content: str, finish: str, headers: dict[str, str]
        ) -> None:
            """Server-sent events: the first chunk after `first_token`, then about ten tokens a
            chunk at the profile's pace, then the finish reason, usage and `[DONE]`."""
            profile = server.profile
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if server._closing.wait(profile.first_token):
                    return
                pieces, rest = [], content
                while rest:
                    piece = cut(rest, 10) or rest[:1]
                    pieces.append(piece)
                    rest = rest[len(piece) :]
                base = completion(body, content, finish)
                for piece in pieces:
                    pace = profile.seconds(estimate_tokens(piece)) - profile.first_token
                    if server._closing.wait(pace):
                        return
                    delta = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                    chunk = {**base, "object": "chat.completion.chunk", "usage": None}
                    self._event(chunk | {"choices": [delta]})
                end = {"index": 0, "delta": {}, "finish_reason": finish}
                self._event(
                    {**base, "object": "chat.completion.chunk", "choices": [end], "usage": None}
                )
                self._event({**base, "object": "chat.completion.chunk", "choices": []})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _event(self, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False)
            self.wfile.write(f"data: {data}\n\n".encode())
            self.wfile.flush()

        def _send(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self._send_raw(status, data, "application/json", headers)

        def _send_raw(
            self,
            status: int,
            data: bytes,
            content_type: str,
            headers: dict[str, str] | None,
            trickle: float = 0.0,
        ) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                if not trickle:
                    self.wfile.write(data)
                    return
                for index in range(len(data)):  # one byte at a time: every read succeeds
                    self.wfile.write(data[index : index + 1])
                    self.wfile.flush()
                    if server._closing.wait(trickle):
                        return
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

    return Handler


_TASK_BLOCK = re.compile(r"<task>\n(.*?)\n</task>", re.DOTALL)


def item_id_of(body: dict[str, Any]) -> str | None:
    """The item a chat request is for, from the `<task>` data block of the LLM engine's prompt:
    `livestream/<part>` for a part of the live script."""
    for message in body.get("messages", [])[:2]:
        found = _TASK_BLOCK.search(str(message.get("content", "")))
        if found:
            facts = json.loads(found.group(1))
            part = facts.get("part")
            return f"{facts['item_id']}/{part['part']}" if part else facts["item_id"]
    return None


def task_of(body: dict[str, Any]) -> str | None:
    """The task a chat request belongs to: its item id without the part (`fabe-x/card` → `fabe-x`)."""
    item_id = item_id_of(body)
    return item_id.split("/", 1)[0] if item_id else None


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
    if package.livestream is not None:
        answers |= live_parts(package.livestream, package.canvas)
    for points in package.selling_points:
        answers |= fabe_parts(points, package.canvas)
    return answers


def fabe_parts(points: Any, canvas: Any) -> dict[str, str]:
    """`fabe-x/<part>` → the answer for each part of a product's selling points: the card, then
    each channel's variants (the channel itself is the part's, so it is left out)."""
    from pipelines.engines.llm.fabe import plan_parts

    card, *channels = plan_parts(canvas)
    answers = {f"{points.id}/{card.key}": points.model_dump_json(exclude={"variants"})}
    for part in channels:
        variants = [
            v.model_dump(mode="json", exclude={"channel"})
            for v in points.variants
            if v.channel == part.channel
        ]
        answers[f"{points.id}/{part.key}"] = json.dumps({"variants": variants}, ensure_ascii=False)
    return answers


def live_parts(script: Any, canvas: Any) -> dict[str, str]:
    """`livestream/<part>` → the answer for each part of a live script: the frame, then the
    blocks of the framing acts and the steps of the segments, in the order they are planned."""
    from pipelines.engines.llm.livestream import CLIMAX, plan_blocks

    frame = script.model_dump_json(include={"title", "contingencies", "review_metrics"})
    answers = {f"{script.id}/frame": frame}
    blocks = [b for act in script.acts if act.name != CLIMAX for b in act.blocks]
    blocks += [step for segment in script.segments for step in segment.steps]
    for planned, block in zip(plan_blocks(canvas), blocks, strict=True):
        words = block.model_dump_json(include={"on_screen", "interaction", "lines"})
        answers[f"{script.id}/{planned.key}"] = words
    return answers
