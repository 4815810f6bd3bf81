"""The engine seam: a task in, its typed output out. Both engines and the fake speak this."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from pipelines.canvas import Canvas, Product
from pipelines.content import (
    GroupKit,
    LaunchSequence,
    LivestreamScript,
    Post,
    PosterCopy,
    SellingPoints,
    Usage,
    WeekCalendar,
)


class TaskKind(StrEnum):
    FABE = "fabe"
    CALENDAR = "calendar"
    POSTER_COPY = "poster_copy"
    LIVESTREAM = "livestream"
    GROUP_KIT = "group_kit"
    LAUNCH = "launch"
    POST = "post"  # rewrite one calendar post in place (same day, time, channel, product)


OUTPUT_MODELS: dict[TaskKind, type[BaseModel]] = {
    TaskKind.FABE: SellingPoints,
    TaskKind.CALENDAR: WeekCalendar,
    TaskKind.POSTER_COPY: PosterCopy,
    TaskKind.LIVESTREAM: LivestreamScript,
    TaskKind.GROUP_KIT: GroupKit,
    TaskKind.LAUNCH: LaunchSequence,
    TaskKind.POST: Post,
}


@dataclass(frozen=True)
class Task:
    """One unit of generation. `item_id` is the id the output item must carry.

    The inputs are exactly what the output may draw on: the canvas, plus the outputs of the
    tasks it depends on (selling points for the calendar and script; the post for its poster).
    `variant` > 0 asks for a fresh rewrite of the same item (a reviewer's "regenerate"); a POST
    task rewrites `post` keeping its day, time, channel, product, activity type, form and goal.
    """

    kind: TaskKind
    item_id: str
    canvas: Canvas
    product: Product | None = None
    post: Post | None = None
    selling_points: tuple[SellingPoints, ...] = ()
    variant: int = 0

    @property
    def output_model(self) -> type[BaseModel]:
        return OUTPUT_MODELS[self.kind]

    def input_hash(self) -> str:
        """A content hash of everything the output depends on."""
        payload = {
            "kind": self.kind.value,
            "item_id": self.item_id,
            "variant": self.variant,
            "canvas": self.canvas.model_dump(mode="json"),
            "product": self.product.model_dump(mode="json") if self.product else None,
            "post": self.post.model_dump(mode="json", exclude={"findings"}) if self.post else None,
            "selling_points": [
                s.model_dump(mode="json", exclude={"findings"}) for s in self.selling_points
            ],
        }
        raw = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()


@dataclass
class Result:
    """An engine's answer to one task."""

    output: BaseModel
    usage: Usage = field(default_factory=Usage)


@runtime_checkable
class Engine(Protocol):
    """Takes a task and returns its typed output (validated by `task.output_model`)."""

    name: str

    def cache_key(self, task: Task) -> str:
        """Content address of the answer: equal keys mean an equal answer may be reused."""
        ...

    async def generate(self, task: Task) -> Result: ...
