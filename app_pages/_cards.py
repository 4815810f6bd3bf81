"""What a post's card on the week grid shows, shared by the grid and the grid being written."""

from __future__ import annotations

CHANNEL_COLOURS = {"社群": "blue", "朋友圈": "green", "小红书": "red", "直播间": "violet"}
TITLE_CHARS = 16  # a title longer than this is cut on the card (the full one is the tooltip)


def short_title(title: str) -> str:
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"
