"""The poster palette, derived from the canvas's brand colours.

Layouts name colours by role (`primary`, `light`, `accent`, `ink`...) so one layout works for
every brand. `brand.colors[0]` is the primary colour, `[1]` the light background colour and
`[2]`, if given, the accent for prices; otherwise the accent is a price red, or deep orange
when the brand itself is red. The accent is darkened until it reads on white.
"""

from __future__ import annotations

import colorsys
import functools
import re

from pipelines.errors import PosterError

RGB = tuple[int, int, int]
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


def hex_rgb(value: str) -> RGB:
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """`t` of the way from `a` to `b`."""
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def luminance(c: RGB) -> float:
    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in c)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)


@functools.cache
def palette(colors: tuple[str, ...]) -> dict[str, RGB]:
    """Named colours for layouts, from the brand's #RRGGBB list."""
    primary = hex_rgb(colors[0])
    light = hex_rgb(colors[1]) if len(colors) > 1 else mix(primary, WHITE, 0.9)
    if contrast(primary, light) < 2.5:  # a light colour that is not light enough to read on
        light = mix(primary, WHITE, 0.92)
    hue, _, saturation = colorsys.rgb_to_hls(*(v / 255 for v in primary))
    red_brand = (hue < 0.03 or hue > 0.97) and saturation > 0.4
    accent = hex_rgb(colors[2]) if len(colors) > 2 else (230, 81, 0) if red_brand else (228, 57, 60)
    while contrast(accent, WHITE) < 3.0:  # prices are read on white cards: keep them legible
        accent = mix(accent, BLACK, 0.1)
    ink = mix(primary, BLACK, 0.78)
    primary_ink = primary  # the brand colour as text on white: darkened until it reads
    while contrast(primary_ink, WHITE) < 4.5:
        primary_ink = mix(primary_ink, BLACK, 0.1)
    on_primary = WHITE if contrast(primary, WHITE) >= contrast(primary, ink) else ink
    on_accent = WHITE if contrast(accent, WHITE) >= 3 else ink
    return {
        "primary": primary,
        "primary-dark": mix(primary, BLACK, 0.35),
        "primary-soft": mix(primary, WHITE, 0.82),
        "primary-ink": primary_ink,
        "light": light,
        "light-deep": mix(light, primary, 0.12),
        "accent": accent,
        "accent-soft": mix(accent, WHITE, 0.85),
        "ink": ink,
        "muted": mix(ink, light, 0.45),
        "white": WHITE,
        "paper": (250, 247, 240),
        "on-primary": on_primary,
        "on-accent": on_accent,
    }


def resolve(token: str, colours: dict[str, RGB]) -> RGB:
    """A palette token or a literal #RRGGBB."""
    if token in colours:
        return colours[token]
    if _HEX.match(token):
        return hex_rgb(token)
    raise PosterError(f"版式里的颜色「{token}」无效：应为 {', '.join(colours)} 之一或 #RRGGBB")
