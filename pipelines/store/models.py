"""What the store hands out: plain read-only records around the content models."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from pipelines.canvas import Canvas
from pipelines.content import REVIEWED, Item
from pipelines.content import kind_of as content_kind_of

State = Literal["draft", "in_review", "approved", "rejected", "withdrawn"]
STATES: tuple[str, ...] = ("draft", "in_review", "approved", "rejected", "withdrawn")
STATE_LABELS: dict[str, str] = {
    "draft": "草稿",
    "in_review": "审核中",
    "approved": "已通过",
    "rejected": "已驳回",
    "withdrawn": "已撤下",
}
SOURCE_LABELS: dict[str, str] = {
    "generated": "生成",
    "edited": "编辑",
    "regenerated": "重新生成",
    "restored": "恢复旧版",
}

# The reviewed kinds (content.KINDS): name → content model, and the name people read.
KINDS: dict[str, type[Item]] = {k.kind.value: k.model for k in REVIEWED}
KIND_LABELS: dict[str, str] = {k.kind.value: k.label for k in REVIEWED}


def kind_of(item: Item) -> str:
    return content_kind_of(item).kind.value


@dataclass(frozen=True)
class StoredItem:
    """The latest version of one item with its review state."""

    key: str
    campaign_id: str
    item_id: str
    kind: str
    day: int | None
    channel: str | None
    state: str
    version: int
    item: Item
    updated_at: dt.datetime
    updated_by: str
    approved_version: int | None = None
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
    has_poster_png: bool = False
    source: str = "generated"  # how the current version was made (SOURCE_LABELS)
    layout: str | None = None  # the poster layout chosen for the current version
    author: str = ""  # who wrote the current version (updated_by also changes on review steps)

    @property
    def manual(self) -> bool:
        """The current version was written by a person."""
        return self.source in MANUAL

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.item.findings)

    @property
    def clean(self) -> bool:
        """No compliance finding at all."""
        return not self.item.findings


@dataclass(frozen=True)
class Version:
    """One saved version of an item."""

    version: int
    source: str
    item: Item
    created_at: dt.datetime
    created_by: str
    has_poster_png: bool = False
    layout: str | None = None


@dataclass(frozen=True)
class Comment:
    version: int
    author: str
    body: str
    created_at: dt.datetime


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    role: str
    action: str
    item_id: str | None
    version: int | None
    detail: str


@dataclass(frozen=True)
class Decisions:
    """A campaign's human decisions that a full regeneration would replace."""

    approved: int
    edited: int

    @property
    def any(self) -> bool:
        return bool(self.approved or self.edited)


# Version sources written by a person (regenerating the week keeps these unless told otherwise).
MANUAL = frozenset({"edited", "restored"})


@dataclass(frozen=True)
class CampaignSummary:
    id: str
    name: str
    canvas_hash: str
    canvas_version: int
    created_at: dt.datetime
    created_by: str
    counts: dict[str, int] = field(default_factory=dict)
    brand: str = ""
    theme: str = ""
    week_start: dt.date | None = None
    updated_at: dt.datetime | None = None  # the last change to any of its items
    archived: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class PackageView:
    """A campaign's items as export sees them: latest versions, optionally approved only."""

    campaign: CampaignSummary
    canvas: Canvas
    engine: str
    generated_at: dt.datetime
    items: list[StoredItem]

    def of_kind(self, kind: str) -> list[StoredItem]:
        return [i for i in self.items if i.kind == kind]

    @property
    def posts(self) -> list[StoredItem]:
        return sorted(self.of_kind("post"), key=lambda i: (i.item.day, i.item.time, i.item_id))

    @property
    def posters(self) -> list[StoredItem]:
        return self.of_kind("poster_copy")

    @property
    def selling_points(self) -> list[StoredItem]:
        return self.of_kind("fabe")

    def one(self, kind: str) -> StoredItem | None:
        found = self.of_kind(kind)
        return found[0] if found else None
