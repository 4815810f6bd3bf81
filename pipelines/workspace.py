"""The campaign service: every change a person makes to a campaign, with one set of rules.

Pages and commands call this, never the store's write methods directly, so an edit made on the
week page, the review page or the command line is checked and recorded the same way. The store
holds the week; callers keep only a campaign id (and, in the browser, an unsaved canvas draft).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from pipelines.auth import User
from pipelines.canvas import Canvas, describe_validation_error
from pipelines.content import Item, Post, PosterCopy, WeekPackage
from pipelines.errors import StoreError
from pipelines.store import Store, StoredItem, canvas_hash
from pipelines.store.models import Decisions


class NeedsConfirmation(StoreError):
    """The action would replace a person's work; ask, then call again with the confirm flag."""


@dataclass(frozen=True)
class Workspace:
    store: Store
    user: User

    # --- campaigns -------------------------------------------------------------------------

    def week(self, campaign_id: str) -> WeekPackage:
        return self.store.week(campaign_id)

    def campaign_for(self, canvas: Canvas) -> str | None:
        """The campaign that already holds exactly this canvas (so 生成 reopens it)."""
        return self.store.find_campaign(canvas_hash(canvas))

    def save_week(
        self, package: WeekPackage, campaign_id: str | None = None, *, replace_decided: bool = False
    ) -> str:
        """Store a generated week. Regenerating a campaign with approvals or hand edits needs
        `replace_decided` to overwrite them; otherwise they are kept (see Store.save_package)."""
        campaign_id = self.store.save_package(
            package, user=self.user, campaign_id=campaign_id, replace_decided=replace_decided
        )
        if self.store.campaign(campaign_id).archived:
            self.store.archive(campaign_id, user=self.user, archived=False)
        return campaign_id

    def decisions(self, campaign_id: str) -> Decisions:
        return self.store.decisions(campaign_id)

    def next_week(self, campaign_id: str) -> Canvas:
        """This campaign's canvas moved on by seven days: the start of next week's draft."""
        canvas = self.store.canvas(campaign_id)
        data = canvas.model_dump(mode="json")
        data["week_start"] = (canvas.week_start + dt.timedelta(days=7)).isoformat()
        return Canvas.model_validate(data)

    # --- items -----------------------------------------------------------------------------

    def item(self, campaign_id: str, item_id: str) -> StoredItem:
        return self.store.item(f"{campaign_id}/{item_id}")

    def edit(
        self,
        campaign_id: str,
        item: Item,
        *,
        expected_version: int | None = None,
        source: str = "edited",
        poster_png: bytes | None = None,
        layout: str | None = None,
    ) -> StoredItem:
        """Save `item` as the next version. `expected_version` is the version the person was
        looking at; an edit started from an older one is refused as a conflict."""
        current = self.item(campaign_id, item.id)
        return self.store.edit_item(
            current.key,
            item,
            user=self.user,
            expected_version=current.version if expected_version is None else expected_version,
            source=source,
            poster_png=poster_png,
            layout=layout,
        )

    def regenerate(
        self,
        campaign_id: str,
        item_id: str,
        write: Callable[[WeekPackage, str, int], WeekPackage],
        *,
        overwrite_edit: bool = False,
    ) -> StoredItem:
        """Rewrite one item. The variant number comes from the item's stored history, so two
        people regenerating the same post get different texts. A hand-edited item is only
        overwritten with `overwrite_edit`; `undo` brings the previous version back."""
        current = self.item(campaign_id, item_id)
        if current.manual and not overwrite_edit:
            raise NeedsConfirmation(
                f"「{item_id}」有人工修改（第 {current.version} 版，{current.updated_by}），"
                "重新生成会替换它；确认后再操作，旧版本会留在历史里"
            )
        history = self.store.history(current.key)
        variant = 1 + sum(v.source == "regenerated" for v in history)
        rewritten = write(self.week(campaign_id), item_id, variant).item(item_id)
        return self.edit(
            campaign_id, rewritten, expected_version=current.version, source="regenerated"
        )

    def undo(self, campaign_id: str, item_id: str) -> StoredItem:
        """The previous version's content becomes the next version."""
        current = self.item(campaign_id, item_id)
        if current.version < 2:
            raise StoreError(f"「{item_id}」只有一个版本，没有可以撤销的修改")
        return self.store.restore(
            current.key, current.version - 1, user=self.user, expected_version=current.version
        )

    def reschedule(self, campaign_id: str, post_id: str, *, day: int, time: str) -> StoredItem:
        """Move a post to another day of the week and another time."""
        current = self.item(campaign_id, post_id)
        post = current.item
        if not isinstance(post, Post):
            raise StoreError(f"「{post_id}」不是帖子，不能改时间")
        canvas = self.store.canvas(campaign_id)
        if not 1 <= day <= len(canvas.days):
            raise StoreError(f"第 {day} 天不在本周（1–{len(canvas.days)}）")
        moved = _revalidated(post, day=day, date=canvas.days[day - 1], time=time)
        return self.edit(campaign_id, moved, expected_version=current.version)

    def choose_layout(
        self, campaign_id: str, poster_id: str, layout: str, png: bytes | None = None
    ) -> StoredItem:
        """Keep the chosen layout (and its rendered image) with a new version of the poster
        copy: the export and the batch ship exactly this."""
        current = self.item(campaign_id, poster_id)
        if not isinstance(current.item, PosterCopy):
            raise StoreError(f"「{poster_id}」不是海报文案")
        if current.layout == layout and (png is None or current.has_poster_png):
            return current
        return self.edit(
            campaign_id,
            current.item,
            expected_version=current.version,
            source="edited",
            poster_png=png,
            layout=layout,
        )


def _revalidated(item: Item, **changes: Any) -> Item:
    data = item.model_dump() | changes | {"findings": []}
    try:
        return type(item).model_validate(data)
    except ValidationError as exc:
        problems = "；".join(describe_validation_error(type(item), exc))
        raise StoreError(f"修改未保存：{problems}") from None
