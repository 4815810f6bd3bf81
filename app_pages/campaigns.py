"""活动: every saved campaign — open, rename, start next week's canvas from it, archive."""

from __future__ import annotations

import streamlit as st

from app_pages import common
from pipelines.auth import can
from pipelines.errors import CampaignCanvasError
from pipelines.store import STATE_LABELS, CampaignSummary

common.init_state()
user = st.session_state[common.USER]
store = common.open_store()
workspace = common.workspace()


def _open(campaign_id: str) -> None:
    common.open_campaign(campaign_id)
    common.carry_notice("已打开活动：一周日历、海报、直播脚本、审核和导出都会显示它。")


def _next_week(campaign_id: str) -> None:
    try:
        canvas = workspace.next_week(campaign_id)
    except CampaignCanvasError as exc:
        common.show_error(exc)
        return
    common.use_canvas(canvas, None)
    common.carry_notice(
        f"已按「{canvas.name}」建好下周（{canvas.week_start:%m/%d} 起）的画布草稿："
        "到「活动画布」检查，再到「一周日历」生成。"
    )


def _rename(campaign_id: str) -> None:
    try:
        store.rename(campaign_id, st.session_state.get(f"rename.{campaign_id}", ""), user=user)
    except CampaignCanvasError as exc:
        common.show_error(exc)
        return
    common.carry_notice("已改名")


def _archive(campaign_id: str, archived: bool) -> None:
    store.archive(campaign_id, user=user, archived=archived)
    if archived and st.session_state.get(common.CAMPAIGN) == campaign_id:
        st.session_state[common.CAMPAIGN] = None
        st.query_params.pop("campaign", None)
    common.carry_notice("已归档（可在下方「显示已归档」里恢复）" if archived else "已恢复")


def _row(summary: CampaignSummary, is_open: bool) -> None:
    with st.container(border=True):
        head, actions = st.columns([3, 2], vertical_alignment="center")
        with head:
            mark = " · :red[当前打开]" if is_open else ""
            archived = " · 已归档" if summary.archived else ""
            st.markdown(f"**{common.md_escape(summary.name)}**{mark}{archived}")
            counts = " · ".join(
                f"{STATE_LABELS[s]} {n}"
                for s, n in summary.counts.items()
                if n and s != "withdrawn"
            )
            changed = common.local_time(summary.updated_at) if summary.updated_at else "—"
            st.caption(
                common.md_escape(
                    f"{summary.brand} · {summary.theme} · {summary.week_start:%Y-%m-%d} 起 · "
                    f"{counts or '没有条目'} · 最后修改 {changed} · 编号 {summary.id}"
                )
            )
        with actions:
            left, middle, right = st.columns(3)
            left.button(
                "打开", key=f"open.{summary.id}", on_click=_open, args=(summary.id,),
                type="primary" if not is_open else "secondary", width="stretch",
            )  # fmt: skip
            if can(user, "generate"):
                middle.button(
                    "做下周", key=f"next.{summary.id}", on_click=_next_week, args=(summary.id,),
                    help="复制这份画布，日期顺延七天，作为新活动的草稿", width="stretch",
                )  # fmt: skip
                right.button(
                    "恢复" if summary.archived else "归档", key=f"archive.{summary.id}",
                    on_click=_archive, args=(summary.id, not summary.archived), width="stretch",
                )  # fmt: skip
        if can(user, "generate"):
            with st.expander("改名"):
                st.text_input(
                    "新名称", value=summary.name, key=f"rename.{summary.id}", max_chars=100
                )
                st.button("保存名称", key=f"rename.save.{summary.id}", on_click=_rename,
                          args=(summary.id,))  # fmt: skip


st.title("活动")
common.show_notice()
show_archived = st.toggle("显示已归档", key="campaigns.archived")
campaigns = store.campaigns(archived=show_archived)
if not campaigns:
    st.info("还没有保存的活动。在「活动画布」填好画布，到「一周日历」生成后就会出现在这里。")
    st.page_link("app_pages/canvas.py", label="去填写活动画布", icon=":material/edit_note:")
    st.stop()
current = common.current_campaign()
st.caption(f"共 {len(campaigns)} 个活动，最新的在前。打开一个活动后，其余页面都显示它。")
for summary in campaigns:
    _row(summary, summary.id == current)
