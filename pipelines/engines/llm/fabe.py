"""FABE selling points in parallel parts: the card in one call, each channel's variants in another.

A product's variants (one per channel and persona) are most of its selling points' words; asked in
one answer they made the FABE call the longest on the week's critical path (FABE → post → poster
copy; FABE → a live block). The card (FABE chains, scene line, notes) and each channel's variants
depend only on the canvas, so they are asked side by side and put together here; the channel of a
variant is the part's, never the model's choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from pipelines.canvas import Canvas, Channel
from pipelines.content import FabeCard, Item, SellingPoints
from pipelines.content.base import text

CARD_BUDGET = 800  # tokens: the longest card the template engine writes is ~300
CHANNEL_BUDGET = 700  # tokens: one channel's copy, a variant per persona (~65 each written)


class PersonaCopy(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    persona: text(20)
    body: text(400) = Field(description="该渠道、该人群的完整文案")


class ChannelCopy(Item):
    """What one call writes for one channel: a variant per persona."""

    product_id: str
    product: text(30)
    variants: list[PersonaCopy] = Field(min_length=1, max_length=12)


@dataclass(frozen=True)
class FabePart:
    """One call's share of a product's selling points: the card (no channel), or one channel
    with the personas its variants speak to."""

    channel: Channel | None = None
    personas: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return "card" if self.channel is None else f"variants/{self.channel.value}"

    def facts(self) -> dict[str, object]:
        return {
            "part": self.key,
            "write": "card" if self.channel is None else "variants",
            "channel": self.channel.value if self.channel else None,
            "personas": list(self.personas),
        }


def plan_parts(canvas: Canvas) -> list[FabePart]:
    """The card first, then one part per channel of the canvas, in the canvas's order; each
    channel speaks to as many personas as keep the product within 12 variants, as the template
    engine's do."""
    per_channel = max(1, 12 // len(canvas.channels))
    personas = tuple(p.name for p in canvas.personas[:per_channel])
    return [FabePart(), *(FabePart(channel, personas) for channel in canvas.channels)]


def assemble(
    canvas: Canvas, card: FabeCard, written: list[tuple[FabePart, ChannelCopy]]
) -> SellingPoints:
    """The product's selling points from its card and its channels' copy (checked whole)."""
    variants = [
        {"channel": part.channel.value, **copy.model_dump()}
        for part, channel_copy in written
        for copy in channel_copy.variants
    ]
    data = card.model_dump(mode="json", exclude={"findings"}) | {"variants": variants}
    return SellingPoints.model_validate(data, context={"canvas": canvas})
