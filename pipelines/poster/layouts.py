"""Poster layouts as data: one TOML file per visual style in assets/layouts/.

A layout has one variant per poster size. A variant declares a background colour, decorative
shapes and the boxes (role, rectangle, font, size range, alignment, colours) the copy goes into.
Colours are palette tokens (see `palette.py`) or #RRGGBB. A variant may drop roles that do not
fit its size (the 900×383 cover has no room for bullets or a QR code) by listing them in `drop`.
"""

from __future__ import annotations

import functools
import tomllib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipelines.canvas import describe_validation_error
from pipelines.content import PosterKind
from pipelines.errors import PosterError
from pipelines.poster.fonts import FONTS
from pipelines.resources import LAYOUT_DIR
from pipelines.textcheck import printable

SIZES: tuple[tuple[int, int], ...] = ((1080, 1920), (1080, 1440), (1080, 1080), (900, 383))
# Any other size is drawn at the closest variant and scaled, up to twice the largest side: neither
# a 0×0 nor a 100000×100000 request reaches Pillow.
MIN_SIDE = 200
MAX_SIDE = 2 * max(max(size) for size in SIZES)

Role = Literal[
    "headline", "subheadline", "bullets", "price", "urgency", "cta", "qr", "image", "brand"
]
REQUIRED_ROLES: tuple[str, ...] = (
    "headline",
    "subheadline",
    "bullets",
    "price",
    "urgency",
    "cta",
    "qr",
    "image",
    "brand",
)
ROLE_LABELS: dict[str, str] = {
    "headline": "主标题",
    "subheadline": "副标题",
    "bullets": "卖点",
    "price": "价格",
    "urgency": "时间/紧迫感",
    "cta": "行动号召",
    "qr": "二维码",
    "image": "商品图",
    "brand": "品牌",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Shape(_Model):
    """A decorative shape: rect/ellipse by x, y, w, h; line by x1, y1, x2, y2."""

    kind: Literal["rect", "ellipse", "line"]
    at: tuple[int, int, int, int]
    fill: str | None = None
    outline: str | None = None
    width: int = Field(0, ge=0)
    radius: int = Field(0, ge=0)


class Box(_Model):
    """Where one role of the copy goes: rectangle x, y, w, h in pixels of the variant's size."""

    role: Role
    at: tuple[int, int, int, int]
    font: str = "sans"
    size: tuple[int, int] = (24, 48)
    align: Literal["left", "center", "right"] = "left"
    valign: Literal["top", "middle", "bottom"] = "top"
    color: str = "ink"
    fill: str | None = None
    outline: str | None = None
    radius: int = Field(0, ge=0)
    padding: tuple[int, int] = (0, 0)
    max_lines: int = Field(2, ge=1, le=8)
    spacing: float = Field(1.25, ge=1.0, le=2.5)
    fit: Literal["cover", "contain"] = "cover"
    accent: str = "accent"

    @model_validator(mode="after")
    def _sane(self) -> Box:
        if self.font not in FONTS:
            raise ValueError(f"字体「{self.font}」不存在，可选：{', '.join(FONTS)}")
        if not 0 < self.size[0] <= self.size[1]:
            raise ValueError(f"字号范围 {list(self.size)} 应为 [最小, 最大]")
        return self

    @property
    def rect(self) -> tuple[int, int, int, int]:
        x, y, w, h = self.at
        return x, y, x + w, y + h

    @property
    def inner(self) -> tuple[int, int, int, int]:
        px, py = self.padding
        x0, y0, x1, y1 = self.rect
        return x0 + px, y0 + py, x1 - px, y1 - py


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class Variant(_Model):
    size: tuple[int, int]
    background: str = "light"
    shapes: tuple[Shape, ...] = ()
    boxes: tuple[Box, ...]
    drop: tuple[Role, ...] = ()

    @model_validator(mode="after")
    def _roles(self) -> Variant:
        roles = [b.role for b in self.boxes]
        repeated = sorted({r for r in roles if roles.count(r) > 1})
        if repeated:
            raise ValueError(f"角色重复：{repeated}")
        missing = [r for r in REQUIRED_ROLES if r not in roles and r not in self.drop]
        if missing:
            raise ValueError(f"缺少角色 {missing}（放不下的角色请写进 drop）")
        width, height = self.size
        for box in self.boxes:
            x0, y0, x1, y1 = box.rect
            if x0 < 0 or y0 < 0 or x1 > width or y1 > height or x1 <= x0 or y1 <= y0:
                raise ValueError(f"「{box.role}」框 {list(box.at)} 超出画面 {width}×{height}")
        for index, first in enumerate(self.boxes):
            for second in self.boxes[index + 1 :]:
                if _overlap(first.rect, second.rect):
                    raise ValueError(f"「{first.role}」框与「{second.role}」框重叠")
        return self

    def box(self, role: str) -> Box | None:
        return next((b for b in self.boxes if b.role == role), None)


class Layout(_Model):
    name: str
    title: str
    description: str = ""
    kinds: tuple[PosterKind, ...] = Field((), description="best suited poster kinds")
    variants: tuple[Variant, ...]

    @model_validator(mode="after")
    def _all_sizes(self) -> Layout:
        have = {v.size for v in self.variants}
        missing = [f"{w}×{h}" for w, h in SIZES if (w, h) not in have]
        if missing:
            raise ValueError(f"缺少尺寸 {missing}")
        return self

    def variant(self, size: tuple[int, int]) -> Variant:
        """The variant made for `size`, or the one with the closest aspect ratio."""
        for variant in self.variants:
            if variant.size == size:
                return variant
        ratio = size[0] / size[1]
        return min(self.variants, key=lambda v: abs(v.size[0] / v.size[1] - ratio))


def check_size(size: tuple[int, int]) -> tuple[int, int]:
    """`size` if the layouts can serve it (each side MIN_SIDE–MAX_SIDE px), else `PosterError`."""
    width, height = size
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise PosterError(
            f"海报尺寸 {width}×{height} 不可用：宽和高都要在 {MIN_SIDE}–{MAX_SIDE} 像素之间"
            f"（常用尺寸：{'、'.join(f'{w}x{h}' for w, h in SIZES)}）"
        )
    return size


def list_layouts() -> list[str]:
    """Names of the bundled layouts (one per visual style), sorted."""
    return sorted(path.stem for path in LAYOUT_DIR.glob("*.toml"))


@functools.cache
def load_layout(name: str) -> Layout:
    """Read and validate `assets/layouts/<name>.toml` (cached)."""
    names = list_layouts()
    if name not in names:
        raise PosterError(
            f"没有名为「{printable(name)}」的海报版式，可选：{'、'.join(names) or '（无）'}"
        )
    path = LAYOUT_DIR / f"{name}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PosterError(f"版式文件 {path.name} 格式错误：{exc}") from None
    try:
        return Layout.model_validate({"name": name, **data})
    except ValidationError as exc:
        lines = "\n".join(f"- {line}" for line in describe_validation_error(Layout, exc))
        raise PosterError(f"版式文件 {path.name} 有问题：\n{lines}") from None
