"""Typed sections of the playbook. Each model mirrors one data file in this folder.

Phrase templates (`Phrase`) may only use the placeholders in `PLACEHOLDERS` and must not contain
digits: every number in generated text has to come from the canvas, never from the playbook.
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from pipelines.canvas import HHMM, BurstMethod, Channel, Trade, WarmUpMethod
from pipelines.content import (
    ACT_ORDER,
    LAUNCH_ORDER,
    ActName,
    Goal,
    LaunchStep,
    PosterKind,
    Speaker,
)

PLACEHOLDERS = frozenset(
    [
        "address",
        "advantage",
        "audience",
        "benefit",
        "brand",
        "category",
        "date",
        "evidence",
        "feature",
        "feature_b",
        "feature_hint",
        "first_time",
        "flash_schedule",
        "flash_times",
        "launch_date",
        "launch_line",
        "launch_time",
        "launch_weekday",
        "live_time",
        "live_weekday",
        "method",
        "next_product",
        "other_product",
        "pain",
        "persona",
        "persona_scene",
        "photo_brief",
        "care",
        "usage",
        "verb",
        "launch_when",
        "live_when",
        "warmup_notes",
        "burst_notes",
        "price_line",
        "price_summary",
        "product",
        "product_bullets",
        "product_list",
        "product_names",
        "products_today",
        "purpose",
        "purpose_desc",
        "question",
        "scene",
        "service",
        "service_summary",
        "speaker",
        "specs",
        "stock_line",
        "stock_summary",
        "theme",
        "theme_desc",
        "time",
        "tomorrow",
        "tomorrow_plan",
        "weekday",
    ]
)
_DIGIT = re.compile(r"\d")
PrivateTopic = Literal["产品介绍", "活动介绍", "服务保障"]


def _check_phrase(value: str) -> str:
    fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    unknown = sorted(fields - PLACEHOLDERS)
    if unknown:
        raise ValueError(f"说法「{value[:30]}」用了未知的占位符 {unknown}")
    if _DIGIT.search(value):
        raise ValueError(f"说法「{value[:30]}」含数字：数字只能来自画布，请改用占位符")
    return value


Phrase = Annotated[str, AfterValidator(_check_phrase)]
Phrases = Annotated[list[Phrase], Field(min_length=1)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- calendar.toml ---------------------------------------------------------------------------


class ActivityType(_Section):
    name: str
    description: str
    mall_only: bool = Field(False, description="商场社群专用的活动类型")


class ContentForm(_Section):
    name: str
    description: str
    channels: list[Channel]


class Slot(_Section):
    """One recurring slot of the day: when, where, in what form, for which goal."""

    key: str
    name: str
    times: list[HHMM] = Field(description="候选时间；为空时由画布决定（秒杀、直播、开团）")
    channel: Channel
    form: str
    activity_type: str
    goal: Goal
    purpose: str


class DayPurpose(_Section):
    """The one clear purpose of a day."""

    key: str = ""
    name: str
    goal: Goal
    description: str = Field(description="写给运营看的：这一天要做成什么")
    announce: Phrase = Field(description="写给群成员看的：早报里说的一句话")


class MomentsShare(_Section):
    """朋友圈 balance: one kind of persona post and its share of the week (percent)."""

    kind: str
    share: int = Field(gt=0, le=100)
    activity_type: str
    goal: Goal
    description: str


class Hook(_Section):
    name: str
    kind: Goal
    description: str


class LaunchPoint(_Section):
    step: LaunchStep
    title: str = Field(max_length=12, description="帖子标题里用的短名")
    offset: str
    purpose: str


class CalendarGuide(_Section):
    """一周社群内容规划：活动类型、内容形式、每日节奏、朋友圈配比、钩子、开团时间线。"""

    goals: list[Goal]
    activity_types: list[ActivityType]
    content_forms: list[ContentForm]
    daily_slots: list[Slot]
    day_purposes: list[DayPurpose] = Field(min_length=7)
    special_days: dict[str, DayPurpose]
    moments_balance: list[MomentsShare]
    hooks: list[Hook]
    launch_timeline: list[LaunchPoint]

    def slot(self, key: str) -> Slot:
        return next(s for s in self.daily_slots if s.key == key)


# --- selling.toml ----------------------------------------------------------------------------


class FabeStep(_Section):
    letter: str
    name: str
    meaning: str


class Method(_Section):
    name: str
    description: str


class SellingGuide(_Section):
    """卖点：来源、FABE 定义、其他卖点方法，以及组句用的说法。"""

    sources: list[str]
    worksheet: str
    fabe: list[FabeStep] = Field(min_length=4, max_length=4)
    methods: list[Method]
    advantages: Phrases
    benefits: Phrases
    scene_lines: Phrases
    channel_voices: dict[Channel, Phrases]


# --- posters.toml ----------------------------------------------------------------------------


class PosterKindGuide(_Section):
    kind: PosterKind
    purpose: str
    headline: str
    cta: list[Annotated[Phrase, Field(max_length=16)]] = Field(min_length=1)


class PosterSize(_Section):
    name: str
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    use: str


class PosterGuide(_Section):
    """海报：种类、尺寸、版面要素。"""

    elements: list[str]
    kinds: list[PosterKindGuide]
    sizes: list[PosterSize]

    def kind(self, kind: PosterKind) -> PosterKindGuide:
        return next(k for k in self.kinds if k.kind == kind)


# --- livestream.toml -------------------------------------------------------------------------


class LineTemplate(_Section):
    speaker: Speaker
    variants: Phrases


class BlockTemplate(_Section):
    """A block of the show; `weight` shares out the minutes of its act."""

    title: str
    weight: int = Field(1, ge=1)
    on_screen: Phrase
    interaction: Phrase = ""
    lines: list[LineTemplate] = Field(min_length=1)


class SegmentStep(BlockTemplate):
    key: str


class ActGuide(_Section):
    name: ActName
    weight: int = Field(ge=1, description="该幕在整场时长里的占比权重")
    purpose: str
    blocks: list[BlockTemplate] = Field(default_factory=list)


class Stage(_Section):
    name: str
    description: str


class ContingencyGuide(_Section):
    situation: str
    response: Phrase


class LivestreamGuide(_Section):
    """直播：周期、整场四幕、单品七步、应急预案、复盘指标。"""

    cycle: list[Stage]
    review_metrics: list[str] = Field(min_length=3)
    acts: list[ActGuide] = Field(min_length=4, max_length=4)
    segment_steps: list[SegmentStep] = Field(min_length=5)
    contingencies: list[ContingencyGuide] = Field(min_length=3)


# --- group_kit.toml --------------------------------------------------------------------------


class KeywordGuide(_Section):
    keyword: str = Field(max_length=12)
    reply: Phrases


class GroupKitGuide(_Section):
    """社群基础物料：写法要点和组句用的说法。"""

    guidance: dict[str, str]
    names: Phrases
    default_rules: Phrases
    welcome: Phrases
    announcement_intro: Phrases
    keyword_replies: list[KeywordGuide] = Field(min_length=3)
    product_reply: Phrases
    private_scripts: dict[PrivateTopic, Phrases]


# --- phrases.toml ----------------------------------------------------------------------------


class SlotPhrases(_Section):
    titles: Phrases
    openers: Phrases
    closings: Phrases
    bodies: list[Phrase] = Field(default_factory=list)
    evidence_frames: list[Phrase] = Field(default_factory=list)


class EveningPhrases(_Section):
    titles: Phrases
    last_titles: Phrases
    openers: Phrases
    recap: Phrases
    tomorrow: Phrases
    last_day: Phrases
    closings: Phrases


class MorningPhrases(_Section):
    titles: Phrases
    openers: Phrases
    purpose_lines: Phrases
    closings: Phrases


class Topic(_Section):
    """An interaction topic; each is used at most once a week."""

    key: str
    kind: str
    title: Phrase
    body: Phrase


class MomentTemplate(_Section):
    kind: str
    title: Phrase
    body: Phrase


class NoteTemplate(_Section):
    title: Phrase
    body: Phrase


class LivePhrases(_Section):
    preview_titles: Phrases
    preview_bodies: Phrases
    reminder_titles: Phrases
    reminder_bodies: Phrases
    room_titles: Phrases
    room_bodies: Phrases


class InvitePhrases(_Section):
    titles: Phrases
    bodies: Phrases


class GenericTrade(_Section):
    usage: Phrases
    care: Phrases
    photo_briefs: Phrases


class PhraseBank(_Section):
    """说法库：模板引擎按槽位组句；大模型引擎可以把它当作语气参考。"""

    morning: MorningPhrases
    seeding: SlotPhrases
    flash: SlotPhrases
    evening: EveningPhrases
    topics: list[Topic] = Field(min_length=7)
    moments: list[MomentTemplate]
    notes: list[NoteTemplate] = Field(min_length=7)
    warmup: dict[str, Annotated[list[Phrase], Field(min_length=2, max_length=2)]]
    warmup_labels: dict[str, Phrase]
    burst_lines: dict[str, Phrase]
    live: LivePhrases
    invite: InvitePhrases
    launch: dict[LaunchStep, Phrases]
    generic: GenericTrade
    topic_frames: Phrases = Field(description="行业话题的说法，{question} 是话题本身")
    plan_words: list[str] = Field(
        default_factory=list, description="运营说明里表示内部排期的词：含它的分句不发给顾客"
    )
    several_products: list[str] = Field(
        default_factory=list, description="只适合多个商品的说法；画布只有一个商品时不用"
    )


class Playbook(_Section):
    """The whole domain playbook, one section per data file."""

    calendar: CalendarGuide
    selling: SellingGuide
    posters: PosterGuide
    livestream: LivestreamGuide
    group_kit: GroupKitGuide
    phrases: PhraseBank
    honesty: HonestyGuide
    tones: ToneGuide
    trades: list[TradePack] = Field(min_length=1)

    def trade(self, key: str) -> TradePack:
        return next(t for t in self.trades if t.key == key)

    @model_validator(mode="after")
    def _sections_agree(self) -> Playbook:
        """Cross-file rules: every canvas option and every output step has its data."""
        problems: list[str] = []
        shares = sum(m.share for m in self.calendar.moments_balance)
        if shares != 100:
            problems.append(f"calendar.toml 的朋友圈配比合计应为 100，现在是 {shares}")
        kinds = {m.kind for m in self.calendar.moments_balance}
        if kinds != {m.kind for m in self.phrases.moments}:
            problems.append("phrases.toml 的朋友圈说法类别要和 calendar.toml 的朋友圈配比一一对应")
        for label, have, need in (
            ("phrases.toml 的预热说法", self.phrases.warmup, get_args(WarmUpMethod)),
            ("phrases.toml 的预热短名", self.phrases.warmup_labels, get_args(WarmUpMethod)),
            ("phrases.toml 的引爆说法", self.phrases.burst_lines, get_args(BurstMethod)),
            ("phrases.toml 的开团说法", self.phrases.launch, LAUNCH_ORDER),
            ("group_kit.toml 的私聊话术", self.group_kit.private_scripts, get_args(PrivateTopic)),
        ):
            missing = [k for k in need if k not in have]
            if missing:
                problems.append(f"{label}缺少：{missing}")
        if tuple(a.name for a in self.livestream.acts) != ACT_ORDER:
            problems.append(f"livestream.toml 的直播四幕应依次为 {list(ACT_ORDER)}")
        if tuple(p.step for p in self.calendar.launch_timeline) != LAUNCH_ORDER:
            problems.append(f"calendar.toml 的开团时间线应依次为 {list(LAUNCH_ORDER)}")
        needed = {"morning", "seeding", "flash", "topic", "moments", "note", "evening", "warmup"}
        missing_slots = needed - {s.key for s in self.calendar.daily_slots}
        if missing_slots:
            problems.append(f"calendar.toml 的每日节奏缺少槽位：{sorted(missing_slots)}")
        packs = [t.key for t in self.trades]
        if sorted(packs) != sorted(get_args(Trade)):
            problems.append(
                f"trades/ 的行业包应一行业一个，恰好是 {list(get_args(Trade))}，现在是 {packs}"
            )
        try:
            self.tones.profile(self.tones.default)
        except StopIteration:
            problems.append(f"tones.toml 的默认语气「{self.tones.default}」没有对应的档案")
        if problems:
            raise ValueError("；".join(problems))
        return self


# --- honesty.toml ----------------------------------------------------------------------------

_CONDITIONS = ("live", "stock", "group_buy")


def _check_backing(value: str) -> str:
    known = (*_CONDITIONS, *get_args(WarmUpMethod), *get_args(BurstMethod))
    if value not in known:
        raise ValueError(f"「{value}」不是画布选项：只能是预热/引爆方式，或 {list(_CONDITIONS)}")
    return value


class Mechanic(_Section):
    """A mechanic, gift, scarcity or proof claim that copy may make only when the canvas names it."""

    key: str
    words: list[str] = Field(min_length=1)
    backed_by: list[Annotated[str, AfterValidator(_check_backing)]]


class GroupRule(_Section):
    """A kind of group rule, and the calls to action that would ask members to break it."""

    key: str
    rule_words: list[str] = Field(min_length=1, description="群规里出现这些词，就是这一类群规")
    banned: list[str] = Field(min_length=1, description="这类群规下，文案不能这样号召")
    instead: dict[str, Phrase] = Field(
        default_factory=dict,
        description="固定句子里的这种号召换成守规矩的说法（{speaker} 是人设昵称）",
    )


class Season(_Section):
    """A season and the words that place a text in it (夏天、闷热…): said only in its months."""

    key: str
    months: list[Annotated[int, Field(ge=1, le=12)]] = Field(min_length=1)
    words: list[str] = Field(min_length=1)


class Form(_Section):
    """A product form (罐装, 按压泵, 滴管…): a line that presumes it (小勺挖取, 泵头, 挤一点) is
    said only of a product whose own fields (name, category, specs, features) signal it."""

    key: str
    signals: list[str] = Field(min_length=1, description="商品自己的字段里出现这些词，就是这种形态")
    presumes: list[str] = Field(min_length=1, description="说法里出现这些词，就预设了这种形态")


class HonestyGuide(_Section):
    """画布没给就不说：玩法、福利、稀缺、见证说法及支撑它们的画布选项。"""

    mechanics: list[Mechanic] = Field(min_length=1)
    group_rules: list[GroupRule] = Field(default_factory=list)
    seasons: list[Season] = Field(default_factory=list)
    forms: list[Form] = Field(default_factory=list)


# --- trades/*.toml ---------------------------------------------------------------------------


class Attribute(_Section):
    """A common attribute word of a trade and what it does, in our own words."""

    words: list[str] = Field(min_length=1, description="出现在商品特点里的属性词")
    does: Phrase = Field(description="作用：这个属性带来什么（不写功效承诺）")
    gain: Phrase = Field(description="益处：日常里得到什么")
    tags: list[str] = Field(default_factory=list, description="它回应的痛点关键词")


class TradeVoice(_Section):
    """A trade's own everyday wordings, so two trades' weeks do not read alike."""

    morning_openers: Annotated[list[Phrase], Field(min_length=8)]
    morning_closings: Annotated[list[Phrase], Field(min_length=8)]
    seeding_openers: Annotated[list[Phrase], Field(min_length=8)]
    seeding_closings: Annotated[list[Phrase], Field(min_length=8)]
    evening_openers: Annotated[list[Phrase], Field(min_length=8)]
    evening_recaps: Annotated[list[Phrase], Field(min_length=8)]
    evening_closings: Annotated[list[Phrase], Field(min_length=8)]
    live_lines: Annotated[list[Phrase], Field(min_length=12)]


class TradePack(_Section):
    """One trade's knowledge: how it speaks, when it posts, what its attribute words mean."""

    key: str
    name: str
    categories: list[str] = Field(min_length=1, description="品类或商品名里出现这些词就是这个行业")
    verb: str = Field(description="吃/喝/穿/用")
    usage: Phrases
    care: Phrases
    photo_briefs: Phrases
    topics: Phrases = Field(description="这个行业的群互动话题（不带奖励）")
    rhythm: str = Field(description="这个行业一周怎么发")
    times: dict[str, list[HHMM]] = Field(default_factory=dict, description="槽位时间（覆盖默认）")
    attributes: list[Attribute] = Field(min_length=10)
    voice: TradeVoice | None = None
    specific: list[str] = Field(
        default_factory=list,
        description="只适合这个行业里部分门店的词（茶/咖啡/酒、猫/狗）：画布里没出现就不用含它的说法",
    )
    contingencies: list[ContingencyGuide] = Field(
        default_factory=list, description="这个行业直播里常见的突发情况和应对"
    )


# --- tones.toml ------------------------------------------------------------------------------


class ToneProfile(_Section):
    """How a voice writes: address, punctuation, emoji, how hard it sells."""

    key: str
    keywords: list[str] = Field(description="画布语气里出现这些词就用这个语气")
    address: str = Field(description="称呼；空表示不称呼")
    exclaim: bool = Field(description="句末用感叹号")
    emoji: list[str] = Field(default_factory=list)
    sell: Literal["soft", "plain", "hard"]
    short: bool = Field(False, description="短句：只留每段的第一句")
    closings: Phrases = Field(description="这个语气的收尾句")


class ToneGuide(_Section):
    default: str
    profiles: list[ToneProfile] = Field(min_length=3)

    def profile(self, key: str) -> ToneProfile:
        return next(p for p in self.profiles if p.key == key)


Playbook.model_rebuild()
