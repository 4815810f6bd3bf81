"""活动画布内容工坊 — the Streamlit entry: page config, sign-in, navigation over app_pages/."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages import common
from app_pages._signin import current_user

st.set_page_config(
    page_title="活动画布内容工坊",
    page_icon=":material/campaign:",
    layout="wide",
    initial_sidebar_state="expanded",
)
common.init_state()
st.sidebar.markdown("### :material/campaign: 活动画布内容工坊")
user = current_user()

HERE = Path(__file__).parent
pages = {
    "策划": [
        st.Page("app_pages/canvas.py", title="活动画布", icon=":material/edit_note:", default=True),
        st.Page("app_pages/week.py", title="一周日历", icon=":material/calendar_month:"),
    ],
    "内容": [
        st.Page("app_pages/posters.py", title="海报", icon=":material/image:"),
        st.Page("app_pages/livestream.py", title="直播脚本", icon=":material/live_tv:"),
        st.Page("app_pages/fabe.py", title="卖点 FABE", icon=":material/sell:"),
    ],
}
# Review and export screens come with the review issue; they join the menu once they exist.
later = [
    ("app_pages/review.py", "审核", ":material/fact_check:"),
    ("app_pages/export.py", "导出", ":material/ios_share:"),
]
pages["审核与导出"] = [
    st.Page(path, title=title, icon=icon) for path, title, icon in later if (HERE / path).is_file()
]
pages["系统"] = [st.Page("app_pages/settings.py", title="设置", icon=":material/settings:")]

with st.sidebar:
    canvas = common.current_canvas()
    package = common.current_package()
    if canvas is not None:
        st.caption(f"当前画布：{common.md_escape(canvas.name)}")
    if package is not None:
        st.caption(f"本周内容：已生成（{package.engine} 引擎）")

navigation = st.navigation({k: v for k, v in pages.items() if v})
navigation.run()
