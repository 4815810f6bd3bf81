"""The openai client, one per running event loop, and API errors translated into Chinese.

An `AsyncOpenAI` client is bound to the loop its connections were opened on; reusing one across
two `asyncio.run` calls fails, so each loop gets its own. The SDK owns transport retries (429 with
Retry-After, 5xx, connection errors, timeouts); nothing here retries on top of it.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import weakref
from collections.abc import AsyncGenerator

import httpx2
import openai

from pipelines.errors import EngineError
from pipelines.settings import Settings


class ClientPool:
    """Hands out the `AsyncOpenAI` client of the running loop, creating it on first use.

    Each client is closed when its loop shuts down: a started async generator holds it, and
    `asyncio.run` closes every open async generator (`loop.shutdown_asyncgens`) before the loop
    closes, which runs the generator's `finally`. Without this, connections left open would be
    finalised later on a closed loop.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[openai.AsyncOpenAI, AsyncGenerator[None, None]]
        ] = weakref.WeakKeyDictionary()

    async def get(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        entry = self._clients.get(loop)
        if entry is None:
            client = self._create()
            keeper = _close_at_shutdown(client)
            await keeper.__anext__()  # started, so the loop will close it at shutdown
            entry = self._clients[loop] = (client, keeper)
        return entry[0]

    def _create(self) -> openai.AsyncOpenAI:
        s = self.settings
        timeout = openai.Timeout(s.cc_timeout, connect=min(s.cc_timeout, 10.0))
        return openai.AsyncOpenAI(
            # Local servers (Ollama, vLLM) take any key; the SDK insists on a non-empty one.
            api_key=s.api_key or "not-needed",
            base_url=s.base_url,
            timeout=timeout,
            max_retries=s.cc_max_retries,
            http_client=openai.DefaultAsyncHttpxClient(verify=_ssl_context(), timeout=timeout),
        )

    async def aclose(self) -> None:
        """Close the running loop's client now, rather than at loop shutdown."""
        entry = self._clients.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[1].aclose()


async def _close_at_shutdown(client: openai.AsyncOpenAI) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await client.close()


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle takes tens of milliseconds; one context serves every loop's client."""
    return httpx2.create_ssl_context()


def translate(exc: openai.OpenAIError, settings: Settings) -> EngineError:
    """A Chinese message that says what is wrong and which setting to check."""
    model = settings.cc_model
    url = settings.base_url or "https://api.openai.com/v1"
    detail = _detail(exc)
    if isinstance(exc, openai.AuthenticationError):
        message = "API Key 无效或已过期（401）：请检查 OPENAI_API_KEY 是否与服务商匹配"
    elif isinstance(exc, openai.PermissionDeniedError):
        message = f"没有权限（403）：这个 Key 不能调用模型「{model}」，或账户欠费、地区受限"
    elif isinstance(exc, openai.NotFoundError):
        message = (
            f"找不到（404）：模型名「{model}」不存在，或服务地址「{url}」不对"
            "（兼容接口通常以 /v1 结尾）；请检查 CC_MODEL 和 OPENAI_BASE_URL"
        )
    elif isinstance(exc, openai.BadRequestError | openai.UnprocessableEntityError):
        message = (
            f"请求被拒绝（{exc.status_code}）{detail}：若服务商不支持 JSON Schema 输出，"
            "请设置 CC_JSON_MODE=object；也请检查 CC_MODEL 和 CC_TEMPERATURE"
        )
    elif isinstance(exc, openai.RateLimitError):
        message = (
            f"请求过于频繁或额度用尽（429），已按服务商要求等待并重试 {settings.cc_max_retries} 次"
            "仍失败：请稍后再试，或调低 CC_MAX_CONCURRENCY"
        )
    elif isinstance(exc, openai.APITimeoutError):
        message = f"模型服务 {settings.cc_timeout:g} 秒内没有回应（CC_TIMEOUT）：服务繁忙或网络不通"
    elif isinstance(exc, openai.APIConnectionError):
        message = f"连不上模型服务「{url}」：请检查网络和 OPENAI_BASE_URL"
    elif isinstance(exc, openai.APIStatusError):
        message = f"模型服务出错（{exc.status_code}）{detail}，重试后仍失败：请稍后再试"
    else:
        message = f"调用模型失败：{type(exc).__name__}"
    return EngineError(message)


def _detail(exc: openai.OpenAIError) -> str:
    """The provider's own short message, if it gave one (never echoes request headers)."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        text = inner.get("message") if isinstance(inner, dict) else None
        if isinstance(text, str) and text.strip():
            return f"（服务商说明：{text.strip()[:200]}）"
    return ""
