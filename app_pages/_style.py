"""Page-wide CSS: constant rules only (never user or model text).

Streamlit 1.67's file uploader has no option for its own words: its button says "Upload" and
its hint "20MB per file • TOML, JSON". The pages put the types and the size limit in a Chinese
caption under each uploader; these rules hide the English hint and show 选择文件 on the button.
They select by Streamlit's test ids (the hooks its own end-to-end tests use): if a later version
renames them, the rules simply stop matching and the English words come back — nothing breaks.
The "Drag and drop file here" shown only while a file is dragged over the box stays English.
"""

from __future__ import annotations

_BUTTON = (
    '[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] '
    '[data-testid="stMarkdownContainer"] p'
)
UPLOADER_CSS = f"""<style>
[data-testid="stFileUploaderDropzoneInstructions"] {{ display: none; }}
{_BUTTON} {{ font-size: 0; }}
{_BUTTON}::after {{ content: "选择文件"; font-size: 0.875rem; }}
</style>"""
