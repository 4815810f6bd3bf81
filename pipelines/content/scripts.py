"""Livestream script, group kit and group-buy launch sequence: the spoken and standing texts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, model_validator

from pipelines.canvas import HHMM, Canvas
from pipelines.content.base import Item, _canvas, _Model, text

Speaker = Literal["主播", "副播", "场控"]
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
