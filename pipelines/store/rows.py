"""Row building for the store: serialised outside transactions, so writers hold locks briefly."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from pipelines.auth import User
from pipelines.canvas import Canvas
from pipelines.content import Item, Post, PosterCopy, WeekPackage
from pipelines.store.models import kind_of


def canvas_hash(canvas: Canvas) -> str:
    """Content hash of a canvas: equal canvases, equal hash (batch resume relies on it)."""
    raw = json.dumps(canvas.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def day_and_channel(item: Item, posts: Mapping[str, Post]) -> tuple[int | None, str | None]:
    if isinstance(item, Post):
        return item.day, item.channel.value
    if isinstance(item, PosterCopy) and item.post_id in posts:
        post = posts[item.post_id]
        return post.day, post.channel.value
    launch_day = getattr(item, "launch_day", None)
    return launch_day, None


class Prepared(NamedTuple):
    item_id: str
    kind: str
    day: int | None
    channel: str | None
    has_errors: bool
    body: str


def prepared_items(package: WeekPackage) -> list[Prepared]:
    posts = {p.id: p for p in package.calendar.posts} if package.calendar else {}
    prepared = []
    for item in package.items():
        day, channel = day_and_channel(item, posts)
        errors = any(f.severity == "error" for f in item.findings)
        prepared.append(
            Prepared(item.id, kind_of(item), day, channel, errors, item.model_dump_json())
        )
    return prepared


def version_row(
    key: str,
    version: int,
    source: str,
    body: str,
    png: bytes | None,
    user: User,
    now: dt.datetime,
    layout: str | None = None,
) -> dict[str, Any]:
    return dict(
        item_key=key,
        version=version,
        source=source,
        body_json=body,
        poster_png=png,
        created_at=now,
        created_by=user.name,
        layout=layout,
    )
