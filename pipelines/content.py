"""Typed outputs: one model per task, plus `WeekPackage` holding them all with their canvas.

The business rules live here, in fields and validators. Rules that need the canvas read it from
the validation context (`Model.model_validate(data, context={"canvas": canvas})`); `WeekPackage`
re-checks them against the canvas it carries, so either engine's output is held to the same rules.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from pipelines.canvas import HHMM, Canvas, Channel, Product

Goal = Literal["拉新", "促活", "转化", "复购", "裂变"]
Speaker = Literal["主播", "副播", "场控"]
Severity = Literal["error", "warning"]
ActName = Literal["开场", "爬坡", "高潮", "落幕"]
ACT_ORDER: tuple[str, ...] = ("开场", "爬坡", "高潮", "落幕")
LaunchStep = Literal[
    "T-1天预告", "T-10分钟倒计时", "T-0开团", "T+30分钟播报", "结束战绩", "售后跟进"
]
LAUNCH_ORDER: tuple[str, ...] = (
    "T-1天预告",
    "T-10分钟倒计时",
    "T-0开团",
    "T+30分钟播报",
    "结束战绩",
    "售后跟进",
)


def text(max_length: int, min_length: int = 1) -> Any:
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
    ]


class PosterKind(StrEnum):
    PRODUCT = "产品海报"
    ACTIVITY = "活动海报"
    FISSION = "裂变海报"
    PREVIEW = "预告海报"
    RESULTS = "战绩海报"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _canvas(info: ValidationInfo) -> Canvas | None:
    context = info.context or {}
    canvas = context.get("canvas")
    return canvas if isinstance(canvas, Canvas) else None


class Finding(_Model):
    """One compliance finding on one text field of an item."""

    category: str
    field: str = Field(description="path of the text inside its item, e.g. 'copy'")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    span: str
    severity: Severity
    rule: str
    why: str
    suggestion: str


class Usage(_Model):
    """Token usage from the API's usage field (zero for the template engine)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Item(_Model):
    """Anything a reviewer acts on: it has a stable id and carries its compliance findings."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_:.-]{0,63}$")]
    findings: list[Finding] = Field(default_factory=list)


# --- FABE selling points ---------------------------------------------------------------------


class Fabe(_Model):
    feature: text(80) = Field(description="属性：它是什么/有什么")
    advantage: text(120) = Field(description="作用：这带来什么，比替代品好在哪")
    benefit: text(160) = Field(description="益处：目标人群在场景里得到什么")
    evidence: text(160) = Field(description="证据：只能来自画布；没有则写可验证的演示方式")


class ChannelVariant(_Model):
    channel: Channel
    persona: text(20)
    body: text(400) = Field(description="该渠道、该人群的完整文案")


class SellingPoints(Item):
    """FABE selling points of one product, a scene line, and per-channel variants."""

    product_id: str
    product: text(30)
    fabe: list[Fabe] = Field(min_length=1, max_length=4)
    scene_line: text(200) = Field(description="场景还原：从人群在场景里的痛点说起")
    variants: list[ChannelVariant] = Field(min_length=1, max_length=12)

    @model_validator(mode="after")
    def _evidence_from_canvas(self, info: ValidationInfo) -> SellingPoints:
        canvas = _canvas(info)
        if canvas is not None:
            check_selling_points(self, canvas)
        return self


def check_selling_points(points: SellingPoints, canvas: Canvas) -> None:
    """Evidence quotes the canvas; a claim with digits the canvas did not give is invented."""
    try:
        product = canvas.product(points.product_id)
    except KeyError:
        raise ValueError(f"卖点指向不存在的商品编号「{points.product_id}」") from None
    allowed = canvas_numbers(canvas)
    for item in points.fabe:
        quoted = any(ev in item.evidence for ev in product.evidence)
        invented = [n for n in numbers_in(item.evidence) if n not in allowed]
        if not quoted and invented:
            raise ValueError(
                f"「{product.name}」的证据「{item.evidence}」含画布里没有的数字 {invented}："
                "证据只能引用画布里的证据，没有就写可现场验证的演示方式"
            )


# --- weekly calendar -------------------------------------------------------------------------


class Post(Item):
    """One timed post of the week."""

    day: int = Field(ge=1, le=7)
    date: dt.date
    time: HHMM
    channel: Channel
    activity_type: text(20)
    form: text(20)
    goal: Goal
    product_id: str | None = None
    title: text(40)
    body: text(1200) = Field(description="完整文案，可直接发出")
    needs_poster: bool = False
    poster_kind: PosterKind | None = None

    @model_validator(mode="after")
    def _poster_kind_when_needed(self) -> Post:
        if self.needs_poster and self.poster_kind is None:
            raise ValueError(f"帖子「{self.title}」需要海报，但没有写海报类型 poster_kind")
        return self


class WeekCalendar(Item):
    """Seven days of timed posts across the canvas's channels."""

    posts: list[Post] = Field(min_length=28)

    @model_validator(mode="after")
    def _week_rules(self, info: ValidationInfo) -> WeekCalendar:
        per_day = Counter(p.day for p in self.posts)
        thin = [d for d in range(1, 8) if per_day[d] < 4]
        if thin:
            raise ValueError(f"第 {'、'.join(map(str, thin))} 天的帖子少于 4 条：每天至少 4 条")
        titles = Counter(p.title for p in self.posts)
        repeated = [t for t, n in titles.items() if n > 1]
        if repeated:
            raise ValueError(f"本周帖子标题重复：{repeated}；一周内标题不能重复")
        ids = Counter(p.id for p in self.posts)
        if any(n > 1 for n in ids.values()):
            raise ValueError("帖子编号重复：每条帖子的 id 必须唯一")
        canvas = _canvas(info)
        if canvas is not None:
            check_calendar(self, canvas)
        return self

    def day(self, day: int) -> list[Post]:
        return sorted((p for p in self.posts if p.day == day), key=lambda p: p.time)


def check_calendar(calendar: WeekCalendar, canvas: Canvas) -> None:
    """Channels, dates and products must match the canvas; every product is featured."""
    channels = set(canvas.channels)
    product_ids = {p.id for p in canvas.products}
    for post in calendar.posts:
        if post.channel not in channels:
            raise ValueError(f"帖子「{post.title}」用了画布里没有的渠道「{post.channel}」")
        if post.date != canvas.days[post.day - 1]:
            raise ValueError(f"帖子「{post.title}」的日期与第 {post.day} 天不符")
        if post.product_id is not None and post.product_id not in product_ids:
            raise ValueError(f"帖子「{post.title}」指向不存在的商品编号「{post.product_id}」")
    featured = {p.product_id for p in calendar.posts}
    missing = [p.name for p in canvas.products if p.id not in featured]
    if missing:
        raise ValueError(f"本周日历没有推到这些商品：{missing}；每个商品至少出现一次")


# --- poster copy -----------------------------------------------------------------------------


class PriceBlock(_Model):
    original: Decimal | None = Field(None, gt=0, description="原价（划线）")
    promo: Decimal = Field(gt=0, description="活动价（大字）")
    unit: text(10) = "元"
    note: text(16, 0) = ""

    @model_validator(mode="after")
    def _promo_not_above_original(self) -> PriceBlock:
        if self.original is not None and self.promo > self.original:
            raise ValueError("海报活动价高于原价")
        return self


class PosterCopy(Item):
    """The words on one poster."""

    post_id: str
    kind: PosterKind
    product_id: str | None = None
    headline: text(14)
    subheadline: text(24)
    bullets: list[text(16)] = Field(min_length=2, max_length=4)
    price: PriceBlock | None = None
    urgency: text(24)
    cta: text(16)

    @model_validator(mode="after")
    def _prices_from_canvas(self, info: ValidationInfo) -> PosterCopy:
        canvas = _canvas(info)
        if canvas is not None:
            check_poster_copy(self, canvas)
        return self


def check_poster_copy(copy: PosterCopy, canvas: Canvas) -> None:
    """A price block shows the canvas's own prices, never invented ones."""
    if copy.price is None:
        return
    if copy.product_id is None:
        raise ValueError("海报有价格块但没有指向商品")
    product = canvas.product(copy.product_id)
    if copy.price.promo != product.offer_price:
        raise ValueError(f"海报活动价 {copy.price.promo} 与画布不符（应为 {product.offer_price}）")
    if copy.price.original is not None and copy.price.original != product.price:
        raise ValueError(f"海报原价 {copy.price.original} 与画布不符（应为 {product.price}）")


# --- livestream script -----------------------------------------------------------------------


class ScriptLine(_Model):
    speaker: Speaker
    words: text(600)


class Block(_Model):
    """A timed block of the show: who speaks, what is on screen, the interaction, the words."""

    title: text(30)
    minutes: int = Field(ge=1, le=60)
    on_screen: text(80)
    interaction: text(40, 0) = ""
    lines: list[ScriptLine] = Field(min_length=1)


class Act(_Model):
    name: ActName
    blocks: list[Block] = Field(min_length=1)

    @property
    def minutes(self) -> int:
        return sum(b.minutes for b in self.blocks)


class ProductSegment(_Model):
    """单品脚本: scene hook → FABE → demo → price anchor → closing push → Q&A → cross-sell."""

    product_id: str
    product: text(30)
    steps: list[Block] = Field(min_length=5)

    @property
    def minutes(self) -> int:
        return sum(b.minutes for b in self.steps)


class Contingency(_Model):
    situation: text(30)
    response: text(300)


class LivestreamScript(Item):
    title: text(40)
    start_time: HHMM
    acts: list[Act] = Field(min_length=4, max_length=4)
    segments: list[ProductSegment] = Field(min_length=1)
    contingencies: list[Contingency] = Field(min_length=3)
    review_metrics: list[text(20)] = Field(min_length=3)

    @model_validator(mode="after")
    def _acts_in_order(self, info: ValidationInfo) -> LivestreamScript:
        names = tuple(a.name for a in self.acts)
        if names != ACT_ORDER:
            raise ValueError(f"直播四幕应依次为 {list(ACT_ORDER)}，现在是 {list(names)}")
        canvas = _canvas(info)
        if canvas is not None:
            check_livestream(self, canvas)
        return self

    @property
    def total_minutes(self) -> int:
        return sum(a.minutes for a in self.acts)


def check_livestream(script: LivestreamScript, canvas: Canvas) -> None:
    covered = {s.product_id for s in script.segments}
    missing = [p.name for p in canvas.products if p.id not in covered]
    if missing:
        raise ValueError(f"直播脚本缺少这些商品的单品段落：{missing}")


# --- group kit and launch sequence -----------------------------------------------------------


class KeywordReply(_Model):
    keyword: text(12)
    reply: text(300)


class PrivateScript(_Model):
    topic: Literal["产品介绍", "活动介绍", "服务保障"]
    words: text(400)


class GroupKit(Item):
    """Group basics: names, rules, welcome, notice, keyword replies, private-chat scripts."""

    names: list[text(20)] = Field(min_length=3, max_length=8)
    rules: list[text(80)] = Field(min_length=3, max_length=12)
    welcome: text(300)
    announcement: text(500)
    keyword_replies: list[KeywordReply] = Field(min_length=3)
    private_scripts: list[PrivateScript] = Field(min_length=3)

    @model_validator(mode="after")
    def _all_private_topics(self) -> GroupKit:
        topics = {s.topic for s in self.private_scripts}
        missing = {"产品介绍", "活动介绍", "服务保障"} - topics
        if missing:
            raise ValueError(f"私聊话术缺少：{sorted(missing)}")
        return self


class LaunchMessage(_Model):
    step: LaunchStep
    when: text(30)
    words: text(500)


class LaunchSequence(Item):
    """The group-buy launch (开团) messages, from the day-before preview to after-sale care."""

    launch_day: int = Field(ge=1, le=7)
    messages: list[LaunchMessage] = Field(min_length=6)

    @model_validator(mode="after")
    def _steps_in_order(self) -> LaunchSequence:
        steps = [m.step for m in self.messages]
        ordered = [s for s in LAUNCH_ORDER if s in steps]
        if ordered != list(LAUNCH_ORDER) or steps != sorted(steps, key=LAUNCH_ORDER.index):
            raise ValueError(f"开团消息应按 {list(LAUNCH_ORDER)} 的顺序齐全")
        return self


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
        yield from self.selling_points
        if self.calendar is not None:
            yield from self.calendar.posts
        yield from self.posters
        if self.livestream is not None:
            yield self.livestream
        if self.group_kit is not None:
            yield self.group_kit
        if self.launch is not None:
            yield self.launch

    def item(self, item_id: str) -> Item:
        for item in self.items():
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def poster_for(self, post_id: str) -> PosterCopy | None:
        return next((p for p in self.posters if p.post_id == post_id), None)

    def counts(self) -> dict[str, int]:
        """Items per kind, for summaries."""
        return {
            "卖点": len(self.selling_points),
            "帖子": len(self.calendar.posts) if self.calendar else 0,
            "海报文案": len(self.posters),
            "直播脚本": int(self.livestream is not None),
            "社群物料": int(self.group_kit is not None),
            "开团消息": len(self.launch.messages) if self.launch else 0,
            "失败任务": len(self.failures),
        }


# --- helpers shared by engines and checks ----------------------------------------------------

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def numbers_in(value: str) -> list[str]:
    """Digit runs in a text, as written (e.g. '39.9', '300')."""
    return _NUMBER.findall(value)


def canvas_numbers(canvas: Canvas) -> set[str]:
    """Every number the canvas gives anywhere (prices, stock, dates, specs, evidence...)."""
    found = set(numbers_in(canvas.model_dump_json()))
    for product in canvas.products:
        for price in (product.price, product.promo_price):
            if price is not None:
                found.add(format_price(price))
    return found


def format_price(value: Decimal) -> str:
    """39.90 → '39.9', 59.00 → '59'."""
    normalised = value.quantize(Decimal("0.01")).normalize()
    return f"{normalised:f}"


def iter_texts(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(field path, text) for every human-readable string inside a model; ids are skipped."""
    for name, value in model:
        if name in {"id", "findings", "product_id", "post_id", "time", "date"}:
            continue
        path = f"{prefix}{name}"
        yield from _texts_of(value, path)


def _texts_of(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, StrEnum):
        return
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, BaseModel):
        yield from iter_texts(value, f"{path}.")
    elif isinstance(value, list):
        for index, element in enumerate(value):
            yield from _texts_of(element, f"{path}[{index}]")


def product_for(canvas: Canvas, product_id: str | None) -> Product | None:
    if product_id is None:
        return None
    try:
        return canvas.product(product_id)
    except KeyError:
        return None
