"""A queue-backed fake engine for tests: enqueue outputs (or exceptions), read `history`."""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque

from pydantic import BaseModel

from pipelines.engines.base import Engine, Result, Task, TaskKind
from pipelines.errors import EngineError


class FakeEngine:
    """Answers each task with the next queued answer for its kind.

    With a `fallback` engine, tasks with nothing queued go to it; without one they fail loudly.
    `delay` (seconds) simulates latency so concurrency can be observed.
    """

    name = "fake"

    def __init__(self, fallback: Engine | None = None, *, delay: float = 0.0) -> None:
        self.fallback = fallback
        self.delay = delay
        self.history: list[Task] = []
        self._queues: dict[TaskKind, deque[BaseModel | Exception]] = defaultdict(deque)
        self.running = 0
        self.max_running = 0

    def enqueue(self, kind: TaskKind, *answers: BaseModel | Exception) -> None:
        self._queues[kind].extend(answers)

    def cache_key(self, task: Task) -> str:
        return f"fake/{task.input_hash()}"

    async def generate(self, task: Task) -> Result:
        self.history.append(task)
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            queue = self._queues[task.kind]
            if queue:
                answer = queue.popleft()
                if isinstance(answer, Exception):
                    raise answer
                return Result(output=answer)
            if self.fallback is not None:
                return await self.fallback.generate(task)
            raise EngineError(f"FakeEngine: nothing queued for {task.kind} ({task.item_id})")
        finally:
            self.running -= 1
