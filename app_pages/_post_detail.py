"""One post opened from the calendar: full copy with findings highlighted, its poster, edit, regenerate."""

from __future__ import annotations

import streamlit as st

from app_pages import common
from app_pages._findings import finding_cards
from app_pages._posters import show_poster
from app_pages._preview import phone_preview
from pipelines.content import Post, PosterCopy, WeekPackage, product_for
from pipelines.errors import CampaignCanvasError


def post_detail(package: WeekPackage, post: Post) -> None:
    st.subheader(f"帖子详情 · {post.id}", divider="red", anchor="post-detail")
    product = product_for(package.canvas, post.product_id)
    meta = [
        common.day_label(package, post.day),
        post.time,
        post.channel.value,
        post.activity_type,
        post.form,
        f"目标：{post.goal}",
    ]
    if product is not None:
        meta.append(f"商品：{product.name}")
    st.caption(common.md_escape(" · ".join(meta)))
    copy_column, poster_column = st.columns([3, 2], gap="large")
    with copy_column:
        findings = {
            name: [f for f in post.findings if f.field == name] for name in ("title", "body")
        }
        with st.container(border=True):
            st.markdown(f"#### {common.highlighted(post.title, findings['title'])}")
            common.show_text(post.body, findings["body"])
        common.copy_block(post.body, "复制文案，粘贴到微信")
        finding_cards(post, scope="week")
        _edit_form(package, post)
        _schedule_form(package, post)
        regen, undo = st.columns(2)
        if regen.button("重新生成这一条", key=f"regen.{post.id}", icon=":material/refresh:"):
            common.regenerate(post.id, "这一条帖子")
        if undo.button("撤销上一次修改", key=f"undo.{post.id}", icon=":material/undo:"):
            common.undo(post.id)
    with poster_column:
        copy = package.poster_for(post.id)
        png = None
        if copy is None:
            st.caption("这条帖子不配海报。")
        else:
            png = show_poster(package, copy)
            common.copy_block(poster_text(copy), "复制海报文案")
        phone_preview(package, post, png)


def poster_text(copy: PosterCopy) -> str:
    """The poster's words as one block to paste (headline, subheadline, bullets, price, CTA)."""
    lines = [copy.headline, copy.subheadline, *copy.bullets]
    price = copy.price
    if price is not None:
        was = f"（原价 {price.original}{price.unit}）" if price.original else ""
        lines += [f"{price.promo}{price.unit}{was}", price.note]
    lines += [copy.urgency, copy.cta]
    return "\n".join(line for line in lines if line)


def _edit_form(package: WeekPackage, post: Post) -> None:
    with st.form(f"edit.{post.id}.{common.digest([post.title, post.body])}", border=True):
        st.markdown("**修改这一条**")
        title = st.text_input("标题", value=post.title, max_chars=40)
        body = st.text_area("文案", value=post.body, height=220, max_chars=1200)
        saved = st.form_submit_button("保存修改", icon=":material/save:")
    if not saved:
        return
    try:
        data = post.model_dump() | {"title": title, "body": body, "findings": []}
        common.update_item(Post.model_validate(data))
    except (CampaignCanvasError, ValueError) as exc:
        common.show_error(exc)
        return
    common.carry_notice(f"已保存「{title.strip()}」，合规检查已重新运行。")
    st.rerun()


def _schedule_form(package: WeekPackage, post: Post) -> None:
    """Move the post to another day and time (its poster moves with it)."""
    days = list(range(1, len(package.canvas.days) + 1))
    with st.form(f"move.{post.id}.{post.day}.{post.time}", border=True):
        st.markdown("**改日期和时间**")
        left, right = st.columns(2)
        day = left.selectbox(
            "日期",
            days,
            index=post.day - 1,
            format_func=lambda d: common.day_label(package, d),
            placeholder="选择日期",
        )
        time = right.text_input("时间（HH:MM）", value=post.time, max_chars=5)
        moved = st.form_submit_button("改期", icon=":material/event:")
    if not moved:
        return
    try:
        common.workspace().reschedule(
            common.current_campaign() or "", post.id, day=day, time=time.strip()
        )
    except CampaignCanvasError as exc:
        common.show_error(exc)
        return
    common.carry_notice(f"「{post.title}」已改到 {common.day_label(package, day)} {time.strip()}。")
    st.rerun()
