"""Limits on the engine seam: requests and tokens per minute per provider key, calls at once.

The buckets are shared by every engine of this process that talks to the same endpoint with the
same key (a batch of canvases, the app's sessions); sharing them across processes belongs to the
work queue. A request takes one request token and its estimated tokens (prompt + max_tokens)
before it is sent; when the answer says what it really used, the difference is given back.
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


_LIMITS: dict[tuple[str, str, int | None, int | None], RateLimit] = {}
_LIMITS_LOCK = threading.Lock()


def rate_limit(base_url: str, api_key: str, rpm: int | None, tpm: int | None) -> RateLimit:
    """The process's buckets for this endpoint and key (the key only as a digest)."""
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:16]
    key = (base_url, digest, rpm, tpm)
    with _LIMITS_LOCK:
        limit = _LIMITS.get(key)
        if limit is None:
            limit = _LIMITS[key] = RateLimit(
                TokenBucket(rpm) if rpm else None, TokenBucket(tpm) if tpm else None
            )
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
