"""Fonts, poster layouts and example canvases. Installed inside the package as `pipelines.assets`."""
