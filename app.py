"""活动画布内容工坊 — the Streamlit entry: page config, sign-in, navigation over app_pages/."""

from __future__ import annotations

import streamlit as st

from app_pages import common
from app_pages._signin import current_user
from app_pages._style import UPLOADER_CSS

st.set_page_config(
    page_title="活动画布内容工坊",
    page_icon=":material/campaign:",
    layout="wide",
    initial_sidebar_state="auto",  # open on a desktop, collapsed on a phone
)
common.init_state()
st.html(UPLOADER_CSS)  # constant CSS, no user or model text
st.sidebar.markdown("### :material/campaign: 活动画布内容工坊")
current_user()  # signs in, or stops the script at the sign-in form

pages = {
    "策划": [
        st.Page("app_pages/campaigns.py", title="活动", icon=":material/folder_open:"),
        st.Page("app_pages/canvas.py", title="活动画布", icon=":material/edit_note:", default=True),
        st.Page("app_pages/week.py", title="一周日历", icon=":material/calendar_month:"),
    ],
    "内容": [
        st.Page("app_pages/posters.py", title="海报", icon=":material/image:"),
        st.Page("app_pages/livestream.py", title="直播脚本", icon=":material/live_tv:"),
        st.Page("app_pages/fabe.py", title="卖点 FABE", icon=":material/sell:"),
    ],
    "审核与导出": [
        st.Page("app_pages/review.py", title="审核", icon=":material/fact_check:"),
        st.Page("app_pages/export.py", title="导出", icon=":material/ios_share:"),
    ],
    "系统": [st.Page("app_pages/settings.py", title="设置", icon=":material/settings:")],
}
common.restore_draft()  # after a reload: the kept draft, or the open campaign's canvas
with st.sidebar:
    campaign = common.current_campaign()
    canvas = common.current_canvas()
    if campaign is not None:
        summary = common.open_store().campaign(campaign)
        st.caption(f"当前活动：{common.md_escape(summary.name)} · {summary.week_start:%m/%d} 起")
    elif canvas is not None:
        st.caption(f"当前画布：{common.md_escape(canvas.name)}（未生成）")

navigation = st.navigation(pages)
common.confirm_pending()  # a question an action left open (e.g. replacing a hand edit)
navigation.run()
