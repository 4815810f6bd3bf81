"""The campaign canvas (活动画布): the six campaign elements as pydantic input models.

Read from TOML or JSON with `load_canvas`; every validation problem becomes a `CanvasError`
whose message is Chinese, names the field and says how to fix it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import stat
import tomllib
import unicodedata
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from pipelines.errors import CanvasError
from pipelines.textcheck import printable, unsafe_reason
from pipelines.validation_messages import describe_validation_error

HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
HexColor = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]


def _one_line(value: str) -> str:
    reason = unsafe_reason(value, multiline=False)
    if reason is not None:
        raise ValueError(reason)
    return value


def _free_text(value: str) -> str:
    reason = unsafe_reason(value, multiline=True)
    if reason is not None:
        raise ValueError(reason)
    return value


def _has_words(value: str) -> str:
    # Emoji and symbols are dropped from posters (no bundled font draws them): a name made of
    # nothing else would vanish from the very poster that headlines it.
    if value and not any(unicodedata.category(ch)[0] in "LN" for ch in value):
        raise ValueError("要有文字或数字：只有表情或符号的名称在海报上画不出来")
    return value


def _is_word(value: str) -> str:
    # The engines drop an avoided word from everything they write: digits or marks alone would
    # take the same characters out of every price and time ("1" turns 10:00 into 0:00).
    if not any(unicodedata.category(ch)[0] == "L" for ch in value):
        raise ValueError("要是词语：只有数字或符号的避免用词会把价格、时间里同样的字符也删掉")
    return value


def text(max_length: int, *, min_length: int = 1, multiline: bool = False) -> Any:
    """A stripped string type bounded in length (counted in characters, as people count Chinese),
    without control characters, bidi overrides or lone surrogates (line breaks only if
    `multiline`)."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_free_text if multiline else _one_line),
    ]


def name_text(max_length: int) -> Any:
    """A name: one line of text with at least one letter or digit."""
    return Annotated[text(max_length), AfterValidator(_has_words)]


Short = text(30)
Line = text(120)
Para = text(600, min_length=0, multiline=True)  # optional free text
OptLine = text(120, min_length=0)  # optional one-liner: "" means not given
OptShort = text(20, min_length=0)
Reference = Annotated[
    str, StringConstraints(max_length=300), AfterValidator(_one_line)
]  # path or link
# The posters' bullets say "收货有问题找{人设昵称}" in at most 16 characters.
SPEAKER_NAME_MAX = 10
FIRST_WEEK, LAST_WEEK = dt.date(2000, 1, 1), dt.date(2099, 12, 25)


class Channel(StrEnum):
    """Where a post goes out."""

    GROUP = "社群"
    MOMENTS = "朋友圈"
    XIAOHONGSHU = "小红书"
    LIVESTREAM = "直播间"


class Scene(StrEnum):
    COMMUNITY_GROUP_BUY = "社区团购群"
    STORE_MEMBER_GROUP = "门店会员群"
    MALL_GROUP = "商场社群"
    LIVESTREAM_ROOM = "直播间"
    MOMENTS = "朋友圈"
    XIAOHONGSHU_NOTE = "小红书笔记"
    FLASH_GROUP = "快闪群"


class ThemeKind(StrEnum):
    FESTIVAL = "节日"
    MEMBER_DAY = "会员日"
    CROSSOVER_IP = "跨界IP"
    CULTURE_IP = "文创IP"
    SPORTS_IP = "体育IP"
    NEW_STORE = "新店开业"
    BRAND_SALE = "品牌特卖"
    EVERYDAY = "日常运营"


class IPType(StrEnum):
    LEADER = "领袖型IP"
    GROUP_OWNER = "群主IP"
    TEAM_LEADER = "团队长IP"
    HOST = "主播IP"


WarmUpMethod = Literal["预约", "订金", "定金膨胀", "1元付", "加群", "倒计时", "预告", "订金抽奖"]
BurstMethod = Literal[
    "开团", "秒杀", "限时限量", "唱单", "战绩播报", "拼团", "满减", "优惠券", "套餐"
]
Trade = Literal[
    "生鲜食品", "烘焙甜品", "服装", "童装母婴", "美妆个护", "家电家居", "宠物用品", "茶酒饮品"
]
MemberTier = Literal["粉丝", "会员", "VIP"]
CustomerState = Literal["新客", "活跃", "沉睡"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Theme(_Model):
    name: name_text(30) = Field(title="主题名称")
    kind: ThemeKind = Field(ThemeKind.EVERYDAY, title="主题类型")
    description: Para = Field("", title="主题说明")


class Persona(_Model):
    name: name_text(20) = Field(title="人群名称")
    description: Para = Field("", title="人群描述")
    pain_points: list[Line] = Field(default_factory=list, max_length=8, title="痛点")
    tier: MemberTier = Field("会员", title="会员层级")
    state: CustomerState | None = Field(None, title="客户状态")


class Product(_Model):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")] | None = Field(
        None, title="商品编号"
    )
    name: name_text(30) = Field(title="商品名称")
    category: OptShort = Field("", title="品类")
    price: Decimal = Field(gt=0, max_digits=9, decimal_places=2, title="原价")
    promo_price: Decimal | None = Field(None, gt=0, max_digits=9, decimal_places=2, title="活动价")
    specs: OptLine = Field("", title="规格")
    features: list[Line] = Field(min_length=1, max_length=8, title="产品特点")
    benefits: list[OptLine] = Field(
        default_factory=list, max_length=8, title="益处", description="与产品特点逐条对应，可留空"
    )
    evidence: list[Line] = Field(default_factory=list, max_length=6, title="证据")
    stock: int | None = Field(None, ge=0, le=99_999_999, title="库存")
    service: OptLine = Field("", title="服务承诺")
    image: Reference | None = Field(
        None, title="商品图片", description="相对画布文件所在文件夹的路径，如 images/beef.png"
    )

    @model_validator(mode="after")
    def _benefits_line_up(self) -> Product:
        while self.benefits and not self.benefits[-1]:
            self.benefits.pop()  # a trailing gap says nothing
        if len(self.benefits) > len(self.features):
            raise ValueError(
                f"「{self.name}」的益处有 {len(self.benefits)} 条，比产品特点多：益处要和特点逐条对应"
            )
        return self

    @model_validator(mode="after")
    def _promo_not_above_price(self) -> Product:
        if self.promo_price is not None and self.promo_price > self.price:
            raise ValueError(
                f"活动价 {self.promo_price} 高于原价 {self.price}：活动价不能高于原价，请改低活动价或改高原价"
            )
        return self

    @property
    def offer_price(self) -> Decimal:
        """What the customer pays this week."""
        return self.promo_price if self.promo_price is not None else self.price


class Speaker(_Model):
    name: name_text(SPEAKER_NAME_MAX) = Field(title="人设昵称")
    ip_type: IPType = Field(IPType.GROUP_OWNER, title="IP类型")
    tone: Line = Field("亲切、真诚、像邻居一样说话", title="品牌语气")


class WarmUp(_Model):
    methods: list[WarmUpMethod] = Field(default_factory=lambda: ["预告", "加群"], title="预热方式")
    days_before: int = Field(1, ge=0, le=7, title="提前天数")
    notes: Para = Field("", title="预热说明")


class Burst(_Model):
    # No default mechanics: a flash sale runs only when the operator plans one.
    methods: list[BurstMethod] = Field(default_factory=list, title="引爆方式")
    flash_sale_times: list[HHMM] = Field(
        default_factory=list, max_length=6, title="秒杀时间", description="选了秒杀才用"
    )
    flash_sale_days: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=list, max_length=7, title="秒杀日", description="第几天有秒杀；空表示每天"
    )
    flash_sale_products: list[Short] = Field(
        default_factory=list,
        max_length=20,
        title="秒杀商品",
        description="参加秒杀的商品编号；空表示有活动价的商品轮流",
    )
    group_buy: bool = Field(False, title="是否开团")
    launch_day: int = Field(3, ge=1, le=7, title="开团/引爆日")
    launch_time: HHMM | None = Field(
        None, title="开团/引爆时间", description="不填时用第一个秒杀时间，再没有就是 10:00"
    )
    livestream_day: int | None = Field(None, ge=1, le=7, title="直播日")
    livestream_time: HHMM = Field("20:00", title="直播开始时间")
    livestream_minutes: int = Field(90, ge=30, le=240, title="直播时长（分钟）")
    service: OptLine = Field("", title="客服准备")
    notes: Para = Field("", title="引爆说明")


class Brand(_Model):
    name: name_text(30) = Field(title="品牌/门店名称")
    trade: Trade | None = Field(None, title="行业", description="不填时按商品品类推断")
    colors: list[HexColor] = Field(
        default_factory=lambda: ["#E4393C", "#FFF4E0"], min_length=1, max_length=4, title="品牌色"
    )
    logo: Reference | None = Field(
        None, title="Logo 图片", description="相对画布文件所在文件夹的路径，如 images/logo.png"
    )
    qr_link: Reference | None = Field(None, title="二维码链接")
    trademarks: list[Short] = Field(default_factory=list, max_length=10, title="注册商标")


class Canvas(_Model):
    """One campaign canvas: everything the week is generated from."""

    name: name_text(30) = Field(title="活动名称")
    week_start: dt.date = Field(title="周开始日期")
    theme: Theme = Field(title="IP主题")
    brand: Brand = Field(title="品牌")
    personas: list[Persona] = Field(min_length=1, max_length=5, title="目标人群")
    scenes: list[Scene] = Field(min_length=1, max_length=7, title="场景")
    channels: list[Channel] = Field(
        default_factory=lambda: [Channel.GROUP, Channel.MOMENTS], min_length=1, title="渠道"
    )
    speaker: Speaker = Field(title="发声人设")
    avoid_words: list[Annotated[text(20), AfterValidator(_is_word)]] = Field(
        default_factory=list, max_length=50, title="避免用词"
    )
    products: list[Product] = Field(min_length=1, max_length=20, title="商品")
    warmup: WarmUp = Field(default_factory=WarmUp, title="活动预热锁客")
    burst: Burst = Field(default_factory=Burst, title="活动引爆与客服")
    group_rules: list[Line] = Field(default_factory=list, max_length=12, title="群规")

    @field_validator("week_start")
    @classmethod
    def _sane_week(cls, value: dt.date) -> dt.date:
        if not FIRST_WEEK <= value <= LAST_WEEK:
            raise ValueError(
                f"{value} 不在可用范围内：请填 {FIRST_WEEK.year}–{LAST_WEEK.year} 年之间的日期"
            )
        return value

    @model_validator(mode="after")
    def _ids_and_consistency(self) -> Canvas:
        seen: set[str] = set()
        for index, product in enumerate(self.products, start=1):
            if product.id is None:
                product.id = f"p{index}"
            if product.id in seen:
                raise ValueError(f"商品编号「{product.id}」重复：每个商品的编号必须唯一")
            seen.add(product.id)
        names = [p.name for p in self.products]
        if len(set(names)) != len(names):
            raise ValueError("商品名称重复：同一周内每个商品名称必须唯一")
        unknown = [i for i in self.burst.flash_sale_products if i not in seen]
        if unknown:
            raise ValueError(
                f"秒杀商品里的编号 {unknown} 不在商品里：请填商品的编号（如 {next(iter(seen))}）"
            )
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("渠道重复：每个渠道只需填写一次")
        return self

    @model_validator(mode="after")
    def _names_survive_avoided_words(self) -> Canvas:
        # The engines cut avoided words out of what they write, the canvas's own words included;
        # a name made only of avoided words would be left blank on every post and poster.
        words = sorted(self.avoid_words, key=len, reverse=True)
        if not words:
            return self
        names = [
            ("活动名称", self.name),
            ("主题名称", self.theme.name),
            ("品牌/门店名称", self.brand.name),
            ("人设昵称", self.speaker.name),
            *((f"人群「{p.name}」的名称", p.name) for p in self.personas),
            *((f"商品「{p.name}」的名称", p.name) for p in self.products),
        ]
        for label, name in names:
            left = name
            for word in words:
                left = left.replace(word, "")
            if not any(unicodedata.category(ch)[0] in "LN" for ch in left):
                used = "、".join(f"「{w}」" for w in words if w in name)
                raise ValueError(
                    f"避免用词 {used} 会把{label}「{name}」整个删掉：请从避免用词里删去，或改名称"
                )
        return self

    @property
    def days(self) -> list[dt.date]:
        return [self.week_start + dt.timedelta(days=i) for i in range(7)]

    def product(self, product_id: str) -> Product:
        for product in self.products:
            if product.id == product_id:
                return product
        raise KeyError(product_id)

    def product_named(self, name: str) -> Product | None:
        return next((p for p in self.products if p.name == name), None)


# --- reading ----------------------------------------------------------------------------------


def parse_canvas(data: Any, *, source: str = "画布") -> Canvas:
    """Validate already-parsed data into a Canvas, raising CanvasError with Chinese lines."""
    if not isinstance(data, dict):
        raise CanvasError(f"{source}：内容应为一组字段（TOML 表或 JSON 对象）")
    try:
        return Canvas.model_validate(data)
    except ValidationError as exc:
        lines = describe_validation_error(Canvas, exc, data)
        raise CanvasError(
            f"{source} 有 {len(lines)} 处问题：\n" + "\n".join(f"- {x}" for x in lines)
        ) from None


MAX_CANVAS_CHARS = 1_000_000  # a real canvas is a few KB
MAX_DEPTH = 16  # a canvas nests four levels deep (canvas → products → product → features)
_TOML_AT = re.compile(r"at line (\d+), column (\d+)")


def read_canvas_data(raw: str, *, suffix: str, source: str = "画布") -> dict[str, Any]:
    """Parse TOML or JSON text (chosen by `suffix`) into plain data, before validation."""
    suffix = suffix.lower().lstrip(".")
    if suffix not in ("toml", "json"):
        raise CanvasError(f"{source}：不支持的文件类型 .{printable(suffix)}，请使用 .toml 或 .json")
    if len(raw) > MAX_CANVAS_CHARS:
        raise CanvasError(
            f"{source}：文件太大（{len(raw)} 个字符，最多 {MAX_CANVAS_CHARS}），不像一张画布"
        )
    try:
        data = tomllib.loads(raw) if suffix == "toml" else json.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        where = _TOML_AT.search(str(exc))
        at = f"第 {where[1]} 行第 {where[2]} 列附近" if where else "某处"
        raise CanvasError(f"{source}：TOML 格式错误（{at}），请检查引号、括号和等号") from None
    except json.JSONDecodeError as exc:
        raise CanvasError(
            f"{source}：JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列），"
            "请检查引号、逗号和括号"
        ) from None
    except (RecursionError, MemoryError):
        raise CanvasError(_too_deep(source)) from None
    if not isinstance(data, dict):
        raise CanvasError(f"{source}：内容应为一组字段（TOML 表或 JSON 对象）")
    if _depth(data) > MAX_DEPTH:
        raise CanvasError(_too_deep(source))
    return data


def _too_deep(source: str) -> str:
    return f"{source}：括号嵌套太深（最多 {MAX_DEPTH} 层），不像一张画布，请检查文件内容"


def _depth(data: Any) -> int:
    """How deeply lists and tables nest (iteratively: no recursion on hostile input)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return deepest


def read_canvas_text(raw: str, *, suffix: str, source: str = "画布") -> Canvas:
    """Parse TOML or JSON text (chosen by `suffix`) into a Canvas."""
    return parse_canvas(read_canvas_data(raw, suffix=suffix, source=source), source=source)


def load_canvas(path: str | Path) -> Canvas:
    """Read a canvas file (.toml or .json): a regular file, its size checked before reading."""
    path = Path(path)
    shown = printable(str(path))
    try:
        info = path.stat()
    except (OSError, ValueError):
        raise CanvasError(f"找不到画布文件：{shown}，请检查路径") from None
    if stat.S_ISDIR(info.st_mode):
        raise CanvasError(f"{shown} 是文件夹，不是画布文件：请给出其中的 .toml 或 .json 文件")
    if not stat.S_ISREG(info.st_mode):
        raise CanvasError(f"{shown} 不是普通文件（可能是设备或管道），不能作为画布读取")
    # Bytes are at most 4× the characters of UTF-8 text: refuse before reading what cannot fit.
    if info.st_size > 4 * MAX_CANVAS_CHARS:
        raise CanvasError(f"{printable(path.name)}：文件太大（{info.st_size} 字节），不像一张画布")
    try:
        with open(path, "rb") as handle:
            data = handle.read(4 * MAX_CANVAS_CHARS + 1)
    except OSError:
        raise CanvasError(f"画布文件 {shown} 无法读取：请检查文件权限") from None
    try:
        raw = data.decode("utf-8-sig")  # tolerate a BOM from Windows editors
    except UnicodeDecodeError:
        raise CanvasError(
            f"{printable(path.name)}：文件不是 UTF-8 编码的文本，请另存为 UTF-8"
        ) from None
    return read_canvas_text(raw, suffix=path.suffix, source=printable(path.name))


def canvas_schema() -> dict[str, Any]:
    """JSON Schema of the canvas, for editors and for `campaign-canvas schema canvas`."""
    return Canvas.model_json_schema()


def normalise_name(value: str) -> str:
    """A file-safe, readable slug of user text (never a path)."""
    cleaned = re.sub(r"[^\w\u4e00-\u9fff-]+", "-", value).strip("-")
    return cleaned[:40] or "canvas"
