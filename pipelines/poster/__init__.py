"""Poster drafts: layouts as data, Chinese line breaking, shrink-to-fit, Pillow rendering."""

from pipelines.poster.images import load_image
from pipelines.poster.layouts import Layout, list_layouts, load_layout
from pipelines.poster.render import layout_for, poster_png, render_poster, write_week_posters

__all__ = [
    "Layout",
    "layout_for",
    "list_layouts",
    "load_image",
    "load_layout",
    "poster_png",
    "render_poster",
    "write_week_posters",
]
