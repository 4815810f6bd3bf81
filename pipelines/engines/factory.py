"""Pick the engine the settings ask for: the embedded template engine or the LLM engine."""

from __future__ import annotations

from pipelines.engines.base import Engine
from pipelines.errors import ConfigError
from pipelines.settings import Settings


def make_engine(settings: Settings, *, engine: str | None = None, seed: int = 0) -> Engine:
    """`engine` overrides `settings.cc_engine`; the LLM engine checks its settings first."""
    name = engine or settings.cc_engine
    if name == "template":
        from pipelines.engines.template import TemplateEngine

        return TemplateEngine(seed=seed)
    if name == "openai":
        from pipelines.engines.llm import LLMEngine

        return LLMEngine(settings)  # raises ConfigError naming what is missing
    raise ConfigError(f"未知的生成引擎「{name}」：可选 template（内置模板）或 openai（大模型）")
