"""Poster drafts: layouts as data, Chinese line breaking, shrink-to-fit, Pillow rendering.

What a user can rely on:
- Layouts are TOML files in assets/layouts/ (one per visual style, one variant per size).
- Emoji in poster copy are removed before drawing (the bundled fonts have none); every other
  character is drawn with a bundled font that has it (per-text fallback, see `fonts.py`) or the
  poster is refused with a `PosterError` naming the character. No tofu boxes.
- A text that does not fit its box even at the box's minimum size raises `PosterError` naming
  the text and the box. Bad images (not PNG/JPEG/WebP, truncated, too many bytes or pixels) raise
  `PosterError` with a Chinese message.
"""

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
