"""The settings page's doctor check in plain words, plus one tiny call to the model.

What each setting means is said in words; the name of the setting behind it (an environment
variable or a `secrets.toml` key) is only a small hint for admins, never the message itself.
"""

from __future__ import annotations

import asyncio

import streamlit as st

from app_pages import common
from pipelines.errors import CampaignCanvasError
from pipelines.settings import Settings

JSON_MODES = {
    "schema": "严格按格式（JSON Schema）",
    "object": "只要求 JSON 对象",
}
# For admins: which setting each line comes from (environment variable or secrets.toml key).
SETTING_NAMES = (
    "生成引擎 CC_ENGINE · 服务商 CC_PROVIDER · 服务地址 OPENAI_BASE_URL · 密钥 OPENAI_API_KEY · "
    "模型 CC_MODEL · 回答格式 CC_JSON_MODE · 等待 CC_TIMEOUT、CC_DEADLINE · "
    "重试 CC_MAX_RETRIES · 同时进行 CC_MAX_CONCURRENCY · 回答长度上限 CC_MAX_OUTPUT_TOKENS"
)


def plain_lines(settings: Settings) -> list[str]:
    """The settings in force, one line each, in words (the key only as set or not set)."""
    if settings.cc_engine == "template":
        return [
            "生成引擎：内置模板引擎（离线，不联网，不需要密钥）",
            f"同时进行：最多 {settings.cc_max_concurrency} 个任务",
        ]
    provider = settings.provider
    return [
        "生成引擎：大模型（OpenAI 兼容接口）",
        f"服务商：{provider.label if provider else '未选（用填写的服务地址）'}",
        f"服务地址：{settings.base_url or 'OpenAI 官方地址（默认）'}",
        f"密钥：{'已设置（不显示）' if settings.api_key else '未设置'}",
        f"模型：{settings.cc_model or '未设置'}",
        f"回答格式：{JSON_MODES.get(settings.json_mode, settings.json_mode)}",
        f"等待：一次请求最多等 {settings.cc_timeout:g} 秒，一次调用（含重试）最多 "
        f"{settings.cc_deadline:g} 秒；连不上时自动重试 {settings.cc_max_retries} 次",
        f"同时进行：最多 {settings.cc_max_concurrency} 个任务；每次回答最多约 "
        f"{settings.output_cap} 个 token",
    ]


def admin_hint(text: str) -> None:
    st.caption(f":material/admin_panel_settings: 给管理员：{text}")


async def _ping(settings: Settings):
    from pipelines.engines.llm import LLMEngine

    engine = LLMEngine(settings)  # one event loop: the client is opened and closed inside it
    try:
        return engine.json_mode, await engine.ping()
    finally:
        await engine.aclose()


def run_doctor(settings: Settings) -> None:
    with st.container(border=True):
        for line in plain_lines(settings):
            st.text(line)
        admin_hint(f"这些设置对应的设置项（环境变量或 secrets.toml）：{SETTING_NAMES}")
        if settings.cc_engine == "template":
            st.success(
                "当前使用内置模板引擎，无需联网，可以直接生成。", icon=":material/check_circle:"
            )
            return
        try:
            with st.spinner("正在向模型发一个很小的请求…"):
                mode, ping = asyncio.run(_ping(settings))
        except CampaignCanvasError as exc:
            common.show_error(exc)
            return
        answer = ping.answer[:80]
        if ping.cut_off:
            st.error(
                f"模型「{ping.model}」的回答写到一半被截断了：服务商给的回答长度上限可能太小。"
                "请检查这个模型在服务商那里的输出上限。",
                icon=":material/error:",
            )
            st.text(f"模型回答（前 80 字）：{answer}")
            admin_hint("回答长度上限的设置项是 CC_MAX_OUTPUT_TOKENS。")
            return
        if not ping.ok:
            if mode == "schema":
                advice = (
                    "可以在上面「生成引擎」里把「回答格式」改成"
                    f"「{JSON_MODES['object']}」，应用后再检查一次。"
                )
            else:
                advice = "请换一个能按 JSON 格式回答的模型。"
            st.error(
                f"模型「{ping.model}」有回应，但没有按要求的格式回答。{advice}",
                icon=":material/error:",
            )
            st.text(f"模型回答（前 80 字）：{answer}")
            if mode == "schema":
                admin_hint("对应的设置项是 CC_JSON_MODE=object（环境变量或 secrets.toml）。")
            return
        st.success(
            f"正常：模型「{ping.model}」能连上，按「{JSON_MODES.get(mode, mode)}」回答，"
            f"用时 {ping.latency * 1000:.0f} 毫秒",
            icon=":material/check_circle:",
        )
