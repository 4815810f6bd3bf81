"""设置: engine and OpenAI-compatible endpoint, the doctor check, defaults.

The API key is never shown back. It lives in this session only, unless the user asks to save it
to their own `.streamlit/secrets.toml` (owner-readable, ignored by git).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import streamlit as st
import tomli_w

from app_pages import common
from app_pages._doctor import JSON_MODES
from pipelines.errors import CampaignCanvasError
from pipelines.settings import PROVIDERS, SECRETS_FILE, load_settings

common.init_state()
CUSTOM = "自定义（填写服务地址）"
SECRET_NAMES = {
    "cc_engine": "CC_ENGINE",
    "cc_provider": "CC_PROVIDER",
    "openai_base_url": "OPENAI_BASE_URL",
    "cc_model": "CC_MODEL",
    "openai_api_key": "OPENAI_API_KEY",
    "cc_json_mode": "CC_JSON_MODE",
}
JSON_CHOICES = [None, "schema", "object"]


def write_secrets(values: dict[str, Any], path: Path = SECRETS_FILE) -> None:
    """Merge `values` into the user's own secrets file, readable by its owner only."""
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            data = {}
    for name, value in values.items():
        key = SECRET_NAMES[name]
        if value in (None, ""):
            data.pop(key, None)
        else:
            data[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(tomli_w.dumps(data))
    tmp.replace(path)


st.title("设置")
common.show_notice()
settings = common.current_settings()
overrides: dict[str, Any] = st.session_state[common.OVERRIDES]

with st.container(border=True):
    st.markdown("**当前生效**")
    engine_label = (
        "内置模板引擎（离线，无需配置）"
        if settings.cc_engine == "template"
        else "大模型（OpenAI 兼容接口）"
    )
    left, middle, right = st.columns(3)
    left.markdown(f"引擎：{engine_label}")
    middle.markdown(f"模型：{common.md_escape(settings.cc_model or '未设置')}")
    right.markdown(f"密钥：{'已设置（不显示）' if settings.api_key else '未设置'}")
    st.caption(f"服务地址：{common.md_escape(settings.base_url or '（服务商默认）')}")

user = st.session_state[common.USER]
if user.role != "admin":
    st.info(
        "生成引擎、大模型服务和密钥由管理员设置，这里只显示当前用的是什么。"
        "要换用别的大模型，请联系管理员。",
        icon=":material/lock:",
    )
    st.stop()

st.subheader("生成引擎", divider="gray")
st.caption(
    "内置模板引擎不联网、不需要密钥；换成大模型时，填上服务商、模型名和密钥。"
    "密钥不会显示在页面上，也不会写进导出文件。"
)
provider_keys = [CUSTOM, *PROVIDERS]
with st.form("engine"):
    engine = st.radio(
        "引擎",
        ["template", "openai"],
        index=0 if settings.cc_engine == "template" else 1,
        format_func=lambda v: {
            "template": "内置模板引擎（离线）",
            "openai": "大模型（OpenAI 兼容接口）",
        }[v],
        horizontal=True,
    )
    provider = st.selectbox(
        "服务商",
        provider_keys,
        index=provider_keys.index(settings.cc_provider) if settings.cc_provider in PROVIDERS else 0,
        format_func=lambda v: PROVIDERS[v].label if v in PROVIDERS else v,
        placeholder="选择服务商",
    )
    base_url = st.text_input(
        "服务地址 Base URL", value=settings.openai_base_url or "", placeholder="选了服务商可留空"
    )
    model = st.text_input(
        "模型名", value=settings.cc_model or "", placeholder="如 deepseek-chat、qwen-plus"
    )
    key = st.text_input(
        "密钥（API Key）",
        value="",
        type="password",
        placeholder="已设置；留空则保持不变" if settings.api_key else "sk-…",
        help="Key 不会显示在页面上，只用于调用你配置的服务。",
    )
    json_mode = st.selectbox(
        "回答格式",
        JSON_CHOICES,
        index=JSON_CHOICES.index(settings.cc_json_mode),
        format_func=lambda v: "跟随服务商（默认）" if v is None else JSON_MODES[v],
        placeholder="请选择",
        help="模型有回应但总不按格式回答时（「检查能不能用」会提示），改成「只要求 JSON 对象」再试。",
    )
    remember = st.checkbox(
        "记在这台电脑上，下次打开还用这套设置（只有你自己能读）",
        value=False,
        help="不勾选时，设置只在本次浏览器会话中有效。",
    )
    applied = st.form_submit_button("应用设置", type="primary", icon=":material/check:")

if applied:
    chosen = {
        "cc_engine": engine,
        "cc_provider": None if provider == CUSTOM else provider,
        "openai_base_url": base_url.strip() or None,
        "cc_model": model.strip() or None,
        "cc_json_mode": json_mode,
    }
    if key.strip():
        chosen["openai_api_key"] = key.strip()
    merged = {**overrides, **chosen}
    try:
        if engine == "openai":
            load_settings(**merged).check_llm()
    except CampaignCanvasError as exc:
        common.show_error(exc)
    else:
        st.session_state[common.OVERRIDES] = merged
        message = "设置已应用到本次会话。"
        if remember:
            write_secrets(chosen)
            message = "设置已应用，并保存到这台电脑上（只有你自己能读）。"
        common.carry_notice(message)
        st.rerun()

st.subheader("检查能不能用", divider="gray")
st.caption(
    "列出现在的设置（密钥只显示有没有设置）；用大模型时会发一个很小的请求，看看能否连上、要多久。"
)
if st.button("开始检查", icon=":material/stethoscope:", key="doctor"):
    from app_pages._doctor import run_doctor

    run_doctor(settings)

st.subheader("默认值", divider="gray")
with st.form("defaults"):
    left, middle, right = st.columns(3)
    seed = left.number_input(
        "模板引擎随机种子", value=settings.cc_seed, step=1, help="同一画布、同一种子，生成结果相同"
    )
    concurrency = middle.number_input(
        "并发任务数", value=settings.cc_max_concurrency, min_value=1, max_value=64, step=1
    )
    temperature = right.slider(
        "大模型温度", 0.0, 2.0, value=float(settings.cc_temperature), step=0.1
    )
    saved = st.form_submit_button("保存默认值", icon=":material/save:")
if saved:
    st.session_state[common.OVERRIDES] = {
        **overrides,
        "cc_seed": int(seed),
        "cc_max_concurrency": int(concurrency),
        "cc_temperature": float(temperature),
    }
    common.carry_notice("默认值已更新（本次会话）。")
    st.rerun()
