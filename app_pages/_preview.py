"""How a post will look on a phone: as a WeChat group message and as a 朋友圈 card.

Built from Streamlit elements only: the copy is shown with st.text (plain, escaped), names with
md_escape; no HTML is ever built from model or canvas text.
"""

from __future__ import annotations

import streamlit as st

from app_pages import common
from pipelines.content import Post, WeekPackage

PHONE_WIDTH = 390


def _group_name(package: WeekPackage) -> str:
    kit = package.group_kit
    if kit is not None and kit.names:
        return kit.names[0]
    return f"{package.canvas.brand.name}{package.canvas.scenes[0].value}"


def phone_preview(package: WeekPackage, post: Post, poster: bytes | None = None) -> None:
    """Two tabs: the post in a group chat, and as a 朋友圈 card with its poster."""
    speaker = package.canvas.speaker.name
    group, moments = st.tabs(["微信群消息预览", "朋友圈预览"])
    with group, st.container(border=True, width=PHONE_WIDTH, key=f"phone-group-{post.id}"):
        st.markdown(f"**{common.md_escape(_group_name(package))}**")
        st.caption(f"{post.time}")
        with st.chat_message("user", avatar=":material/storefront:"):
            st.caption(common.md_escape(speaker))
            st.text(post.body)
        if poster is not None:
            with st.chat_message("user", avatar=":material/storefront:"):
                st.image(poster, width=180)
    with (
        moments,  # entered first: the card below is drawn inside the tab
        st.container(border=True, width=PHONE_WIDTH, key=f"phone-moments-{post.id}"),
        st.chat_message("user", avatar=":material/storefront:"),
    ):
        st.markdown(f"**{common.md_escape(speaker)}**")
        st.text(post.body)
        if poster is not None:
            st.image(poster, width=240)
        st.caption(f"{common.day_label(package, post.day)} {post.time}")
