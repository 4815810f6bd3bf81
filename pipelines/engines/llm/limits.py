"""Limits on the engine seam: requests and tokens per minute per provider key, calls at once.

The buckets are shared by every engine of this process that talks to the same endpoint with the
same key (a batch of canvases, the app's sessions). A request takes one request token and its
estimated tokens (prompt + max_tokens) before it is sent; when the answer says what it really
used, the difference is given back.

Across processes and machines (the queue's workers) the same two buckets live in Redis:
`share_limits(url)` makes `rate_limit` hand out `SharedRateLimit`s (same `acquire` / `settle`),
whose buckets are one Lua script (GCRA on Redis's own clock, so every machine counts against one
timeline). They burst a sixtieth of the window (a second's worth of a per-minute limit), not a
whole window: providers enforce per-minute limits over shorter periods.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
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

    requests: TokenBucket | None
    tokens: TokenBucket | None

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


# GCRA over one or two buckets at once, on Redis's clock. Each key holds its bucket's
# "theoretical arrival time" (ms): when it would be full again. ARGV: mode, then per bucket
# (amount, ms per unit, burst ms). "try": take from every bucket only if all of them conform now,
# else take nothing and return the seconds to wait; "force": take (or, negative, give back)
# whatever the level, returning 0. A request bigger than the burst goes once its bucket is full.
_GCRA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + tonumber(now_parts[2]) / 1000
local mode = ARGV[1]
local tats, wait = {}, 0
for i = 1, #KEYS do
  local amount = tonumber(ARGV[3 * i - 1])
  local per_unit = tonumber(ARGV[3 * i])
  local burst = math.max(tonumber(ARGV[3 * i + 1]), amount * per_unit)
  local tat = math.max(tonumber(redis.call('GET', KEYS[i]) or '0'), now)
  local new_tat = math.max(tat + amount * per_unit, now)
  tats[i] = {new_tat, burst}
  wait = math.max(wait, new_tat - now - burst)
end
if mode == 'try' and wait > 0 then
  return string.format('%.3f', math.max(wait / 1000, 0.001))  -- never "0.000": that is a yes
end
for i = 1, #KEYS do
  local new_tat, burst = tats[i][1], tats[i][2]
  redis.call('SET', KEYS[i], string.format('%.3f', new_tat), 'PX', math.ceil(new_tat - now + burst) + 1000)
end
return '0'
"""


@dataclass
class SharedBucket:
    """`rate` units per `window` seconds for every process that names `key` in one Redis."""

    key: str
    rate: float
    window: float

    @property
    def per_unit_ms(self) -> float:
        return self.window * 1000 / self.rate

    @property
    def burst_ms(self) -> float:
        # A sixtieth of the window (a second of a per-minute limit), two requests at least.
        return max(2.0, self.rate / 60) * self.per_unit_ms

    def args(self, amount: float) -> list[float]:
        return [min(amount, self.rate), self.per_unit_ms, self.burst_ms]


class SharedRateLimit:
    """`RateLimit`'s interface over Redis buckets, shared by every worker on every machine.

    A request's units are taken only when both buckets can give them at that moment (one
    script, atomic), and the request is sent right after: a process woken late takes a later
    slot instead of sending what it reserved earlier together with the others.
    """

    def __init__(
        self, client: Any, requests: SharedBucket | None, tokens: SharedBucket | None
    ) -> None:
        self.requests, self.tokens = requests, tokens
        self._script = client.register_script(_GCRA)

    def _run(self, mode: str, parts: list[tuple[SharedBucket, float]]) -> float:
        keys = [bucket.key for bucket, _ in parts]
        args: list[Any] = [mode]
        for bucket, amount in parts:
            args += bucket.args(amount)
        return float(self._script(keys=keys, args=args))

    async def acquire(self, tokens: int) -> None:
        parts = [(b, n) for b, n in ((self.requests, 1), (self.tokens, tokens)) if b is not None]
        if not parts:
            return
        # Called here, not in a thread: the request goes out in the same turn of the event loop
        # as its grant, never after other work of this loop has delayed it.
        while (wait := self._run("try", parts)) > 0:
            # Many waiters: spread their next looks over a slot, not all at its start.
            slot = min(b.per_unit_ms for b, _ in parts) / 1000
            await asyncio.sleep(wait + random.uniform(0, slot))

    def settle(self, reserved: int, used: int) -> None:
        if self.tokens is None or used == reserved:
            return
        self._run("force", [(self.tokens, used - reserved)])


_LIMITS: dict[tuple[str, str, int | None, int | None], RateLimit | SharedRateLimit] = {}
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


def rate_limit(
    base_url: str, api_key: str, rpm: int | None, tpm: int | None
) -> RateLimit | SharedRateLimit:
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
                limit = SharedRateLimit(
                    client,
                    SharedBucket(f"{name}:requests", rpm, window) if rpm else None,
                    SharedBucket(f"{name}:tokens", tpm, window) if tpm else None,
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
