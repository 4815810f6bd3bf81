"""One item of the review queue opened: its text with findings to fix, copy and phone preview,
then 审核 / 修改 / 历史版本 / 评论."""

from __future__ import annotations

import streamlit as st

from app_pages import _review_actions as actions
from app_pages import common
from app_pages._findings import finding_cards
from app_pages._preview import phone_preview
from pipelines.auth import User, can
from pipelines.content import Post, iter_texts
from pipelines.errors import CampaignCanvasError
from pipelines.store import KIND_LABELS, SOURCE_LABELS, STATE_LABELS, Store, StoredItem
from pipelines.store.texts import field_label, readable_diff
from pipelines.workspace import NeedsConfirmation


@st.cache_data(show_spinner=False, max_entries=128)
def poster_image(key: str, version: int, database_url: str) -> bytes | str:
    """The poster of this version; a fresh render is kept with the version, so the export ships
    exactly the image the reviewer saw."""
    from pipelines.export import store_posters

    store = common.open_store()
    stored = store.item(key)
    if stored.has_poster_png and stored.version == version:
        return store.poster_png(key, version) or "海报尚未渲染"
    try:
        png = store_posters(store)(stored)
    except CampaignCanvasError as exc:
        return str(exc)
    if png is None:
        return "海报尚未渲染"
    if not stored.has_poster_png and stored.version == version and common.can_edit():
        store.attach_poster(key, version, png, user=st.session_state[common.USER])
    return png


def poster_key_of(stored: StoredItem) -> str | None:
    """A poster item's own key; a post that needs a poster: its poster's key."""
    if stored.kind == "poster_copy":
        return stored.key
    if stored.kind == "post" and stored.item.needs_poster:
        return f"{stored.campaign_id}/poster-{stored.item_id}"
    return None


def title_of(stored: StoredItem) -> str:
    item = stored.item
    return (
        getattr(item, "title", None)
        or getattr(item, "headline", None)
        or getattr(item, "product", None)
        or KIND_LABELS[stored.kind]
    )


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
        st.session_state[actions.CONFIRM] = (stored.key, str(exc))
        return
    except CampaignCanvasError as exc:
        st.session_state[actions.ERROR] = str(exc)
        return
    st.session_state[actions.EDIT_BASE][stored.key] = saved.version
    st.session_state[actions.CONFIRM] = None
    common.carry_notice(
        f"已重新生成 {stored.item_id}，旧版本保留在历史里（现为第 {saved.version} 版）"
    )


def _restore(stored: StoredItem, version: int) -> None:
    store = common.open_store()
    try:
        saved = store.restore(
            stored.key, version, user=st.session_state[common.USER], expected_version=stored.version
        )
    except CampaignCanvasError as exc:
        st.session_state[actions.ERROR] = str(exc)
        return
    st.session_state[actions.EDIT_BASE][stored.key] = saved.version
    common.carry_notice(f"已把第 {version} 版的内容恢复为第 {saved.version} 版")


def _load_latest(key: str) -> None:
    st.session_state[actions.EDIT_BASE][key] = common.open_store().item(key).version


def detail(store: Store, user: User, stored: StoredItem, next_key: str | None) -> None:
    key = stored.key
    head, step = st.columns([5, 1], vertical_alignment="bottom")
    head.subheader(
        f"{KIND_LABELS[stored.kind]} · {common.md_escape(title_of(stored))}",
        divider="gray",
        anchor="review-detail",
    )
    if next_key is not None:
        step.button(
            "下一条", key="review.next", icon=":material/arrow_forward:",
            on_click=actions.open_item, args=(next_key,), width="stretch",
        )  # fmt: skip
    meta = [
        STATE_LABELS[stored.state],
        f"第 {stored.version} 版",
        f"最后修改：{stored.updated_by} {common.local_time(stored.updated_at)}",
    ]
    if stored.approved_by:
        meta.append(f"通过：{stored.approved_by}")
    st.caption(common.md_escape(" · ".join(meta)))

    poster_key = poster_key_of(stored)
    poster: bytes | None = None
    text_column, side_column = st.columns([3, 2], gap="large")
    with text_column:
        with st.container(border=True):
            for path, value in iter_texts(stored.item):
                st.caption(common.md_escape(field_label(path)))
                common.show_text(value, [f for f in stored.item.findings if f.field == path])
        finding_cards(stored.item, scope="review", version=stored.version)
    with side_column:
        if poster_key is not None:
            try:
                version = store.item(poster_key).version
            except CampaignCanvasError:
                st.caption("这条帖子的海报文案还没有生成。")
            else:
                shown = poster_image(poster_key, version, str(store.engine.url))
                if isinstance(shown, bytes):
                    poster = shown
                    st.image(shown, width="stretch")
                else:
                    st.caption(common.md_escape(shown))
        if isinstance(stored.item, Post):
            common.copy_block(stored.item.body, "复制文案")

    decide, edit, preview, history, comments = st.tabs(
        ["审核", "修改", "手机预览", "历史版本", "评论"]
    )
    with decide:
        _decide(user, stored)
    with edit:
        _edit(store, user, stored)
    with preview:
        if isinstance(stored.item, Post):
            phone_preview(store.week(stored.campaign_id), stored.item, poster)
        else:
            st.caption("手机预览只对帖子：这条会在导出的文档里使用。")
    with history:
        _history(store, user, stored)
    with comments:
        for comment in store.comments(key):
            st.markdown(
                f"**{common.md_escape(comment.author)}** · 第 {comment.version} 版 · "
                f"{common.local_time(comment.created_at)}  \n{common.md_escape(comment.body)}"
            )
        if can(user, "comment"):
            st.text_area("写评论", key=f"review.comment.{key}")
            st.button(
                "发表评论", key=f"review.comment_button.{key}", on_click=actions.act,
                args=("comment", key, stored.version, f"review.comment.{key}"),
            )  # fmt: skip


def _decide(user: User, stored: StoredItem) -> None:
    key, version = stored.key, stored.version
    if stored.state in {"draft", "rejected"} and can(user, "submit"):
        st.button(
            "提交审核", key=f"review.submit.{key}", on_click=actions.act,
            args=("submit", key, version),
        )  # fmt: skip
    if stored.state == "in_review" and can(user, "approve"):
        label = "通过理由（有需修改的合规问题时必填）" if stored.has_errors else "通过备注（可选）"
        st.text_input(label, key=f"review.reason.{key}")
        st.button(
            "通过", key=f"review.approve.{key}", type="primary", icon=":material/check:",
            on_click=actions.act, args=("approve", key, version, f"review.reason.{key}"),
        )  # fmt: skip
    if stored.state == "in_review" and can(user, "reject"):
        st.text_input("驳回原因", key=f"review.reject.{key}")
        st.button(
            "驳回", key=f"review.reject_button.{key}", icon=":material/close:",
            on_click=actions.act, args=("reject", key, version, f"review.reject.{key}"),
        )  # fmt: skip
    if stored.state == "approved":
        st.caption("已通过：会出现在导出里。修改它会让它回到审核中。")
    if can(user, "generate"):
        st.button(
            "重新生成这一条", key=f"review.regenerate.{key}", icon=":material/refresh:",
            on_click=_regenerate, args=(stored,),
        )  # fmt: skip
        pending = st.session_state[actions.CONFIRM]
        if pending is not None and pending[0] == key:
            st.warning(common.md_escape(pending[1]), icon=":material/warning:")
            st.button(
                "确认替换并重新生成", key=f"review.regenerate.confirm.{key}", type="primary",
                on_click=_regenerate, args=(stored, True),
            )  # fmt: skip


def _edit(store: Store, user: User, stored: StoredItem) -> None:
    key = stored.key
    if not can(user, "edit"):
        st.caption("你的角色不能修改内容。")
        return
    base = st.session_state[actions.EDIT_BASE].setdefault(key, stored.version)
    if base != stored.version:
        st.warning(f"别人已保存了第 {stored.version} 版；你正在修改的是第 {base} 版。")
        st.button("载入最新版本", key=f"review.latest.{key}", on_click=_load_latest, args=(key,))
    shown = next(v.item for v in store.history(key) if v.version == base)
    fields = list(iter_texts(shown))
    with st.form(f"review.edit.{key}.{base}"):
        for path, value in fields:
            widget = st.text_area if len(value) > 20 else st.text_input
            widget(field_label(path), value=value, key=f"review.edit.{key}.{base}.{path}")
        st.form_submit_button(
            "保存为新版本", icon=":material/save:", on_click=actions.save_edit,
            args=(stored, base, fields),
        )  # fmt: skip


def _history(store: Store, user: User, stored: StoredItem) -> None:
    versions = store.history(stored.key)
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
    if len(versions) < 2:
        return
    numbers = [v.version for v in versions]
    left, right = st.columns(2)
    key = stored.key
    old = left.selectbox(
        "旧版本", numbers, index=len(numbers) - 2, key=f"review.old.{key}", placeholder="选择版本"
    )
    new = right.selectbox(
        "新版本", numbers, index=len(numbers) - 1, key=f"review.new.{key}", placeholder="选择版本"
    )
    items = {v.version: v.item for v in versions}
    diff = readable_diff(items[old], items[new], old_label=f"第{old}版", new_label=f"第{new}版")
    st.code(diff or "两版文字相同", language="diff")
    if can(user, "edit") and old != stored.version:
        st.button(
            f"恢复第 {old} 版的内容", key=f"review.restore.{key}.{old}",
            icon=":material/restore:", on_click=_restore, args=(stored, old),
        )  # fmt: skip
