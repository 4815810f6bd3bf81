"""Selling points, calendar posts and poster copy: the outputs people post."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, model_validator

from pipelines.canvas import HHMM, Canvas, Channel
from pipelines.content.base import Item, _canvas, _Model, text
from pipelines.content.evidence import CanvasEvidence, plain

Goal = Literal["拉新", "促活", "转化", "复购", "裂变"]


class PosterKind(StrEnum):
    PRODUCT = "产品海报"
    ACTIVITY = "活动海报"
    FISSION = "裂变海报"
    PREVIEW = "预告海报"
    RESULTS = "战绩海报"


# --- FABE selling points ---------------------------------------------------------------------


class Fabe(_Model):
    feature: text(80) = Field(description="属性：它是什么/有什么")
    advantage: text(120) = Field(description="作用：这带来什么，比替代品好在哪")
    benefit: text(160) = Field(description="益处：目标人群在场景里得到什么")
    evidence: text(160, 0) = Field(
        "", description="证据：原样引用画布里支撑这个特点的证据；画布没有就留空"
    )


class ChannelVariant(_Model):
    channel: Channel
    persona: text(20)
    body: text(400) = Field(description="该渠道、该人群的完整文案")


class FabeCard(Item):
    """The FABE card of one product: its selling points and a scene line, without the variants."""

    product_id: str
    product: text(30)
    fabe: list[Fabe] = Field(min_length=1, max_length=4)
    scene_line: text(200) = Field(description="场景还原：从人群在场景里的痛点说起")
    operator_notes: list[text(160)] = Field(
        default_factory=list,
        max_length=4,
        description="写给运营看的提醒（如：补充哪类证据），不对外发",
    )

    @model_validator(mode="after")
    def _evidence_from_canvas(self, info: ValidationInfo) -> FabeCard:
        canvas = _canvas(info)
        if canvas is not None:
            check_selling_points(self, canvas)
        return self


class SellingPoints(FabeCard):
    """FABE selling points of one product, a scene line, and per-channel variants."""

    variants: list[ChannelVariant] = Field(min_length=1, max_length=12)


def check_selling_points(points: FabeCard, canvas: Canvas) -> None:
    """Evidence quotes the canvas; a claim with figures the canvas does not back is invented."""
    try:
        product = canvas.product(points.product_id)
    except KeyError:
        raise ValueError(f"卖点指向不存在的商品编号「{points.product_id}」") from None
    backing = CanvasEvidence.of(canvas)
    for item in points.fabe:
        quoted = any(ev in item.evidence for ev in product.evidence)
        invented = backing.unbacked(plain(item.evidence))
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


def reviewable_items(output: BaseModel) -> list[Item]:
    """The reviewable items inside one task's output: a calendar's posts, else the output itself."""
    if isinstance(output, WeekCalendar):
        return list(output.posts)
    return [output] if isinstance(output, Item) else []
