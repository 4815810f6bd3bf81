"""Reading a chat completion from the HTTP body ourselves, so a body that is not one fails clearly.

The SDK builds its response objects without validating them: a proxy's HTML page, an empty body
or JSON of another shape would surface later as an AttributeError or JSONDecodeError deep inside
the engine. Here the body is validated against the few fields the engine reads (lenient about
everything else, as providers differ), and anything else becomes a Chinese `ProviderError`.
"""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from pipelines.content import Usage
from pipelines.errors import EngineError, GenerationFailed


class ProviderError(EngineError):
    """The endpoint failed. `str()` is our own message; `note` is the provider's words, redacted,
    for the terminal only (never written into a package). `usage`: what the task's earlier
    attempts spent before this one failed."""

    def __init__(self, message: str, *, note: str = "") -> None:
        super().__init__(message)
        self.note = note
        self.usage = Usage()


class AnswersRejected(GenerationFailed):
    """Every answer of a task was rejected; `usage` is what those answers cost."""

    def __init__(self, message: str, *, attempts: int, last_answer: str, usage: Usage) -> None:
        super().__init__(message, attempts=attempts, last_answer=last_answer)
        self.usage = usage


class _Message(BaseModel):
    content: str | None = None
    refusal: str | None = None


class _Choice(BaseModel):
    message: _Message
    finish_reason: str | None = None


class _Usage(BaseModel):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class Completion(BaseModel):
    """The part of a `chat.completion` object that the engine uses."""

    model: str | None = None
    choices: list[_Choice]
    usage: _Usage | None = None

    @property
    def answer(self) -> str | None:
        """The first choice's text; a refusal's words when it has no content."""
        if not self.choices:
            return None
        message = self.choices[0].message
        return message.content or message.refusal

    @property
    def cut_off(self) -> bool:
        """The answer stopped at the token limit."""
        return bool(self.choices) and self.choices[0].finish_reason == "length"


def read_completion(body: bytes, content_type: str, *, url: str) -> Completion:
    """The completion in an HTTP 200 body, or a ProviderError saying what came instead."""
    try:
        return Completion.model_validate_json(body)
    except ValidationError as exc:
        what = _what_came(body, content_type, exc)
    raise ProviderError(
        f"模型服务「{url}」回应了 HTTP 200，但{what}，不是聊天补全结果：OPENAI_BASE_URL 可能指向了"
        "网页、代理或登录页，而不是 OpenAI 兼容接口（通常以 /v1 结尾）"
    )


def _what_came(body: bytes, content_type: str, exc: ValidationError) -> str:
    text = body.strip()
    if not text:
        return "内容是空的"
    if "html" in content_type.lower() or text[:1] == b"<":
        return "内容是一个 HTML 网页"
    if any(e["type"] == "json_invalid" for e in exc.errors()):
        return "内容不是 JSON"
    fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
    where = f"（{'、'.join(fields)} 缺失或格式不对）" if fields else ""
    return f"返回的 JSON 结构不对{where}"
