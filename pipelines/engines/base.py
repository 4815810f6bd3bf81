"""The engine seam: a task in, its typed output out. Both engines and the fake speak this."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from pipelines.canvas import Canvas, Channel, Product
from pipelines.content import KINDS, Goal, Post, PosterKind, SellingPoints, TaskKind, Usage


@dataclass(frozen=True)
class PostBrief:
    """One post of the week as the shared planner placed it: everything but its words.

    `what` and `day_purpose` say what the post is for; `schedule` lists the moments of its day
    (and, for the evening post, the next day) it may mention; `moments` are the (day, time) of
    every post of the week, the only moments a relative date in its words may point at.
    """

    id: str
    day: int
    date: dt.date
    time: str
    channel: Channel
    activity_type: str
    form: str
    goal: Goal
    product_id: str | None
    poster_kind: PosterKind | None
    what: str
    day_purpose: str
    schedule: tuple[str, ...] = ()
    moments: tuple[tuple[int, str], ...] = ()

    def facts(self) -> dict[str, object]:
        """The brief as JSON data (for the prompt's `<task>` block and the content hash)."""
        data = dataclasses.asdict(self)
        data["date"] = self.date.isoformat()
        del data["moments"]  # the validator's business, not the writer's
        return data


@dataclass(frozen=True)
class Task:
    """One unit of generation. `item_id` is the id the output item must carry.

    The inputs are exactly what the output may draw on: the canvas, plus the outputs of the
    tasks it depends on (selling points for the calendar and script; the post for its poster).
    `variant` > 0 asks for a fresh rewrite of the same item (a reviewer's "regenerate"); a POST
    task writes the planned post `brief`, or rewrites `post` keeping its day, time, channel,
    product, activity type, form and goal.
    """

    kind: TaskKind
    item_id: str
    canvas: Canvas
    product: Product | None = None
    post: Post | None = None
    selling_points: tuple[SellingPoints, ...] = ()
    variant: int = 0
    brief: PostBrief | None = None

    @property
    def output_model(self) -> type[BaseModel]:
        return KINDS[self.kind].model

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
        if self.brief is not None:  # only when set, so the hashes of other tasks stay as they were
            payload["brief"] = dataclasses.asdict(self.brief) | {
                "date": self.brief.date.isoformat()
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
    """Takes a task and returns its typed output (validated by `task.output_model`).

    Optional, looked up by the runner with `getattr`:
    - `plan_posts(canvas) -> list[PostBrief]`: the engine writes the calendar post by post; the
      runner then runs one POST task per brief (each as soon as its product's selling points
      exist) and assembles the week's calendar from them.
    - an exception a failed `generate` raises may carry `usage` (a `Usage`): the tokens its
      attempts spent, counted in the week's totals.
    """

    name: str

    def cache_key(self, task: Task) -> str:
        """Content address of the answer: equal keys mean an equal answer may be reused."""
        ...

    async def generate(self, task: Task) -> Result: ...
