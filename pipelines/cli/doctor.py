"""`campaign-canvas doctor`: check the engine settings and make one tiny call to the model."""

from __future__ import annotations

import argparse
import asyncio
import sys

from pipelines.errors import CampaignCanvasError
from pipelines.settings import PROVIDERS, Settings, load_settings
from pipelines.textsafe import excerpt, for_terminal, redact


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="检查大模型配置并试调用一次",
        description="检查引擎配置（服务地址、Key、模型、JSON 模式），并向模型发一次很小的请求，"
        "报告模型名、JSON 模式和耗时。正常退出码 0，有问题退出码 2。",
    )
    parser.set_defaults(func=handler)


def describe(settings: Settings) -> list[str]:
    """The configuration, one line each; the key is only ever shown as set or not set."""
    provider = settings.provider
    return [
        f"引擎：{settings.cc_engine}",
        f"服务商预设：{provider.label if provider else '（未设置）'}",
        f"服务地址：{settings.base_url or 'https://api.openai.com/v1（默认）'}",
        f"API Key：{'已设置' if settings.api_key else '未设置'}",
        f"模型：{settings.cc_model or '（未设置）'}",
        f"JSON 模式：{settings.json_mode}",
        f"超时：{settings.cc_timeout:g} 秒；SDK 重试：{settings.cc_max_retries} 次；"
        f"并发上限：{settings.cc_max_concurrency}",
    ]


def handler(args: argparse.Namespace) -> int:
    settings = load_settings()
    for line in describe(settings):
        print(for_terminal(line))
    llm_wanted = settings.cc_engine == "openai" or settings.cc_model or settings.base_url
    if not llm_wanted:
        print(
            "当前使用内置模板引擎，无需联网。要用大模型，请设置 CC_ENGINE=openai、CC_MODEL，"
            f"以及 OPENAI_BASE_URL 或 CC_PROVIDER（{'、'.join(PROVIDERS)}）和 OPENAI_API_KEY。"
        )
        return 0
    from pipelines.engines.llm import LLMEngine
    from pipelines.engines.llm.completion import ProviderError

    try:
        engine = LLMEngine(settings)
        ping = asyncio.run(_ping(engine))
    except CampaignCanvasError as exc:
        _problem(str(exc))
        if isinstance(exc, ProviderError) and exc.note:
            _problem(f"服务商说明：{exc.note}", lead="  ")
        return 2
    answer = excerpt(redact(ping.answer, [settings.api_key]), 80)
    if ping.cut_off:
        _problem(
            f"模型「{ping.model}」的回答在长度上限处被截断了（finish_reason=length，回答：{answer!r}）："
            "服务商的输出上限可能设得太小，请检查模型和服务商的 max_tokens 设置"
        )
        return 2
    if not ping.ok:
        hint = (
            "可试试 CC_JSON_MODE=object"
            if engine.json_mode == "schema"
            else "请换一个支持 JSON 输出的模型"
        )
        _problem(f"模型「{ping.model}」有回应，但没有按要求输出 JSON（回答：{answer!r}）。{hint}")
        return 2
    print(
        for_terminal(
            f"正常：模型「{ping.model}」以 {engine.json_mode} 模式回应，"
            f"耗时 {ping.latency * 1000:.0f} 毫秒"
        )
    )
    return 0


def _problem(text: str, *, lead: str = "有问题：") -> None:
    print(for_terminal(f"{lead}{text}"), file=sys.stderr)


async def _ping(engine):  # one loop: the client is opened and closed inside it
    try:
        return await engine.ping()
    finally:
        await engine.aclose()
