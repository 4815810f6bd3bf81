"""Shared UI helpers: session state, settings, the engine, safe text display, persistence hooks.

Pages stay thin and call pipelines/ through here. Model output is only ever shown as escaped
Markdown or plain text, never as HTML.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import streamlit as st

from pipelines.canvas import Canvas
from pipelines.compliance import annotate
from pipelines.content import Finding, Item, WeekPackage
from pipelines.errors import CampaignCanvasError, ConfigError
from pipelines.settings import Settings, load_settings

WEEKDAYS = "一二三四五六日"
KIND_LABELS = {
    "fabe": "卖点",
    "calendar": "一周日历",
    "poster_copy": "海报文案",
    "livestream": "直播脚本",
    "group_kit": "社群物料",
    "launch": "开团消息",
    "post": "帖子",
}

# Session keys, in one place so pages agree on them.
CANVAS = "canvas"  # the validated Canvas, or None
DRAFT = "canvas_draft"  # the form's data as a plain dict (may be invalid)
DRAFT_ID = "canvas_form_id"  # digest of the loaded draft: prefixes the form's widget keys
CANVAS_ERRORS = "canvas_errors"  # {location tuple: Chinese message}
PACKAGE = "package"  # the generated WeekPackage, or None
SELECTED_POST = "selected_post"
CAMPAIGN = "campaign_id"  # the store's campaign for this session's week, once saved
REGENERATIONS = "regenerations"  # {item id: times regenerated}, the next variant number
LAYOUTS = "poster_layouts"  # {poster id: layout name}
OVERRIDES = "settings_overrides"  # settings chosen on the settings page for this session
USER = "user"
NOTICE = "notice"  # one message carried to the next rerun (e.g. after st.rerun)


def init_state() -> None:
    """Every session key, initialised once at the top of each run."""
    st.session_state.setdefault(CANVAS, None)
    st.session_state.setdefault(DRAFT, None)
    st.session_state.setdefault(DRAFT_ID, "empty")
    st.session_state.setdefault(CANVAS_ERRORS, {})
    st.session_state.setdefault(PACKAGE, None)
    st.session_state.setdefault(CAMPAIGN, None)
    st.session_state.setdefault(SELECTED_POST, None)
    st.session_state.setdefault(REGENERATIONS, {})
    st.session_state.setdefault(LAYOUTS, {})
    st.session_state.setdefault(OVERRIDES, {})
    st.session_state.setdefault(USER, None)
    st.session_state.setdefault(NOTICE, None)


def digest(value: Any) -> str:
    raw = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:12]


# --- settings and engine ----------------------------------------------------------------------


def current_settings() -> Settings:
    """Environment/secrets settings with this session's choices on top; stops with a message."""
    try:
        return load_settings(**st.session_state.get(OVERRIDES, {}))
    except ConfigError as exc:
        st.error(str(exc))
        st.stop()
        raise


def _settings_key(settings: Settings) -> str:
    data = settings.model_dump(mode="json", exclude={"openai_api_key"})
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    data["key_digest"] = hashlib.sha256(key.encode()).hexdigest()
    return digest(data)


@st.cache_resource(show_spinner=False)
def _engine(_settings: Settings, settings_key: str) -> Any:
    from pipelines.engines.factory import make_engine

    return make_engine(_settings, engine=_settings.cc_engine, seed=_settings.cc_seed)


def get_engine(settings: Settings) -> Any:
    """The engine the settings select, built once per distinct configuration."""
    return _engine(settings, _settings_key(settings))


@st.cache_resource(show_spinner=False)
def _result_cache(folder: str) -> Any:
    from pipelines.tasks import DiskCache

    return DiskCache(folder)


def result_cache(settings: Settings) -> Any:
    """The content-addressed answer cache, so regenerating the same canvas is free."""
    return _result_cache(str(settings.cc_data_dir / "cache"))


# --- canvas and package -----------------------------------------------------------------------


def current_canvas() -> Canvas | None:
    return st.session_state.get(CANVAS)


def current_package() -> WeekPackage | None:
    return st.session_state.get(PACKAGE)


def require_canvas() -> Canvas:
    canvas = current_canvas()
    if canvas is None:
        st.info("还没有活动画布。请先在「活动画布」页填写或载入示例画布。")
        st.page_link("app_pages/canvas.py", label="去填写活动画布", icon=":material/edit_note:")
        st.stop()
    return canvas


def require_package() -> WeekPackage:
    package = current_package()
    if package is None:
        st.info("本周内容还没有生成。请到「一周日历」页点击「生成本周内容」。")
        st.page_link("app_pages/week.py", label="去生成本周内容", icon=":material/calendar_month:")
        st.stop()
    return package


def set_package(package: WeekPackage) -> None:
    """Keep a newly generated week in the session and put it in the review queue."""
    st.session_state[PACKAGE] = package
    try:
        store = open_store()
        st.session_state[CAMPAIGN] = store.save_package(
            package, user=st.session_state[USER], campaign_id=st.session_state.get(CAMPAIGN)
        )
    except CampaignCanvasError as exc:
        st.warning(f"内容已保留在本页，但未能存入审核队列：{exc}", icon=":material/warning:")


def update_item(package: WeekPackage, item: Item, *, source: str = "edited") -> WeekPackage:
    """Put an edited or regenerated item into the package and record a new version of it.

    Raises ContentError (the week's rules) or StoreError (permission, someone else's newer version).
    """
    from pipelines.tasks import replace_item

    updated = replace_item(package, item)
    campaign = st.session_state.get(CAMPAIGN)
    if campaign is not None:
        store = open_store()
        stored = next((s for s in store.items(campaign) if s.item_id == item.id), None)
        if stored is not None:
            store.edit_item(
                stored.key,
                updated.item(item.id),
                user=st.session_state[USER],
                expected_version=stored.version,
                source=source,
            )
    st.session_state[PACKAGE] = updated
    return updated


def regenerate(package: WeekPackage, item_id: str, label: str) -> None:
    """Rewrite one item with one engine call, keep it as a new version, and rerun the page."""
    from pipelines.tasks import regenerate_item

    counts = st.session_state[REGENERATIONS]
    variant = counts.get(item_id, 0) + 1
    try:
        with st.spinner(f"正在重写{label}…"):
            engine = get_engine(current_settings())
            rewritten = regenerate_item(package, item_id, engine, variant=variant)
        update_item(package, rewritten.item(item_id), source="regenerated")
    except CampaignCanvasError as exc:
        show_error(exc)
        return
    counts[item_id] = variant
    carry_notice(f"已重新生成{label} {item_id}（第 {variant} 版）。")
    st.rerun()


def open_store() -> Any:
    """The review store of the current settings, opened once per database."""
    settings = current_settings()
    return _store(settings.database_url, settings)


@st.cache_resource(show_spinner=False)
def _store(database_url: str, _settings: Settings) -> Any:
    from pipelines.store import open_store as _open

    return _open(_settings)


def carry_notice(message: str) -> None:
    """Show `message` after the next rerun (a toast would be lost by st.rerun)."""
    st.session_state[NOTICE] = message


def show_notice() -> None:
    message = st.session_state.get(NOTICE)
    if message:
        st.success(message)
        st.session_state[NOTICE] = None


def day_label(package_or_canvas: WeekPackage | Canvas, day: int) -> str:
    canvas = (
        package_or_canvas.canvas
        if isinstance(package_or_canvas, WeekPackage)
        else package_or_canvas
    )
    date = canvas.days[day - 1]
    return f"周{WEEKDAYS[date.weekday()]} {date:%m/%d}"


# --- safe text --------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&^=\"'])")


def md_escape(value: str) -> str:
    """Text made inert for st.markdown: every Markdown/HTML-significant ASCII char escaped."""
    escaped = _MD_SPECIAL.sub(r"\\\1", value)
    return escaped.replace("\r", "").replace("\n", "  \n")


def highlighted(value: str, findings: list[Finding]) -> str:
    """Escaped Markdown of `value` with each finding's span on a coloured background."""
    spans = sorted(
        (f for f in findings if 0 <= f.start < f.end <= len(value)), key=lambda f: f.start
    )
    parts: list[str] = []
    cursor = 0
    for finding in spans:
        if finding.start < cursor:  # overlapping spans: the first one wins
            continue
        parts.append(md_escape(value[cursor : finding.start]))
        colour = "red" if finding.severity == "error" else "orange"
        parts.append(f":{colour}-background[{md_escape(value[finding.start : finding.end])}]")
        cursor = finding.end
    parts.append(md_escape(value[cursor:]))
    return "".join(parts)


def show_text(value: str, findings: list[Finding] | None = None) -> None:
    """Model output as safe Markdown, with compliance spans highlighted."""
    st.markdown(highlighted(value, findings or []))


def findings_rows(findings: list[Finding]) -> list[dict[str, str]]:
    return [
        {
            "字段": f.field,
            "片段": f.span,
            "级别": "需修改" if f.severity == "error" else "请复核",
            "规则": f.rule,
            "原因": f.why,
            "建议改写": f.suggestion,
        }
        for f in findings
    ]


def show_findings(item: Item) -> None:
    """A table of an item's compliance findings, or a quiet all-clear."""
    if not item.findings:
        st.caption(":material/verified: 合规检查未发现问题")
        return
    errors = sum(f.severity == "error" for f in item.findings)
    st.caption(f":material/report: 合规提示 {len(item.findings)} 条（其中需修改 {errors} 条）")
    st.dataframe(findings_rows(item.findings), hide_index=True, width="stretch")


def rescan(item: Item, canvas: Canvas) -> Item:
    """Re-run the compliance scan after an edit."""
    return annotate(item, canvas)


def show_error(exc: Exception) -> None:
    """A domain error as a Chinese message, never a traceback."""
    st.error(str(exc), icon=":material/error:")
