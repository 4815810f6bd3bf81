"""审核: the review queue — filter, read with findings highlighted, poster, history, decide.

Actions run as button callbacks bound to the version on screen, so a click never approves or
overwrites a version the reviewer has not seen. Model text is shown only as escaped Markdown,
plain-text tables or code blocks.
"""

from __future__ import annotations

import streamlit as st

from app_pages import common
from pipelines.auth import ROLE_LABELS, User, can
from pipelines.content import iter_texts
from pipelines.errors import CampaignCanvasError
from pipelines.store import (
    KIND_LABELS,
    SOURCE_LABELS,
    STATE_LABELS,
    Store,
    StoredItem,
)
from pipelines.store.texts import diff_versions, field_label, with_texts
from pipelines.workspace import NeedsConfirmation

EDIT_BASE = "review_edit_base"  # {item key: the version the open editor started from}
CONFIRM = "review_confirm"  # (item key, question) when regenerating would replace a hand edit
ERROR = "review_error"  # a Chinese message from the last action, shown once

common.init_state()
st.session_state.setdefault(EDIT_BASE, {})
st.session_state.setdefault(ERROR, None)
st.session_state.setdefault(CONFIRM, None)
user: User = st.session_state[common.USER]
store: Store = common.open_store()


def _fail(exc: Exception) -> None:
    st.session_state[ERROR] = str(exc)


def _act(action: str, key: str, version: int) -> None:
    stored = store.item(key)
    try:
        if action == "submit":
            store.submit(key, user=user)
        elif action == "approve":
            reason = st.session_state.get(f"review.reason.{key}", "")
            store.approve(key, user=user, reason=reason, expected_version=version)
        elif action == "reject":
            store.reject(key, user=user, reason=st.session_state.get(f"review.reject.{key}", ""))
        elif action == "comment":
            store.comment(key, st.session_state.get(f"review.comment.{key}", ""), user=user)
            st.session_state[f"review.comment.{key}"] = ""
    except CampaignCanvasError as exc:
        _fail(exc)
        return
    done = {"submit": "已提交审核", "approve": "已通过", "reject": "已驳回", "comment": "已评论"}
    common.carry_notice(f"{done[action]}：{stored.item_id}")


def _approve_day(campaign_id: str, day: int) -> None:
    try:
        keys = store.approve_clean(campaign_id, day=day, user=user)
    except CampaignCanvasError as exc:
        _fail(exc)
        return
    common.carry_notice(f"已一键通过 {len(keys)} 个无合规提示的条目")


def _submit_all(keys: list[str]) -> None:
    try:
        for key in keys:
            store.submit(key, user=user)
    except CampaignCanvasError as exc:
        _fail(exc)
        return
    common.carry_notice(f"已提交 {len(keys)} 个草稿审核")


def _save_edit(stored: StoredItem, base: int, fields: list[tuple[str, str]]) -> None:
    key = stored.key
    changes = {}
    for path, old in fields:
        new = st.session_state.get(f"review.edit.{key}.{base}.{path}", old)
        if new != old:
            changes[path] = new
    if not changes:
        common.carry_notice("没有改动")
        return
    original = next(v.item for v in store.history(key) if v.version == base)
    try:
        saved = common.workspace().edit(
            stored.campaign_id, with_texts(original, changes), expected_version=base
        )
    except CampaignCanvasError as exc:  # a version conflict included: it carries the newer text
        _fail(exc)
        return
    st.session_state[EDIT_BASE][key] = saved.version
    common.carry_notice(f"已保存为第 {saved.version} 版，合规检查已重新运行")


def _load_latest(key: str) -> None:
    st.session_state[EDIT_BASE][key] = store.item(key).version


def _regenerate(stored: StoredItem, overwrite_edit: bool = False) -> None:
    from pipelines.tasks import regenerate_item

    engine = common.get_engine(common.current_settings())

    def write(week, item_id: str, variant: int):  # type: ignore[no-untyped-def]
        return regenerate_item(week, item_id, engine, variant=variant)

    try:
        saved = common.workspace().regenerate(
            stored.campaign_id, stored.item_id, write, overwrite_edit=overwrite_edit
        )
    except NeedsConfirmation as exc:
        st.session_state[CONFIRM] = (stored.key, str(exc))
        return
    except CampaignCanvasError as exc:
        _fail(exc)
        return
    st.session_state[EDIT_BASE][stored.key] = saved.version
    st.session_state[CONFIRM] = None
    common.carry_notice(
        f"已重新生成 {stored.item_id}，旧版本保留在历史里（现为第 {saved.version} 版）"
    )


def _restore(stored: StoredItem, version: int) -> None:
    try:
        saved = store.restore(stored.key, version, user=user, expected_version=stored.version)
    except CampaignCanvasError as exc:
        _fail(exc)
        return
    st.session_state[EDIT_BASE][stored.key] = saved.version
    common.carry_notice(f"已把第 {version} 版的内容恢复为第 {saved.version} 版")


@st.cache_data(show_spinner=False, max_entries=64)
def _poster(key: str, version: int, database_url: str) -> bytes | str:
    """The poster of this version; a fresh render is kept with the version, so the export ships
    exactly the image the reviewer saw."""
    from pipelines.export import store_posters

    stored = store.item(key)
    try:
        png = store_posters(store)(stored)
    except CampaignCanvasError as exc:
        return str(exc)
    if png is None:
        return "海报尚未渲染"
    if not stored.has_poster_png and stored.version == version and can(user, "edit"):
        store.attach_poster(key, version, png, user=user)
    return png


def _title(stored: StoredItem) -> str:
    item = stored.item
    return (
        getattr(item, "title", None)
        or getattr(item, "headline", None)
        or getattr(item, "product", None)
        or KIND_LABELS[stored.kind]
    )


def _label(stored: StoredItem, canvas_days: dict[int, str]) -> str:
    where = " ".join(filter(None, [canvas_days.get(stored.day or 0), stored.channel]))
    mark = " ⚠" if stored.item.findings else ""
    return f"{STATE_LABELS[stored.state]} · {KIND_LABELS[stored.kind]} · {where} {_title(stored)}{mark}"


# --- the page ----------------------------------------------------------------------------------

st.title("审核")
common.show_notice()
if st.session_state[ERROR]:
    st.error(common.md_escape(st.session_state[ERROR]), icon=":material/error:")
    st.session_state[ERROR] = None

campaigns = store.campaigns()
if not campaigns:
    st.info("还没有保存的活动。生成一周内容后，条目会进入这里等待审核。")
    st.stop()
ids = [c.id for c in campaigns]
names = {c.id: f"{c.name}（{c.id}）· 待审 {c.counts.get('in_review', 0)}" for c in campaigns}
session_campaign = common.current_campaign()
campaign_id = st.selectbox(
    "活动",
    ids,
    index=ids.index(session_campaign) if session_campaign in ids else 0,
    format_func=names.__getitem__,
    key=f"review.campaign.{session_campaign}",
)
if campaign_id != session_campaign:  # the review page follows, and sets, the open campaign
    common.open_campaign(campaign_id)
canvas = store.canvas(campaign_id)
days = {d: common.day_label(canvas, d) for d in range(1, 8)}
if not can(user, "approve"):
    st.caption(
        f"你的角色是{ROLE_LABELS[user.role]}：可以修改和提交审核，通过与驳回由审核同事处理。"
    )

columns = st.columns(4)
# Sentinels instead of None: a None selectbox value reads as "nothing chosen" after a rerun.
# Filter keys carry the user, so whoever signs in next on this browser starts from their defaults.
state = columns[0].selectbox(
    "状态",
    ["in_review", "draft", "rejected", "approved", "all"],
    index=0 if can(user, "approve") else 1,  # reviewers start on the queue, operators on drafts
    format_func=lambda s: STATE_LABELS.get(s, "全部"),
    key=f"review.state.{user.name}",
)
day = columns[1].selectbox(
    "日期", [0, *days], format_func=lambda d: days.get(d, "整周"), key=f"review.day.{user.name}"
)
channel = columns[2].selectbox(
    "渠道", ["all", *(c.value for c in canvas.channels)],
    format_func=lambda c: "全部渠道" if c == "all" else c, key=f"review.channel.{user.name}",
)  # fmt: skip
kind = columns[3].selectbox(
    "类型", ["all", *KIND_LABELS], format_func=lambda k: KIND_LABELS.get(k, "全部类型"),
    key=f"review.kind.{user.name}",
)  # fmt: skip
queue = store.items(
    campaign_id,
    state=None if state == "all" else state,
    day=day or None,
    channel=None if channel == "all" else channel,
    kind=None if kind == "all" else kind,
)

actions = st.columns(2)
if day and can(user, "approve"):
    clean = [s for s in store.items(campaign_id, state="in_review", day=day) if s.clean]
    actions[0].button(
        f"一键通过{days[day]}无合规提示的 {len(clean)} 个条目",
        key=f"review.approve_day.{campaign_id}.{day}",
        icon=":material/done_all:",
        disabled=not clean,
        on_click=_approve_day,
        args=(campaign_id, day),
    )
drafts = [s.key for s in queue if s.state in {"draft", "rejected"}]
if drafts and can(user, "submit"):
    actions[1].button(
        f"把筛选出的 {len(drafts)} 个草稿提交审核",
        key=f"review.submit_all.{campaign_id}",
        icon=":material/send:",
        on_click=_submit_all,
        args=(drafts,),
    )

if not queue:
    st.info("没有符合筛选条件的条目。")
    st.stop()
flagged = sum(bool(s.item.findings) for s in queue)
st.caption(f"共 {len(queue)} 个条目，其中 {flagged} 个有合规提示（⚠）")
by_key = {s.key: s for s in queue}
key = st.selectbox(
    "条目", list(by_key), format_func=lambda k: _label(by_key[k], days), key="review.item"
)
stored = store.item(key)

st.subheader(f"{KIND_LABELS[stored.kind]} · {common.md_escape(_title(stored))}", divider="gray")
meta = [
    STATE_LABELS[stored.state],
    f"第 {stored.version} 版",
    f"最后修改：{stored.updated_by} {common.local_time(stored.updated_at)}",
]
if stored.approved_by:
    meta.append(f"通过：{stored.approved_by}")
st.caption(common.md_escape(" · ".join(meta)))

text_column, side_column = st.columns([3, 2], gap="large")
with text_column, st.container(border=True, height=520):
    for path, value in iter_texts(stored.item):
        st.caption(common.md_escape(field_label(path)))
        common.show_text(value, [f for f in stored.item.findings if f.field == path])
with side_column:
    common.show_findings(stored.item)
    # A poster item shows its image; a post that needs a poster shows its poster's image.
    poster_key = stored.key if stored.kind == "poster_copy" else None
    if stored.kind == "post" and stored.item.needs_poster:
        poster_key = f"{campaign_id}/poster-{stored.item_id}"
    if poster_key is not None:
        try:
            version = store.item(poster_key).version
        except CampaignCanvasError:
            st.caption("这条帖子的海报文案还没有生成。")
        else:
            poster = _poster(poster_key, version, str(store.engine.url))
            if isinstance(poster, bytes):
                st.image(poster, width="stretch")
            else:
                st.caption(common.md_escape(poster))

decide, edit, history, comments = st.tabs(["审核", "修改", "历史版本", "评论"])
with decide:
    version = stored.version
    if stored.state in {"draft", "rejected"} and can(user, "submit"):
        st.button(
            "提交审核", key=f"review.submit.{key}", on_click=_act, args=("submit", key, version)
        )
    if stored.state == "in_review" and can(user, "approve"):
        label = "通过理由（有需修改的合规问题时必填）" if stored.has_errors else "通过备注（可选）"
        st.text_input(label, key=f"review.reason.{key}")
        st.button(
            "通过", key=f"review.approve.{key}", type="primary", icon=":material/check:",
            on_click=_act, args=("approve", key, version),
        )  # fmt: skip
    if stored.state == "in_review" and can(user, "reject"):
        st.text_input("驳回原因", key=f"review.reject.{key}")
        st.button(
            "驳回", key=f"review.reject_button.{key}", icon=":material/close:",
            on_click=_act, args=("reject", key, version),
        )  # fmt: skip
    if stored.state == "approved":
        st.caption("已通过：会出现在导出里。修改它会让它回到审核中。")
    if can(user, "generate"):
        st.button(
            "重新生成这一条", key=f"review.regenerate.{key}", icon=":material/refresh:",
            on_click=_regenerate, args=(stored,),
        )  # fmt: skip
        pending = st.session_state[CONFIRM]
        if pending is not None and pending[0] == key:
            st.warning(common.md_escape(pending[1]), icon=":material/warning:")
            st.button(
                "确认替换并重新生成", key=f"review.regenerate.confirm.{key}", type="primary",
                on_click=_regenerate, args=(stored, True),
            )  # fmt: skip
with edit:
    if not can(user, "edit"):
        st.caption("你的角色不能修改内容。")
    else:
        base = st.session_state[EDIT_BASE].setdefault(key, stored.version)
        if base != stored.version:
            st.warning(f"别人已保存了第 {stored.version} 版；你正在修改的是第 {base} 版。")
            st.button(
                "载入最新版本", key=f"review.latest.{key}", on_click=_load_latest, args=(key,)
            )
        shown = next(v.item for v in store.history(key) if v.version == base)
        fields = list(iter_texts(shown))
        with st.form(f"review.edit.{key}.{base}"):
            for path, value in fields:
                widget = st.text_area if len(value) > 20 else st.text_input
                widget(field_label(path), value=value, key=f"review.edit.{key}.{base}.{path}")
            st.form_submit_button(
                "保存为新版本", icon=":material/save:", on_click=_save_edit,
                args=(stored, base, fields),
            )  # fmt: skip
with history:
    versions = store.history(key)
    st.dataframe(
        [
            {
                "版本": v.version,
                "来源": SOURCE_LABELS.get(v.source, v.source),
                "作者": v.created_by,
                "时间": common.local_time(v.created_at),
            }
            for v in versions
        ],
        hide_index=True,
    )
    if len(versions) > 1:
        numbers = [v.version for v in versions]
        left, right = st.columns(2)
        old = left.selectbox("旧版本", numbers, index=len(numbers) - 2, key=f"review.old.{key}")
        new = right.selectbox("新版本", numbers, index=len(numbers) - 1, key=f"review.new.{key}")
        items = {v.version: v.item for v in versions}
        diff = diff_versions(items[old], items[new], old_label=f"第{old}版", new_label=f"第{new}版")
        st.code(diff or "两版文字相同", language="diff")
        if can(user, "edit") and old != stored.version:
            st.button(
                f"恢复第 {old} 版的内容", key=f"review.restore.{key}.{old}",
                icon=":material/restore:", on_click=_restore, args=(stored, old),
            )  # fmt: skip
with comments:
    for comment in store.comments(key):
        st.markdown(
            f"**{common.md_escape(comment.author)}** · 第 {comment.version} 版 · "
            f"{common.local_time(comment.created_at)}  \n{common.md_escape(comment.body)}"
        )
    if can(user, "comment"):
        st.text_area("写评论", key=f"review.comment.{key}")
        st.button(
            "发表评论",
            key=f"review.comment_button.{key}",
            on_click=_act,
            args=("comment", key, stored.version),
        )

with st.expander("审计日志"):
    st.dataframe(
        [
            {
                "时间": common.local_time(e.at),
                "人": e.actor,
                "角色": ROLE_LABELS.get(e.role, e.role),
                "操作": e.action,
                "条目": e.item_id or "",
                "版本": e.version,
                "说明": e.detail,
            }
            for e in store.audit(campaign_id)
        ],
        hide_index=True,
    )
