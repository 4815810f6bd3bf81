"""`WeekPackage`: a whole week of content for one canvas, re-checked against that canvas."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Literal

from pydantic import Field, model_validator

from pipelines.canvas import Canvas
from pipelines.content.base import Item, Usage, _Model
from pipelines.content.items import (
    PosterCopy,
    SellingPoints,
    WeekCalendar,
    check_calendar,
    check_poster_copy,
    check_selling_points,
)
from pipelines.content.kinds import REVIEWED, at_place, kind_of
from pipelines.content.scripts import GroupKit, LaunchSequence, LivestreamScript, check_livestream

# --- the whole week --------------------------------------------------------------------------


class TaskFailure(_Model):
    task_id: str
    kind: str
    message: str
    skipped: bool = Field(False, description="not run because a task it depends on failed")


class WeekPackage(_Model):
    """A whole week of content for one canvas."""

    schema_version: Literal[1] = 1
    canvas: Canvas
    engine: str
    generated_at: dt.datetime
    selling_points: list[SellingPoints] = Field(default_factory=list)
    calendar: WeekCalendar | None = None
    posters: list[PosterCopy] = Field(default_factory=list)
    livestream: LivestreamScript | None = None
    group_kit: GroupKit | None = None
    launch: LaunchSequence | None = None
    task_usage: dict[str, Usage] = Field(
        default_factory=dict, description="model usage per task id, for the tasks run this time"
    )
    failures: list[TaskFailure] = Field(default_factory=list)

    @model_validator(mode="after")
    def _whole_week(self) -> WeekPackage:
        canvas = self.canvas
        for points in self.selling_points:
            check_selling_points(points, canvas)
        if self.calendar is not None:
            check_calendar(self.calendar, canvas)
        for poster in self.posters:
            check_poster_copy(poster, canvas)
        if self.livestream is not None:
            check_livestream(self.livestream, canvas)
        ids = Counter(item.id for item in self.items())
        repeated = [i for i, n in ids.items() if n > 1]
        if repeated:
            raise ValueError(f"条目编号重复：{repeated}")
        if self.complete:
            covered = {p.product_id for p in self.selling_points}
            missing = [p.name for p in canvas.products if p.id not in covered]
            if missing:
                raise ValueError(f"这些商品没有卖点：{missing}")
            if canvas.burst.group_buy and self.launch is None:
                raise ValueError("画布设置了开团，但缺少开团消息序列")
        return self

    @property
    def usage(self) -> Usage:
        """Model usage summed over the package's tasks."""
        return sum(self.task_usage.values(), Usage())

    @property
    def complete(self) -> bool:
        return not self.failures

    def items(self) -> Iterator[Item]:
        """Every reviewable item, in reading order."""
        for kind in REVIEWED:
            found = at_place(self, kind.place)
            if isinstance(found, list):
                yield from found
            elif found is not None:
                yield found

    def item(self, item_id: str) -> Item:
        for item in self.items():
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def poster_for(self, post_id: str) -> PosterCopy | None:
        return next((p for p in self.posters if p.post_id == post_id), None)

    def counts(self) -> dict[str, int]:
        """Items per kind (by the kind's label), and failed tasks, for summaries."""
        counts = dict.fromkeys((k.label for k in REVIEWED), 0)
        for item in self.items():
            counts[kind_of(item).label] += 1
        return counts | {"失败任务": len(self.failures)}
