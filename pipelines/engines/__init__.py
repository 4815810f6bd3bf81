"""Engines behind one seam: the embedded template engine, the OpenAI-compatible engine, a fake."""

from pipelines.engines.base import Engine, Result, Task, TaskKind

__all__ = ["Engine", "Result", "Task", "TaskKind"]
