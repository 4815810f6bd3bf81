"""One table of the kinds of work: each kind declared once, with what every module reads about it.

The engines (output model, room for one answer), the week package (where its items sit), the
store (which kinds are reviewed, under what name), the task graph (where a regenerated item goes
back) and the pages (labels) all read `KINDS`. Adding a kind is one row here plus the words each
engine writes for it; tests/test_kinds.py names any engine or module that does not handle a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

from pipelines.content.base import Item
from pipelines.content.items import Post, PosterCopy, SellingPoints, WeekCalendar
from pipelines.content.scripts import GroupKit, LaunchSequence, LivestreamScript


class TaskKind(StrEnum):
    FABE = "fabe"
    CALENDAR = "calendar"
    POST = "post"  # write one planned post (`brief`), or rewrite one in place (`post`)
    POSTER_COPY = "poster_copy"
    LIVESTREAM = "livestream"
    GROUP_KIT = "group_kit"
    LAUNCH = "launch"


@dataclass(frozen=True)
class Kind:
    """One kind of task and of the item it writes.

    `place` is where its items sit in a `WeekPackage` (a dotted attribute path; a list holds
    many): None for the calendar, which is assembled from its posts and never reviewed itself.
    `answer_tokens` is the room for one model answer (sent as `max_tokens`, within the provider's
    cap): about twice the longest the template engine writes for it, never above ~1,500. None
    where the answer comes in parts (the live script: frame and blocks; selling points: card and
    channels — engines/llm says their parts' room) or is not asked of the model at all (the
    calendar, planned by logic).
    """

    kind: TaskKind
    model: type[BaseModel]
    label: str
    place: str | None
    answer_tokens: int | None

    @property
    def reviewable(self) -> bool:
        return self.place is not None


KINDS: dict[TaskKind, Kind] = {
    k.kind: k
    for k in (
        Kind(TaskKind.FABE, SellingPoints, "卖点", "selling_points", None),
        Kind(TaskKind.CALENDAR, WeekCalendar, "一周日历", None, None),
        Kind(TaskKind.POST, Post, "帖子", "calendar.posts", 600),
        Kind(TaskKind.POSTER_COPY, PosterCopy, "海报文案", "posters", 400),
        Kind(TaskKind.LIVESTREAM, LivestreamScript, "直播脚本", "livestream", None),
        Kind(TaskKind.GROUP_KIT, GroupKit, "社群物料", "group_kit", 1500),
        Kind(TaskKind.LAUNCH, LaunchSequence, "开团消息", "launch", 1000),
    )
}  # in reading order: a package lists its items, and the pages their kinds, in this order
REVIEWED: tuple[Kind, ...] = tuple(k for k in KINDS.values() if k.reviewable)
_BY_MODEL: dict[type[BaseModel], Kind] = {k.model: k for k in REVIEWED}


def kind_of(item: Item) -> Kind:
    """The kind of one reviewable item."""
    try:
        return _BY_MODEL[type(item)]
    except KeyError:
        raise TypeError(f"not a reviewable item: {type(item).__name__}") from None


def at_place(owner: object, place: str) -> object:
    """The value at a dotted `place` under `owner` (None when a step on the way is None)."""
    value = owner
    for step in place.split("."):
        if value is None:
            return None
        value = getattr(value, step)
    return value
