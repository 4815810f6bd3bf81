"""Engines behind one seam: the embedded template engine, the OpenAI-compatible engine, a fake."""

from pipelines.engines.base import OUTPUT_MODELS, Engine, Result, Task, TaskKind

__all__ = ["OUTPUT_MODELS", "Engine", "Result", "Task", "TaskKind"]
