"""直播脚本: the run-of-show as a timeline, per-product segments, the word-for-word script; edit; download."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app_pages import common
from app_pages._findings import finding_cards
from pipelines.canvas import normalise_name
from pipelines.content import Block, LivestreamScript, WeekPackage
from pipelines.errors import CampaignCanvasError
from pipelines.export.documents import livestream_docx
from pipelines.render_md import livestream_markdown

common.init_state()
SPEAKERS = ["主播", "副播", "场控"]


def clock(script: LivestreamScript) -> list[str]:
    """Start time (HH:MM) of each act block, in order."""
    start = dt.datetime.combine(dt.date.today(), dt.time.fromisoformat(script.start_time))
    times = []
    for act in script.acts:
        for block in act.blocks:
            times.append(f"{start:%H:%M}")
            start += dt.timedelta(minutes=block.minutes)
    return times


def timeline_rows(script: LivestreamScript) -> list[dict[str, object]]:
    times = iter(clock(script))
    return [
        {
            "开始": next(times),
            "分钟": block.minutes,
            "幕": act.name,
            "环节": block.title,
            "发言": "、".join(dict.fromkeys(line.speaker for line in block.lines)),
            "画面": block.on_screen,
            "互动": block.interaction or "—",
        }
        for act in script.acts
        for block in act.blocks
    ]


def show_block(block: Block, start: str = "") -> None:
    """One block: its head (no stray Markdown marks when there is no clock time), what is on
    screen, and the lines as one copyable block."""
    title = f"{start} {block.title}".strip()
    st.markdown(f"**{common.md_escape(title)}** · {block.minutes} 分钟")
    st.caption(
        common.md_escape(
            f"画面：{block.on_screen}"
            + (f" · 互动：{block.interaction}" if block.interaction else "")
        )
    )
    # Plain text with st.code's copy button: the host pastes it into a teleprompter or chat.
    st.code(
        "\n".join(f"{line.speaker}：{line.words}" for line in block.lines),
        language=None,
        wrap_lines=True,
    )


def line_rows(script: LivestreamScript) -> list[dict[str, object]]:
    rows = []
    for a, act in enumerate(script.acts):
        for b, block in enumerate(act.blocks):
            for n, line in enumerate(block.lines):
                rows.append(
                    {
                        "位置": f"{a}.{b}.{n}",
                        "幕": act.name,
                        "环节": block.title,
                        "发言人": line.speaker,
                        "台词": line.words,
                    }
                )
    return rows


def apply_lines(
    package: WeekPackage, script: LivestreamScript, rows: list[dict[str, object]]
) -> None:
    data = script.model_dump()
    for row in rows:
        a, b, n = (int(x) for x in str(row["位置"]).split("."))
        line = data["acts"][a]["blocks"][b]["lines"][n]
        line["speaker"], line["words"] = row["发言人"], str(row["台词"] or "").strip()
    data["findings"] = []
    try:
        edited = LivestreamScript.model_validate(data, context={"canvas": package.canvas})
        common.update_item(edited)
    except (CampaignCanvasError, ValueError) as exc:
        common.show_error(exc)
        st.stop()
    common.carry_notice("直播脚本已保存。")
    st.rerun()


package = common.require_package()
script = package.livestream
st.title("直播脚本")
common.show_notice()
if script is None and package.canvas.burst.livestream_day is None:
    st.info(
        "这份画布没有安排直播，所以不写直播脚本。要直播的话，在画布的「活动引爆与客服」里填上直播日。"
    )
    st.stop()
if script is None:
    st.warning("直播脚本没有生成成功，请回到「一周日历」查看失败原因并重新生成。")
    st.stop()

st.markdown(f"### {common.md_escape(script.title)}")
metrics = st.columns(4)
metrics[0].metric("开播", script.start_time)
metrics[1].metric("总时长", f"{script.total_minutes} 分钟")
metrics[2].metric("单品段落", len(script.segments))
metrics[3].metric("合规提示", len(script.findings))

slug = normalise_name(package.canvas.name)
left, right, _ = st.columns([1, 1, 2])
left.download_button(
    "下载 Word（DOCX，含流程总表和时间）",
    lambda: livestream_docx(script, brand=package.canvas.brand.name),
    file_name=f"{slug}-livestream.docx",
    mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    on_click="ignore",
    icon=":material/description:",
)
right.download_button(
    "下载 Markdown",
    lambda: livestream_markdown(script),
    file_name=f"{slug}-livestream.md",
    mime="text/markdown",
    on_click="ignore",
    icon=":material/download:",
)

timeline, segments, words, edit = st.tabs(["流程时间线", "单品脚本", "逐字稿", "编辑台词"])
with timeline:
    st.dataframe(timeline_rows(script), hide_index=True, width="stretch")
    st.markdown("**应急预案**")
    st.dataframe(
        [{"情况": c.situation, "应对": c.response} for c in script.contingencies],
        hide_index=True,
        width="stretch",
    )
    st.caption(common.md_escape("复盘指标：" + "、".join(script.review_metrics)))
with segments:
    tabs = st.tabs([s.product for s in script.segments])
    for tab, segment in zip(tabs, script.segments, strict=True):
        with tab:
            st.caption(f"共 {segment.minutes} 分钟")
            for step in segment.steps:
                with st.container(border=True):
                    show_block(step)
with words:
    times = iter(clock(script))
    for act in script.acts:
        with st.expander(f"{act.name}（{act.minutes} 分钟）", expanded=act.name == "开场"):
            for block in act.blocks:
                show_block(block, next(times))
    finding_cards(script, scope="live")
with edit:
    st.caption("改台词或发言人后点「保存台词」；保存时会重新做合规检查。")
    rows = line_rows(script)
    version = common.digest([[r["发言人"], r["台词"]] for r in rows])
    with st.form(f"lines-form.{version}", border=False):
        edited = st.data_editor(
            rows,
            key=f"lines.{version}",
            hide_index=True,
            width="stretch",
            disabled=["位置", "幕", "环节"],
            column_config={
                "位置": None,
                "发言人": st.column_config.SelectboxColumn(
                    "发言人", options=SPEAKERS, required=True
                ),
                "台词": st.column_config.TextColumn(
                    "台词", width="large", max_chars=600, required=True
                ),
            },
        )
        saved = st.form_submit_button("保存台词", icon=":material/save:")
    if saved and edited != rows:
        apply_lines(package, script, edited)
