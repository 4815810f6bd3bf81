"""Limits on the engine seam: requests and tokens per minute per provider key, calls at once.

The buckets are shared by every engine of this process that talks to the same endpoint with the
same key (a batch of canvases, the app's sessions). A request takes one request token and its
estimated tokens (prompt + max_tokens) before it is sent; when the answer says what it really
used, the difference is given back.

Across processes and machines (the queue's workers) the same two buckets live in Redis:
`share_limits(url)` makes `rate_limit` hand out `SharedRateLimit`s, whose buckets are one Lua
script each (GCRA on Redis's own clock, so every machine counts against one timeline). They
burst a sixtieth of the window (a second's worth of a per-minute limit), not a whole window:
providers enforce per-minute limits over shorter periods.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """About 1.4 Chinese characters a token and 4 other characters a token (BPE tokenizers of
    the hosted Chinese models land near these); used for budgets, never for billing."""
    cjk = len(_CJK.findall(text))
    return math.ceil(cjk / 1.4 + (len(text) - cjk) / 4)


@dataclass
class TokenBucket:
    """`rate` units a minute, bursting up to one minute's worth. Thread-safe."""

    rate: float
    level: float = field(init=False)
    stamp: float = field(init=False, default_factory=time.monotonic)
    lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.level = self.rate

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.rate, self.level + (now - self.stamp) * self.rate / 60)
        self.stamp = now

    def take(self, amount: float) -> float:
        """Take `amount` now (the level may go below zero); seconds to wait before using it."""
        amount = min(amount, self.rate)  # one request larger than a minute's worth still runs
        with self.lock:
            self._refill()
            self.level -= amount
            return max(0.0, -self.level * 60 / self.rate)

    def give_back(self, amount: float) -> None:
        with self.lock:
            self._refill()
            self.level = min(self.rate, self.level + amount)


@dataclass
class RateLimit:
    """The request and token buckets of one provider key (either may be absent)."""

    requests: TokenBucket | SharedBucket | None
    tokens: TokenBucket | SharedBucket | None

    async def acquire(self, tokens: int) -> None:
        wait = 0.0
        if self.requests is not None:
            wait = max(wait, self.requests.take(1))
        if self.tokens is not None:
            wait = max(wait, self.tokens.take(tokens))
        if wait:
            await asyncio.sleep(wait)

    def settle(self, reserved: int, used: int) -> None:
        """The answer used `used` tokens of the `reserved` estimate: return or charge the rest."""
        if self.tokens is None or used == reserved:
            return
        if used < reserved:
            self.tokens.give_back(reserved - used)
        else:
            self.tokens.take(used - reserved)


# Take `amount` units (negative: give back) from the bucket at KEYS[1]; returns the seconds to
# wait before using them. The key holds the "theoretical arrival time" (ms, Redis's clock): the
# moment the bucket would be full again. ARGV: amount, ms per unit, burst in ms.
_GCRA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + tonumber(now_parts[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local amount = tonumber(ARGV[1])
tat = tat + amount * tonumber(ARGV[2])
if tat < now then tat = now end
local burst = tonumber(ARGV[3])
redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now + burst) + 1000)
local wait = tat - now - burst
if amount <= 0 or wait < 0 then wait = 0 end
return string.format('%.3f', wait / 1000)
"""


class SharedBucket:
    """`rate` units per `window` seconds in Redis, shared by every process that names `key`;
    the same `take` / `give_back` as `TokenBucket`."""

    def __init__(self, client: Any, key: str, rate: float, window: float) -> None:
        self.key = key
        self.rate = rate
        self.per_unit_ms = window * 1000 / rate
        burst_units = max(1.0, rate / 60)
        self.burst_ms = burst_units * self.per_unit_ms
        self._script = client.register_script(_GCRA)

    def take(self, amount: float) -> float:
        amount = min(amount, self.rate)
        return float(self._script(keys=[self.key], args=[amount, self.per_unit_ms, self.burst_ms]))

    def give_back(self, amount: float) -> None:
        self._script(keys=[self.key], args=[-amount, self.per_unit_ms, self.burst_ms])


_LIMITS: dict[tuple[str, str, int | None, int | None], RateLimit] = {}
_LIMITS_LOCK = threading.Lock()
_SHARED: dict[str, Any] = {}  # "client", "window": set by share_limits


def share_limits(url: str | None, *, window: float = 60.0) -> None:
    """From now on `rate_limit` keeps its buckets in the Redis at `url` (None: in-process)."""
    with _LIMITS_LOCK:
        _LIMITS.clear()
        _SHARED.clear()
        if url:
            import redis

            _SHARED["client"] = redis.Redis.from_url(url)
            _SHARED["window"] = window


def rate_limit(base_url: str, api_key: str, rpm: int | None, tpm: int | None) -> RateLimit:
    """The buckets for this endpoint and key (the key only as a digest): this process's, or
    Redis's after `share_limits`."""
    digest = hashlib.sha256(f"{base_url}\n{api_key}".encode()).hexdigest()[:16]
    key = (base_url, digest, rpm, tpm)
    with _LIMITS_LOCK:
        limit = _LIMITS.get(key)
        if limit is None:
            client = _SHARED.get("client")
            if client is None:
                limit = RateLimit(
                    TokenBucket(rpm) if rpm else None, TokenBucket(tpm) if tpm else None
                )
            else:
                window = _SHARED["window"]
                name = f"cc:rate:{digest}"
                limit = RateLimit(
                    SharedBucket(client, f"{name}:requests", rpm, window) if rpm else None,
                    SharedBucket(client, f"{name}:tokens", tpm, window) if tpm else None,
                )
            _LIMITS[key] = limit
        return limit


class CallGate:
    """At most `size` requests in flight per event loop (a semaphore is bound to its loop)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def __call__(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(self.size)
        return gate
