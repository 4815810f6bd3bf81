"""Where the shipped data lives: `prompts/` and `assets/` at the top of the checkout, installed
inside the package as `pipelines.prompts` and `pipelines.assets` (see pyproject.toml), found
through importlib.resources either way — an editable checkout or a wheel in site-packages."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _folder(package: str) -> Path:
    # pip always unpacks wheels, so the resources are plain files on disk (fonts and Jinja's
    # loader need real paths); a zipped install would fail here, loudly, not later.
    return Path(str(files(package)))


PROMPTS_DIR = _folder("pipelines.prompts")
ASSETS_DIR = _folder("pipelines.assets")
FONT_DIR = ASSETS_DIR / "fonts"
LAYOUT_DIR = ASSETS_DIR / "layouts"
EXAMPLES_DIR = ASSETS_DIR / "examples"
