"""Compliance findings as cards: where, which rule, why and the suggested rewrite in full, with
one click to apply the rewrite as a new version (through the campaign service)."""

from __future__ import annotations

import re

import streamlit as st

from app_pages import common
from pipelines.content import Finding, Item, iter_texts
from pipelines.errors import CampaignCanvasError
from pipelines.store import VersionConflict
from pipelines.store.texts import field_label, with_texts

FIX_ERROR = "fix_error"  # (item id, message) from the last 应用, shown above its cards
_REWRITE = re.compile(r"改为「([^「」]*)」")
SEVERITY = {"error": ":red-badge[需修改]", "warning": ":orange-badge[请复核]"}


def suggested_rewrite(finding: Finding) -> str:
    """The words the suggestion proposes in place of the span ("" when it only gives advice
    or a pattern such as 「亮点在于…」 that a person has to finish)."""
    match = _REWRITE.search(finding.suggestion)
    if match is None or "…" in match.group(1):
        return ""
    return match.group(1)


def with_rewrite(item: Item, finding: Finding, replacement: str) -> Item:
    """`item` with the finding's span replaced by `replacement` (a StoreError in Chinese when
    the text no longer holds the span, or the result breaks the field's rules)."""
    value = dict(iter_texts(item)).get(finding.field)
    if value is None:
        raise CampaignCanvasError(f"找不到「{field_label(finding.field)}」这段文字，请重新载入")
    start, end = finding.start, finding.end
    if value[start:end] != finding.span:  # the text moved: fall back to the span's only place
        start = value.find(finding.span)
        if start < 0 or value.count(finding.span) != 1:
            raise CampaignCanvasError(
                f"「{finding.span}」已经不在{field_label(finding.field)}里了，请重新载入后再改"
            )
        end = start + len(finding.span)
    return with_texts(item, {finding.field: value[:start] + replacement + value[end:]})


def _apply(item: Item, index: int, version: int, widget: str) -> None:
    finding = item.findings[index]
    replacement = str(st.session_state.get(widget, "")).strip()
    try:
        saved = common.update_item(
            with_rewrite(item, finding, replacement), expected_version=version
        )
    except VersionConflict as exc:
        st.session_state[FIX_ERROR] = (
            item.id,
            f"没有应用：「{item.id}」已被 {exc.current.updated_by} 改为第 {exc.current.version} 版，"
            "请看最新内容后再改。",
        )
        return
    except CampaignCanvasError as exc:
        st.session_state[FIX_ERROR] = (item.id, str(exc))
        return
    done = f"改为「{replacement}」" if replacement else "删去"
    common.carry_notice(
        f"已把「{finding.span}」{done}，保存为第 {saved.version} 版，合规检查已重新运行。"
    )


def finding_cards(item: Item, *, scope: str, version: int | None = None) -> None:
    """One card per finding; with the right to edit, a rewrite field and 应用 per finding.
    `version` is the version on screen (looked up when not given): a stale 应用 is refused."""
    if not item.findings:
        st.caption(":material/verified: 合规检查未发现问题")
        return
    errors = sum(f.severity == "error" for f in item.findings)
    st.markdown(f"**:material/report: 合规提示 {len(item.findings)} 条**（其中需修改 {errors} 条）")
    failed = st.session_state.get(FIX_ERROR)
    if failed is not None and failed[0] == item.id:
        st.error(common.md_escape(failed[1]), icon=":material/error:")
        st.session_state[FIX_ERROR] = None
    editable = common.can_edit()
    if editable and version is None:
        version = common.stored_version(item.id)
    for index, finding in enumerate(item.findings):
        with st.container(border=True, key=f"finding-{scope}-{item.id}-{index}"):
            st.markdown(
                f"{SEVERITY.get(finding.severity, '')} **「{common.md_escape(finding.span)}」** · "
                f"{common.md_escape(field_label(finding.field))}"
            )
            st.markdown(
                f"**规则**：{common.md_escape(finding.rule)}（{common.md_escape(finding.category)}）  \n"
                f"**原因**：{common.md_escape(finding.why)}  \n"
                f"**建议**：{common.md_escape(finding.suggestion)}"
            )
            if not editable or version is None:
                continue
            widget = f"fix.{scope}.{item.id}.{version}.{index}"
            left, right = st.columns([3, 1], vertical_alignment="bottom")
            left.text_input(
                f"把「{finding.span}」替换为（留空即删去）",
                value=suggested_rewrite(finding),
                key=widget,
                max_chars=60,
            )
            right.button(
                "应用改写",
                key=f"apply.{scope}.{item.id}.{index}",
                icon=":material/auto_fix_high:",
                on_click=_apply,
                args=(item, index, version, widget),
                width="stretch",
            )
