"""The openai client, one per running event loop, and API errors translated into Chinese.

An `AsyncOpenAI` client is bound to the loop its connections were opened on; reusing one across
two `asyncio.run` calls fails, so each loop gets its own. The SDK owns transport retries (429 with
Retry-After, 5xx, connection errors, timeouts); nothing here retries on top of it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import functools
import ssl
import weakref
from collections.abc import AsyncGenerator

import httpx2
import openai

from pipelines.engines.llm.completion import ProviderError
from pipelines.settings import Settings
from pipelines.textsafe import excerpt, redact


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


# openai's MAX_RETRY_AFTER_DELAY: the SDK does not retry at all when asked to wait longer.
SDK_LONGEST_WAIT = 120.0


def translate(exc: openai.OpenAIError, settings: Settings) -> ProviderError:
    """A Chinese message that says what is wrong and which setting to check.

    The provider's own words go into `note`, redacted, and never into the message itself.
    """
    model = settings.cc_model
    url = settings.base_url or "https://api.openai.com/v1"
    retried = _retries(exc, settings)
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
            f"请求被拒绝（{exc.status_code}）：若服务商不支持 JSON Schema 输出，"
            "请设置 CC_JSON_MODE=object；也请检查 CC_MODEL 和 CC_TEMPERATURE"
        )
    elif isinstance(exc, openai.RateLimitError):
        message = f"请求过于频繁或额度用尽（429），{retried}：请稍后再试，或调低 CC_MAX_CONCURRENCY"
    elif isinstance(exc, openai.APITimeoutError):
        message = f"模型服务 {settings.cc_timeout:g} 秒内没有回应（CC_TIMEOUT）：服务繁忙或网络不通"
    elif isinstance(exc, openai.APIConnectionError):
        message = f"连不上模型服务「{url}」：请检查网络和 OPENAI_BASE_URL"
    elif isinstance(exc, openai.APIStatusError):
        message = f"模型服务出错（{exc.status_code}），{retried}：请稍后再试"
    else:
        message = f"调用模型失败：{type(exc).__name__}"
    error = ProviderError(message, note=_note(exc, settings))
    # For a queue that retries the whole canvas later: worth retrying, and when (Retry-After).
    status = getattr(exc, "status_code", None)
    error.transient = isinstance(
        exc, openai.RateLimitError | openai.APITimeoutError | openai.APIConnectionError
    ) or (isinstance(status, int) and status >= 500)
    response = getattr(exc, "response", None)
    error.retry_after = retry_after(response.headers) if response is not None else None
    return error


def _retries(exc: openai.OpenAIError, settings: Settings) -> str:
    """What the SDK did before giving up, told as it happened."""
    response = getattr(exc, "response", None)
    wait = retry_after(response.headers) if response is not None else None
    if wait is not None and wait > SDK_LONGEST_WAIT:
        return (
            f"服务商要求等待 {wait:.0f} 秒后再试，超过了可以等待的上限（{SDK_LONGEST_WAIT:.0f} 秒），"
            "所以没有重试"
        )
    if settings.cc_max_retries == 0:
        return "没有重试（CC_MAX_RETRIES=0）"
    how = "已按服务商要求等待并" if wait is not None else "已"
    return f"{how}重试 {settings.cc_max_retries} 次仍失败"


def retry_after(headers: httpx2.Headers) -> float | None:
    """Seconds the provider asks us to wait (Retry-After-Ms, Retry-After in seconds or a date)."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) / scale
        except ValueError:
            pass
    try:
        when = email.utils.parsedate_to_datetime(headers.get("retry-after", ""))
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return (when - dt.datetime.now(dt.UTC)).total_seconds()


def _note(exc: openai.OpenAIError, settings: Settings) -> str:
    """The provider's own short message, if it gave one, with the key and credentials hidden."""
    body = getattr(exc, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    text = inner.get("message") if isinstance(inner, dict) else None
    if not isinstance(text, str) or not text.strip():
        return ""
    return excerpt(redact(text.strip(), [settings.api_key]), 200)
