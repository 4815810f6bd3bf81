"""Who is using the app: the users file when there is one, else 本地单人模式 (one admin)."""

from __future__ import annotations

import streamlit as st

from app_pages import common
from pipelines.auth import LOCAL_MODE_LABEL, User, UserDirectory, local_user
from pipelines.errors import CampaignCanvasError


def current_user() -> User:
    """The signed-in user (kept in the session); shows the sign-in form and stops when needed."""
    user = st.session_state.get(common.USER)
    if user is None:
        try:
            directory = UserDirectory.from_settings(common.current_settings())
        except CampaignCanvasError as exc:  # e.g. a damaged database: say so, never a traceback
            common.show_error(exc)
            st.stop()
        if not directory.local_mode:
            _sign_in_form(directory)
            st.stop()
        user = local_user()
        st.session_state[common.USER] = user
    _sidebar(user)
    return user


def _sidebar(user: User) -> None:
    with st.sidebar:
        if user.local:
            st.caption(
                f":material/person: {LOCAL_MODE_LABEL}：{common.md_escape(user.name)}（管理员，无需密码）"
            )
            return
        st.caption(f":material/person: {common.md_escape(user.label)}")
        if st.button("退出登录", key="signout", type="tertiary", icon=":material/logout:"):
            st.session_state[common.USER] = None
            st.rerun()


def _sign_in_form(directory: UserDirectory) -> None:
    st.title("活动画布内容工坊")
    with st.form("signin"):
        st.subheader("登录")
        name = st.text_input("用户名")
        password = st.text_input("密码", type="password")
        submitted = st.form_submit_button("登录", type="primary")
    if not submitted:
        return
    user = directory.authenticate(name.strip(), password)
    if user is None:
        st.error("用户名或密码不对，请再试一次。", icon=":material/error:")
        return
    st.session_state[common.USER] = user
    st.rerun()
