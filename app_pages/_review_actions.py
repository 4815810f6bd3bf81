"""The review page's actions (run as widget callbacks, before the page draws, so every count on
the page is already current) and the panel a stale action shows: what changed, in Chinese."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages import common
from pipelines.auth import User
from pipelines.errors import CampaignCanvasError
from pipelines.store import STATE_LABELS, Store, StoredItem, VersionConflict
from pipelines.store.texts import changed_fields, field_label, with_texts

OPEN = "review_open"  # the item key whose detail is open
EDIT_BASE = "review_edit_base"  # {item key: the version the open editor started from}
CONFIRM = "review_confirm"  # (item key, question) when regenerating would replace a hand edit
ERROR = "review_error"  # a Chinese message from the last action, shown once
CONFLICTS = "review_conflicts"  # stale actions: [{key, action, base, mine}]
DONE = {"submit": "已提交审核", "approve": "已通过", "reject": "已驳回", "comment": "已评论"}
VERB = {"submit": "提交", "approve": "通过", "reject": "驳回", "edit": "保存修改"}


def init() -> None:
    st.session_state.setdefault(OPEN, None)
    st.session_state.setdefault(EDIT_BASE, {})
    st.session_state.setdefault(ERROR, None)
    st.session_state.setdefault(CONFIRM, None)
    st.session_state.setdefault(CONFLICTS, [])


def pick_key(key: str) -> str:
    return f"review.pick.{key}"


def _store() -> Store:
    return common.open_store()


def _user() -> User:
    return st.session_state[common.USER]


def _conflict(key: str, action: str, base: int, mine: dict[str, str] | None = None) -> None:
    conflicts = [c for c in st.session_state[CONFLICTS] if c["key"] != key]
    conflicts.append({"key": key, "action": action, "base": base, "mine": mine})
    st.session_state[CONFLICTS] = conflicts


def _one(action: str, key: str, version: int, reason: str) -> StoredItem:
    store, user = _store(), _user()
    if action == "submit":
        return store.submit(key, user=user)
    if action == "approve":
        return store.approve(key, user=user, reason=reason, expected_version=version)
    if action == "reject":
        return store.reject(key, user=user, reason=reason)
    raise ValueError(action)


def act(action: str, key: str, version: int, reason_key: str | None = None) -> None:
    """One item: submit, approve, reject or comment, as the signed-in person."""
    reason = str(st.session_state.get(reason_key, "")) if reason_key else ""
    stored = _store().item(key)
    try:
        if action == "comment":
            _store().comment(key, reason, user=_user())
            st.session_state[reason_key] = ""
        else:
            _one(action, key, version, reason)
    except VersionConflict:
        _conflict(key, action, version)
        return
    except CampaignCanvasError as exc:
        st.session_state[ERROR] = str(exc)
        return
    st.session_state.pop(pick_key(key), None)
    common.carry_notice(f"{DONE[action]}：{stored.item_id}")


def bulk(action: str, targets: list[tuple[str, int]], reason_key: str) -> None:
    """Many items in one click; each is its own step, so one refusal stops none of the others."""
    reason = str(st.session_state.get(reason_key, ""))
    done, refused = [], []
    for key, version in targets:
        try:
            _one(action, key, version, reason)
        except VersionConflict:
            _conflict(key, action, version)
        except CampaignCanvasError as exc:
            refused.append(str(exc))
        else:
            done.append(key)
            st.session_state.pop(pick_key(key), None)
    if done:
        common.carry_notice(f"{DONE[action]} {len(done)} 条")
    if refused:
        st.session_state[ERROR] = f"{len(refused)} 条没有{VERB[action]}：\n" + "\n".join(
            f"- {r}" for r in refused
        )


def approve_day(campaign_id: str, day: int) -> None:
    try:
        keys = _store().approve_clean(campaign_id, day=day, user=_user())
    except CampaignCanvasError as exc:
        st.session_state[ERROR] = str(exc)
        return
    for key in keys:
        st.session_state.pop(pick_key(key), None)
    common.carry_notice(f"已一键通过 {len(keys)} 个无合规提示的条目")


def submit_all(keys: list[str]) -> None:
    try:
        for key in keys:
            _store().submit(key, user=_user())
    except CampaignCanvasError as exc:
        st.session_state[ERROR] = str(exc)
        return
    common.carry_notice(f"已提交 {len(keys)} 个草稿审核")


def set_picks(keys: list[str], value: bool) -> None:
    for key in keys:
        st.session_state[pick_key(key)] = value


def open_item(key: str) -> None:
    st.session_state[OPEN] = key


def save_edit(stored: StoredItem, base: int, fields: list[tuple[str, str]]) -> None:
    key = stored.key
    changes = {}
    for path, old in fields:
        new = st.session_state.get(f"review.edit.{key}.{base}.{path}", old)
        if new != old:
            changes[path] = new
    if not changes:
        common.carry_notice("没有改动")
        return
    original = next(v.item for v in _store().history(key) if v.version == base)
    try:
        saved = common.workspace().edit(
            stored.campaign_id, with_texts(original, changes), expected_version=base
        )
    except VersionConflict:
        _conflict(key, "edit", base, changes)
        return
    except CampaignCanvasError as exc:
        st.session_state[ERROR] = str(exc)
        return
    st.session_state[EDIT_BASE][key] = saved.version
    common.carry_notice(f"已保存为第 {saved.version} 版，合规检查已重新运行")


def _resolve(conflict: dict[str, Any], choice: str) -> None:
    """`reload`: drop my action and look at the latest; `mine`: do it again on the latest."""
    key = conflict["key"]
    st.session_state[CONFLICTS] = [c for c in st.session_state[CONFLICTS] if c["key"] != key]
    current = _store().item(key)
    st.session_state[OPEN] = key
    st.session_state[EDIT_BASE][key] = current.version
    if choice == "reload":
        common.carry_notice(f"已载入「{current.item_id}」的第 {current.version} 版")
        return
    try:
        if conflict["action"] == "edit":
            saved = common.workspace().edit(
                current.campaign_id,
                with_texts(current.item, conflict["mine"]),
                expected_version=current.version,
            )
            st.session_state[EDIT_BASE][key] = saved.version
            common.carry_notice(f"已在最新版上保留你的修改，存为第 {saved.version} 版")
            return
        reason = str(st.session_state.get("review.bulk_reason", ""))
        _one(conflict["action"], key, current.version, reason)
    except VersionConflict:
        _conflict(key, conflict["action"], current.version, conflict["mine"])
        return
    except CampaignCanvasError as exc:
        st.session_state[ERROR] = str(exc)
        return
    common.carry_notice(f"{DONE[conflict['action']]}：{current.item_id}（第 {current.version} 版）")


def conflict_panels(store: Store) -> None:
    """Each stale action: who changed what (field names in Chinese), then reload or keep mine."""
    for conflict in list(st.session_state[CONFLICTS]):
        key, base, action = conflict["key"], conflict["base"], conflict["action"]
        current = store.item(key)
        seen = next((v.item for v in store.history(key) if v.version == base), current.item)
        title = "保存冲突" if action == "edit" else f"{VERB[action]}没有执行"
        with st.container(border=True, key=f"conflict-{current.item_id}"):
            st.error(
                f"{title}：「{current.item_id}」在你{VERB[action]}之前已被 "
                f"{current.updated_by} 改为第 {current.version} 版（你看到的是第 {base} 版），"
                f"现在是「{STATE_LABELS[current.state]}」。",
                icon=":material/sync_problem:",
            )
            changes = changed_fields(seen, current.item)
            if not changes:
                st.caption("两版文字相同：变的是审核状态或海报。")
            for label, old, new in changes:
                st.markdown(f"**{common.md_escape(label)}**")
                left, right = st.columns(2)
                left.caption(f"你看到的第 {base} 版")
                left.text(old or "（空）")
                right.caption(f"最新的第 {current.version} 版")
                right.text(new or "（空）")
            if conflict["mine"]:
                st.caption("你的修改")
                for path, text in conflict["mine"].items():
                    st.text(f"{field_label(path)}：{text}")
            left, right = st.columns(2)
            left.button(
                "载入最新版本",
                key=f"conflict.reload.{key}",
                icon=":material/refresh:",
                on_click=_resolve,
                args=(conflict, "reload"),
            )
            keep = {
                "edit": "保留我的修改（在最新版上再存一版）",
                "approve": f"看过了，通过第 {current.version} 版",
                "reject": f"仍然驳回第 {current.version} 版",
                "submit": "仍然提交",
            }[action]
            if action == "edit" or current.state == "in_review":
                right.button(
                    keep,
                    key=f"conflict.mine.{key}",
                    type="primary",
                    on_click=_resolve,
                    args=(conflict, "mine"),
                )
