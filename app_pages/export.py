"""导出: the approved week as one ZIP (calendar XLSX/CSV/ICS, script DOCX/MD, FABE, posters)."""

from __future__ import annotations

import streamlit as st

from app_pages import common
from pipelines.auth import User, can
from pipelines.errors import CampaignCanvasError
from pipelines.export import bundle_folder, store_posters, zip_bytes
from pipelines.store import STATE_LABELS, Store

BUNDLE = "export_bundle"  # (campaign id, approved only, file name, ZIP bytes) of the last build

common.init_state()
st.session_state.setdefault(BUNDLE, None)
user: User = st.session_state[common.USER]
store: Store = common.open_store()

st.title("导出")
campaigns = store.campaigns()
if not campaigns:
    st.info("还没有保存的活动。生成并审核通过后，在这里下载导出包。")
    st.stop()
ids = [c.id for c in campaigns]
by_id = {c.id: c for c in campaigns}
session_campaign = common.current_campaign()
campaign_id = st.selectbox(
    "活动",
    ids,
    index=ids.index(session_campaign) if session_campaign in ids else 0,
    format_func=lambda i: f"{by_id[i].name} · {by_id[i].week_start:%m/%d} 起（{i}）",
    key=f"export.campaign.{session_campaign}",
    placeholder="选择活动",
)
if campaign_id != session_campaign:  # export follows, and sets, the open campaign
    common.open_campaign(campaign_id)
summary = by_id[campaign_id]
st.caption(
    " · ".join(f"{STATE_LABELS[s]} {n}" for s, n in summary.counts.items() if n) or "没有条目"
)
# Only an admin may ship unapproved drafts (e.g. to show a client); everyone else ships approved.
everything = can(user, "export_drafts") and st.toggle(
    "包含未通过的条目（草稿预览）", key="export.all"
)
approved_only = not everything
st.markdown(
    "导出包含：一周日历（XLSX、CSV、ICS 日历）、直播脚本（DOCX、Markdown）、FABE 卖点（XLSX）、"
    "社群物料与开团消息（Markdown）、海报（PNG）和清单（manifest.json：版本、审核人、时间）。"
)

if st.button("生成导出包", key=f"export.build.{campaign_id}", icon=":material/archive:"):
    try:
        with st.spinner("正在打包…"):
            view = store.package(campaign_id, user=user, approved_only=approved_only)
            data = zip_bytes(view, approved_only=approved_only, posters=store_posters(store))
    except CampaignCanvasError as exc:
        common.show_error(exc)
    else:
        suffix = "" if approved_only else "-全部"
        name = f"{bundle_folder(view)}{suffix}.zip"
        st.session_state[BUNDLE] = (campaign_id, approved_only, name, data)

bundle = st.session_state[BUNDLE]
if bundle is not None and bundle[:2] == (campaign_id, approved_only):
    _, _, name, data = bundle
    st.download_button(
        f"下载 {name}",
        data=data,
        file_name=name,
        mime="application/zip",
        on_click="ignore",
        icon=":material/download:",
        key=f"export.download.{campaign_id}",
    )
