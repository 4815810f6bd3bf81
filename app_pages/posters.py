"""海报: the week's posters; layout per poster, edit the words and re-render, download one or all."""

from __future__ import annotations

import streamlit as st

from app_pages import common
from app_pages._posters import layout_of, poster_bytes, posters_zip, show_poster
from pipelines.canvas import normalise_name
from pipelines.content import PosterCopy, WeekPackage
from pipelines.errors import CampaignCanvasError
from pipelines.poster import list_layouts, load_layout

common.init_state()
FAILED = "posters_failed"  # a layout change that could not be drawn, shown once


def choose_layout(package: WeekPackage, copy: PosterCopy) -> None:
    """Keep the chosen layout, with the image it draws, as the poster's next version."""
    layout = st.session_state[f"layout.{copy.id}"]
    try:
        png = poster_bytes(package, copy, layout)
        common.workspace().choose_layout(common.current_campaign() or "", copy.id, layout, png)
    except CampaignCanvasError as exc:
        st.session_state[FAILED] = str(exc)


def edit_form(package: WeekPackage, copy: PosterCopy) -> None:
    with st.form(f"poster.{copy.id}.{common.digest(copy.model_dump(mode='json'))}", border=False):
        headline = st.text_input("主标题（≤14 字）", value=copy.headline, max_chars=14)
        subheadline = st.text_input("副标题（≤24 字）", value=copy.subheadline, max_chars=24)
        bullets = st.text_area(
            "卖点（每行一条，2–4 条，每条 ≤16 字）", value="\n".join(copy.bullets), height=110
        )
        urgency = st.text_input("时间/紧迫感（≤24 字）", value=copy.urgency, max_chars=24)
        cta = st.text_input("行动号召（≤16 字）", value=copy.cta, max_chars=16)
        saved = st.form_submit_button("保存并重新渲染", icon=":material/brush:")
    if not saved:
        return
    data = copy.model_dump() | {
        "headline": headline,
        "subheadline": subheadline,
        "bullets": [b.strip() for b in bullets.splitlines() if b.strip()],
        "urgency": urgency,
        "cta": cta,
        "findings": [],
    }
    try:
        edited = PosterCopy.model_validate(data, context={"canvas": package.canvas})
        common.update_item(edited)
    except (CampaignCanvasError, ValueError) as exc:
        common.show_error(exc)
        return
    common.carry_notice(f"海报「{headline}」已更新并重新渲染。")
    st.rerun()


package = common.require_package()
st.title("海报")
common.show_notice()
if st.session_state.get(FAILED):
    common.show_error(RuntimeError(st.session_state.pop(FAILED)))
if not package.posters:
    st.warning("本周没有海报文案。若有失败任务，请回到「一周日历」查看原因并重新生成。")
    st.stop()

names = list_layouts()
chosen = {
    s.item_id: s.layout
    for s in common.open_store().items(common.current_campaign() or "", kind="poster_copy")
}
layouts = {copy.id: layout_of(package, copy, chosen.get(copy.id)) for copy in package.posters}
head, action = st.columns([3, 1], vertical_alignment="bottom")
head.caption(f"共 {len(package.posters)} 张海报。可逐张换版式、改文案；改完自动重新渲染。")
action.download_button(
    "下载全部海报（ZIP）",
    lambda: posters_zip(package, layouts),
    file_name=f"{normalise_name(package.canvas.name)}-posters.zip",
    mime="application/zip",
    on_click="ignore",
    icon=":material/folder_zip:",
    type="primary",
    width="stretch",
)

columns = st.columns(3, gap="medium")
for index, copy in enumerate(package.posters):
    with columns[index % 3], st.container(border=True):
        post = package.item(copy.post_id)
        st.caption(
            common.md_escape(
                f"{common.day_label(package, post.day)} {post.time} · {post.channel.value} · {copy.kind.value}"
            )
        )
        png = show_poster(package, copy, layouts[copy.id])
        left, right = st.columns([3, 2], vertical_alignment="bottom")
        left.selectbox(
            "版式",
            names,
            index=names.index(layouts[copy.id]) if layouts[copy.id] in names else 0,
            key=f"layout.{copy.id}",
            placeholder="选择版式",
            format_func=lambda name: load_layout(name).title,
            on_change=choose_layout,
            args=(package, copy),
        )
        if png is not None:
            right.download_button(
                "PNG",
                png,
                file_name=f"{copy.id}.png",
                mime="image/png",
                key=f"png.{copy.id}",
                on_click="ignore",
                icon=":material/download:",
                width="stretch",
            )
        if copy.findings:
            common.show_findings(copy)
        with st.expander("修改文案"):
            edit_form(package, copy)
            if st.button("重新生成文案", key=f"regen.{copy.id}", icon=":material/refresh:"):
                common.regenerate(copy.id, "海报文案")
