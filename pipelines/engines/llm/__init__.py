"""The LLM engine for any OpenAI-compatible endpoint (DeepSeek, Qwen, Moonshot, Ollama, vLLM, OpenAI)."""

from pipelines.engines.llm.engine import LLMEngine

__all__ = ["LLMEngine"]
