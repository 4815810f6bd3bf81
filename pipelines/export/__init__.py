"""The export bundle: a ZIP of the formats people use, approved items only by default.

    <活动名>-<id>/calendar.xlsx, calendar.csv, calendar.ics, livestream.docx, livestream.md,
    fabe.xlsx, group_kit.md, launch.md, posters/<post id>.png, manifest.json

File names come from ids and a slug of the campaign name, never from raw user text, and the
bundle holds content only: no settings, keys or password hashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from pipelines.canvas import normalise_name
from pipelines.content import WeekPackage
from pipelines.errors import CampaignCanvasError, ExportError
from pipelines.export.documents import calendar_ics, livestream_docx
from pipelines.export.sheets import calendar_csv, calendar_xlsx, fabe_xlsx
from pipelines.render_md import group_kit_markdown, launch_markdown, livestream_markdown
from pipelines.store import PackageView, Store, StoredItem

PosterSource = Callable[[StoredItem], bytes | None]


def safe_name(value: str) -> str:
    """A file name part from any text: letters, digits, CJK, - and _ only (no dots, no slashes)."""
    return normalise_name(value.replace(".", "-"))


def store_posters(store: Store) -> PosterSource:
    """Posters as kept with each item's version, else rendered now in the layout chosen for
    that version (the week's layout rota when none was chosen)."""
    weeks: dict[str, WeekPackage] = {}

    def source(stored: StoredItem) -> bytes | None:
        png = store.poster_png(stored.key, stored.version)
        if png is not None:
            return png
        from pipelines.poster import layout_for, poster_png
        from pipelines.poster.render import size_for

        week = weeks.get(stored.campaign_id)
        if week is None:
            week = weeks[stored.campaign_id] = store.week(stored.campaign_id)
        copy = stored.item
        index = next((i for i, p in enumerate(week.posters) if p.id == copy.id), 0)
        layout = stored.layout or layout_for(copy, index)
        return poster_png(copy, week.canvas, layout, size=size_for(week, copy))

    return source


def bundle_files(
    view: PackageView,
    *,
    approved_only: bool,
    posters: PosterSource | None = None,
    now: dt.datetime | None = None,
) -> dict[str, bytes]:
    """Every file of the export, by name inside the bundle folder."""
    if not view.items:
        what = "已通过的条目" if approved_only else "条目"
        raise ExportError(f"活动「{view.canvas.name}」没有{what}可导出：先在审核页通过，或导出全部")
    now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    files: dict[str, bytes] = {}
    if view.posts:
        files["calendar.xlsx"] = calendar_xlsx(view)
        files["calendar.csv"] = calendar_csv(view)
        files["calendar.ics"] = calendar_ics(view, stamp=now)
    if view.selling_points:
        files["fabe.xlsx"] = fabe_xlsx(view)
    if (script := view.one("livestream")) is not None:
        files["livestream.docx"] = livestream_docx(script.item, brand=view.canvas.brand.name)
        files["livestream.md"] = livestream_markdown(script.item).encode()
    if (kit := view.one("group_kit")) is not None:
        files["group_kit.md"] = group_kit_markdown(kit.item).encode()
    if (launch := view.one("launch")) is not None:
        files["launch.md"] = launch_markdown(launch.item).encode()
    missing: dict[str, str] = {}
    for stored in view.posters:
        try:
            png = posters(stored) if posters is not None else None
        except CampaignCanvasError as exc:  # one poster that cannot be drawn spoils nothing else
            png, missing[stored.item_id] = None, str(exc)
        if png is not None:
            files[f"posters/{safe_name(stored.item.post_id)}.png"] = png
        else:
            missing.setdefault(stored.item_id, "未渲染")
    files["manifest.json"] = _manifest(view, files, approved_only, missing, now)
    return files


def _manifest(
    view: PackageView,
    files: dict[str, bytes],
    approved_only: bool,
    missing_posters: dict[str, str],
    now: dt.datetime,
) -> bytes:
    campaign = view.campaign
    manifest = {
        "campaign": {
            "id": campaign.id,
            "name": view.canvas.name,
            "theme": view.canvas.theme.name,
            "brand": view.canvas.brand.name,
            "week_start": view.canvas.week_start.isoformat(),
            "canvas_version": campaign.canvas_version,
        },
        "exported_at": now.isoformat(),
        "approved_only": approved_only,
        "engine": view.engine,
        "generated_at": view.generated_at.isoformat(),
        "items": [
            {
                "id": s.item_id,
                "kind": s.kind,
                "version": s.version,
                "state": s.state,
                "approved_by": s.approved_by,
                "approved_at": s.approved_at.isoformat() if s.approved_at else None,
                "last_edited_by": s.updated_by,
                "updated_at": s.updated_at.isoformat(),
                "findings": len(s.item.findings),
            }
            for s in view.items
        ],
        "posters_not_rendered": missing_posters,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    return json.dumps(manifest, ensure_ascii=False, indent=2).encode()


def bundle_folder(view: PackageView) -> str:
    return f"{safe_name(view.canvas.name)}-{view.campaign.id}"


def write_zip(
    view: PackageView,
    out: Path | BinaryIO,
    *,
    approved_only: bool = True,
    posters: PosterSource | None = None,
) -> list[str]:
    """Write the bundle as a ZIP (atomically when `out` is a path); returns the entry names."""
    files = bundle_files(view, approved_only=approved_only, posters=posters)
    folder = bundle_folder(view)
    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        try:
            with tmp.open("wb") as handle:
                names = _zip(files, folder, handle)
            tmp.replace(out)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ExportError(f"无法写入 {out}：{exc.strerror}") from None
        return names
    return _zip(files, folder, out)


def zip_bytes(
    view: PackageView, *, approved_only: bool = True, posters: PosterSource | None = None
) -> bytes:
    buffer = io.BytesIO()
    write_zip(view, buffer, approved_only=approved_only, posters=posters)
    return buffer.getvalue()


def _zip(files: dict[str, bytes], folder: str, handle: BinaryIO) -> list[str]:
    names = []
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(f"{folder}/{name}", data)
            names.append(f"{folder}/{name}")
    return names
