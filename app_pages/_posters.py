"""Poster images for the pages: rendered once per (copy, canvas, layout) and kept by st.cache_data."""

from __future__ import annotations

import io
import zipfile

import streamlit as st

from app_pages import common
from pipelines.canvas import Canvas
from pipelines.content import PosterCopy, WeekPackage
from pipelines.errors import CampaignCanvasError
from pipelines.poster import layout_for, poster_png
from pipelines.poster.render import size_for


@st.cache_data(show_spinner=False, max_entries=512)
def _render(copy_json: str, canvas_json: str, layout: str, size: tuple[int, int]) -> bytes:
    copy = PosterCopy.model_validate_json(copy_json)
    canvas = Canvas.model_validate_json(canvas_json)
    return poster_png(copy, canvas, layout, size=size)


def layout_of(package: WeekPackage, copy: PosterCopy, chosen: str | None) -> str:
    """The layout stored with the poster's version, else the poster module's pick (the same
    rule the export follows)."""
    return chosen or layout_for(copy, package.posters.index(copy))


def poster_bytes(package: WeekPackage, copy: PosterCopy, layout: str) -> bytes:
    """PNG bytes of one poster (raises PosterError with a Chinese message)."""
    size = size_for(package, copy)
    return _render(copy.model_dump_json(), package.canvas.model_dump_json(), layout, size)


def show_poster(package: WeekPackage, copy: PosterCopy, layout: str | None = None) -> bytes | None:
    """The poster image (in its stored layout), or the reason it could not be drawn."""
    if layout is None:
        stored = common.open_store().item(f"{common.current_campaign()}/{copy.id}")
        layout = layout_of(package, copy, stored.layout)
    try:
        png = poster_bytes(package, copy, layout)
    except CampaignCanvasError as exc:
        common.show_error(exc)
        return None
    st.image(png, caption=f"{copy.kind.value} · {copy.headline}", width="stretch")
    return png


def posters_zip(package: WeekPackage, layouts: dict[str, str]) -> bytes:
    """Every poster as `posters/<poster id>.png` in one ZIP; any that cannot be drawn are listed
    with the reason in `posters/未能生成.txt`. `layouts` maps poster ids to layout names."""
    buffer = io.BytesIO()
    problems = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for copy in package.posters:
            try:
                archive.writestr(
                    f"posters/{copy.id}.png", poster_bytes(package, copy, layouts[copy.id])
                )
            except CampaignCanvasError as exc:
                problems.append(f"{copy.id}：{exc}")
        if problems:
            archive.writestr("posters/未能生成.txt", "\n".join(problems) + "\n")
    return buffer.getvalue()
