"""Shared UI helpers: session state, settings, the engine, safe text display, persistence hooks.

Pages stay thin and call pipelines/ through here. Model output is only ever shown as escaped
Markdown or plain text, never as HTML.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from pipelines.canvas import Canvas
from pipelines.content import KINDS, Finding, Item, WeekPackage
from pipelines.errors import CampaignCanvasError, ConfigError, StoreError
from pipelines.settings import Settings, load_settings
from pipelines.store import StoredItem
from pipelines.workspace import NeedsConfirmation, Workspace

WEEKDAYS = "一二三四五六日"
KIND_LABELS = {k.kind.value: k.label for k in KINDS.values()}  # every task kind, calendar too

# Session keys, in one place so pages agree on them.
CANVAS = "canvas"  # the validated Canvas, or None
DRAFT = "canvas_draft"  # the form's data as a plain dict (may be invalid)
DRAFT_ID = "canvas_form_id"  # digest of the loaded draft: prefixes the form's widget keys
CANVAS_ERRORS = "canvas_errors"  # {location tuple: Chinese message}
DRAFT_OF = "canvas_draft_campaign"  # the campaign the draft was opened from (None: a new one)
SELECTED_POST = "selected_post"
CAMPAIGN = "campaign_id"  # the open campaign; the week itself lives only in the store
OVERRIDES = "settings_overrides"  # settings chosen on the settings page for this session
USER = "user"
NOTICE = "notice"  # one message carried to the next rerun (e.g. after st.rerun)
CONFIRM = "confirm"  # an open question: ("item", id, label, message) or ("week", campaign, …)


def init_state() -> None:
    """Every session key, initialised once at the top of each run."""
    st.session_state.setdefault(CANVAS, None)
    st.session_state.setdefault(DRAFT, None)
    st.session_state.setdefault(DRAFT_ID, "empty")
    st.session_state.setdefault(CANVAS_ERRORS, {})
    st.session_state.setdefault(DRAFT_OF, None)
    st.session_state.setdefault(CAMPAIGN, None)
    st.session_state.setdefault(SELECTED_POST, None)
    st.session_state.setdefault(OVERRIDES, {})
    st.session_state.setdefault(USER, None)
    st.session_state.setdefault(NOTICE, None)
    st.session_state.setdefault(CONFIRM, None)


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
    """The canvas the draft last validated to (see `draft_problems` for a draft with errors)."""
    return st.session_state.get(CANVAS)


def draft_problems() -> list[str]:
    """The draft's validation messages: a draft with errors is never generated from."""
    return list(st.session_state.get(CANVAS_ERRORS, {}).values())


def require_canvas() -> Canvas:
    canvas = current_canvas()
    if canvas is None:
        st.info(
            "还没有活动画布。请先在「活动画布」页填写或载入示例画布，或在「活动」页打开一个已保存的活动。"
        )
        st.page_link("app_pages/canvas.py", label="去填写活动画布", icon=":material/edit_note:")
        st.stop()
    return canvas


# --- the open campaign: an id in the session and the URL, the week in the store -------------------


def workspace() -> Workspace:
    """The campaign service, acting as the signed-in person."""
    return Workspace(open_store(), st.session_state[USER])


def current_campaign() -> str | None:
    """The open campaign: this session's, else the one in the link (?campaign=…), if it exists.
    Kept in the URL too, so a reload, a second tab or a shared link opens the same campaign."""
    campaign = st.session_state.get(CAMPAIGN) or st.query_params.get("campaign")
    if campaign and not open_store().has_campaign(campaign):
        campaign = None
    st.session_state[CAMPAIGN] = campaign
    if campaign and st.query_params.get("campaign") != campaign:
        st.query_params["campaign"] = campaign
    post = st.query_params.get("post")
    if campaign and post and st.session_state.get(SELECTED_POST) is None:
        st.session_state[SELECTED_POST] = post  # a deep link opens that post
    return campaign


def open_campaign(campaign_id: str) -> None:
    """Make `campaign_id` the open campaign and its canvas the draft."""
    st.session_state[CAMPAIGN] = campaign_id
    st.query_params["campaign"] = campaign_id
    st.session_state[SELECTED_POST] = None
    use_canvas(open_store().canvas(campaign_id), campaign_id)


def use_canvas(canvas: Canvas, campaign_id: str | None) -> None:
    """Put a valid canvas in the form as the draft (opened from `campaign_id`, or new)."""
    from app_pages._canvas_io import canvas_dict

    data = canvas_dict(canvas)
    st.session_state[CANVAS] = canvas
    st.session_state[DRAFT] = data
    st.session_state[DRAFT_ID] = "f" + digest(data)
    st.session_state[CANVAS_ERRORS] = {}
    st.session_state[DRAFT_OF] = campaign_id
    keep_draft()


def keep_draft() -> None:
    """Save the form's draft to the store, so a page switch or a reload loses nothing."""
    draft = st.session_state.get(DRAFT)
    if draft is not None:
        open_store().save_draft(st.session_state[USER].name, draft, st.session_state.get(DRAFT_OF))


def restore_draft() -> None:
    """After a reload: the person's kept draft, else the open campaign's canvas."""
    if st.session_state.get(DRAFT) is not None or st.session_state.get(CANVAS) is not None:
        return
    kept = open_store().draft(st.session_state[USER].name)
    if kept is not None:
        from app_pages._canvas_form import validate

        data, campaign = kept
        canvas, errors = validate(data)
        st.session_state[DRAFT], st.session_state[DRAFT_OF] = data, campaign
        st.session_state[DRAFT_ID] = "f" + digest(data)
        st.session_state[CANVAS], st.session_state[CANVAS_ERRORS] = canvas, errors
        return
    campaign = current_campaign()
    if campaign is not None:
        use_canvas(open_store().canvas(campaign), campaign)


def current_package() -> WeekPackage | None:
    """The open campaign's week as stored (every item at its current version)."""
    campaign = current_campaign()
    if campaign is None:
        return None
    try:
        return workspace().week(campaign)
    except CampaignCanvasError as exc:
        show_error(exc)
        return None


def require_package() -> WeekPackage:
    package = current_package()
    if package is None:
        st.info(
            "本周内容还没有生成。请到「一周日历」页点击「生成本周内容」，或在「活动」页打开一个活动。"
        )
        st.page_link("app_pages/week.py", label="去生成本周内容", icon=":material/calendar_month:")
        st.stop()
    return package


def update_item(
    item: Item, *, expected_version: int | None = None, source: str = "edited", **extra: Any
) -> StoredItem:
    """Save an edited item of the open campaign as its next version, through the one service
    every page uses (week-wide rules, compliance, version check). Raises CampaignCanvasError."""
    campaign = current_campaign()
    if campaign is None:
        raise StoreError("没有打开的活动：请先生成本周内容")
    return workspace().edit(
        campaign, item, expected_version=expected_version, source=source, **extra
    )


def regenerate(item_id: str, label: str, *, overwrite_edit: bool = False) -> None:
    """Rewrite one item with one engine call and keep it as a new version. A hand-edited item
    asks first (a dialog); 撤销 brings the previous version back."""
    from pipelines.tasks import regenerate_item

    engine = get_engine(current_settings())

    def write(week: WeekPackage, target: str, variant: int) -> WeekPackage:
        return regenerate_item(week, target, engine, variant=variant)

    try:
        with st.spinner(f"正在重写{label}…"):
            saved = workspace().regenerate(
                current_campaign() or "", item_id, write, overwrite_edit=overwrite_edit
            )
    except NeedsConfirmation as exc:
        st.session_state[CONFIRM] = ("item", item_id, label, str(exc))
        st.rerun()
    except CampaignCanvasError as exc:
        show_error(exc)
        return
    carry_notice(f"已重新生成{label} {item_id}（第 {saved.version} 版，旧版本在历史里，可撤销）。")
    st.rerun()


def confirm_pending() -> None:
    """The question an action left open (regenerating over someone's work), as a dialog on
    every run until it is answered — so the answer is seen whichever way the page reruns."""
    pending = st.session_state.get(CONFIRM)
    if pending is not None and pending[0] == "item":
        _confirm_item(*pending[1:])


def clear_confirm() -> None:
    st.session_state[CONFIRM] = None


@st.dialog("替换人工修改？", on_dismiss=clear_confirm)
def _confirm_item(item_id: str, label: str, message: str) -> None:
    st.write(message)
    left, right = st.columns(2)
    if left.button("替换并重新生成", type="primary", key=f"confirm.regen.{item_id}"):
        clear_confirm()
        regenerate(item_id, label, overwrite_edit=True)
    if right.button("保留我的修改", key=f"cancel.regen.{item_id}"):
        clear_confirm()
        st.rerun()


def undo(item_id: str) -> None:
    try:
        restored = workspace().undo(current_campaign() or "", item_id)
    except CampaignCanvasError as exc:
        show_error(exc)
        return
    carry_notice(f"已撤销：{item_id} 回到上一版的内容（现为第 {restored.version} 版）。")
    st.rerun()


def local_time(value: dt.datetime) -> str:
    """A stored (UTC) time as the person reads it: in the configured zone."""
    return f"{value.astimezone(ZoneInfo(current_settings().cc_timezone)):%m-%d %H:%M}"


def open_store() -> Any:
    """The review store of the current settings, opened once per database."""
    settings = current_settings()
    try:
        return _store(settings.database_url, settings)
    except StoreError as exc:  # an empty or damaged database: the message names the backup
        st.error(str(exc), icon=":material/error:")
        st.stop()
        raise


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
        # Bold coloured words on the tinted background: readable, not just a pale wash.
        span = md_escape(value[finding.start : finding.end])
        parts.append(f":{colour}-background[**:{colour}[{span}]**]")
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


def show_error(exc: Exception) -> None:
    """A domain error as a Chinese message, never a traceback."""
    st.error(str(exc), icon=":material/error:")


# --- small helpers for the review, week and livestream pages ---------------------------------


def can_edit() -> bool:
    """Whether the signed-in person may change content."""
    from pipelines.auth import can

    user = st.session_state.get(USER)
    return user is not None and can(user, "edit")


def stored_version(item_id: str) -> int | None:
    """The stored version of an item of the open campaign (None when there is none)."""
    campaign = current_campaign()
    if campaign is None:
        return None
    try:
        return workspace().item(campaign, item_id).version
    except CampaignCanvasError:
        return None


def copy_block(text: str, label: str) -> None:
    """Text with a one-click copy button (st.code's own), as plain text: never rendered."""
    st.caption(f":material/content_copy: {label}（点右上角的按钮一键复制）")
    st.code(text, language=None, wrap_lines=True)
