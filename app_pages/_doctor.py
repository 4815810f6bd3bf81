"""The settings page's doctor check: the CLI doctor's report, plus one tiny call to the model."""

from __future__ import annotations

import asyncio

import streamlit as st

from app_pages import common
from pipelines.cli.doctor import describe
from pipelines.errors import CampaignCanvasError
from pipelines.settings import Settings


async def _ping(settings: Settings):
    from pipelines.engines.llm import LLMEngine

    engine = LLMEngine(settings)  # one event loop: the client is opened and closed inside it
    try:
        return engine.json_mode, await engine.ping()
    finally:
        await engine.aclose()


def run_doctor(settings: Settings) -> None:
    with st.container(border=True):
        for line in describe(settings):
            st.text(line)
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
        if not ping.ok:
            st.error(
                f"模型「{ping.model}」有回应，但没有按要求输出 JSON。"
                + (
                    "可在环境变量里试试 CC_JSON_MODE=object。"
                    if mode == "schema"
                    else "请换一个支持 JSON 输出的模型。"
                ),
                icon=":material/error:",
            )
            st.text(f"模型回答（前 80 字）：{ping.answer[:80]}")
            return
        st.success(
            f"正常：模型「{ping.model}」以 {mode} 模式回应，耗时 {ping.latency * 1000:.0f} 毫秒",
            icon=":material/check_circle:",
        )
