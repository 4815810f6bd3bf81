"""Typed outputs: one model per task, plus `WeekPackage` holding them all with their canvas.

The business rules live here, in fields and validators. Rules that need the canvas read it from
the validation context (`Model.model_validate(data, context={"canvas": canvas})`); `WeekPackage`
re-checks them against the canvas it carries, so either engine's output is held to the same rules.
"""

from pipelines.content.base import (
    Finding,
    Item,
    Severity,
    Usage,
    canvas_numbers,
    format_price,
    iter_texts,
    numbers_in,
    product_for,
)
from pipelines.content.items import (
    ChannelVariant,
    Fabe,
    FabeCard,
    Goal,
    Post,
    PosterCopy,
    PosterKind,
    PriceBlock,
    SellingPoints,
    WeekCalendar,
    check_calendar,
    check_poster_copy,
    check_selling_points,
    reviewable_items,
)
from pipelines.content.kinds import KINDS, REVIEWED, Kind, TaskKind, kind_of
from pipelines.content.package import TaskFailure, WeekPackage
from pipelines.content.scripts import (
    ACT_ORDER,
    LAUNCH_ORDER,
    Act,
    ActName,
    Block,
    Contingency,
    GroupKit,
    KeywordReply,
    LaunchMessage,
    LaunchSequence,
    LaunchStep,
    LivestreamScript,
    PrivateScript,
    ProductSegment,
    ScriptLine,
    Speaker,
    check_livestream,
)

__all__ = [
    "ACT_ORDER", "KINDS", "LAUNCH_ORDER", "REVIEWED", "Act", "ActName", "Block", "ChannelVariant",
    "Contingency", "Fabe", "FabeCard", "Finding", "Goal", "GroupKit", "Item", "KeywordReply", "Kind",
    "LaunchMessage", "LaunchSequence", "LaunchStep", "LivestreamScript", "Post", "PosterCopy",
    "PosterKind", "PriceBlock", "PrivateScript", "ProductSegment", "ScriptLine", "SellingPoints",
    "Severity", "Speaker", "TaskFailure", "TaskKind", "Usage", "WeekCalendar", "WeekPackage",
    "canvas_numbers", "check_calendar", "check_livestream", "check_poster_copy",
    "check_selling_points", "format_price", "iter_texts", "kind_of", "numbers_in", "product_for",
    "reviewable_items",
]  # fmt: skip
