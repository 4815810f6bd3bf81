"""The live script in small parts: the run-of-show is planned here, the model writes each block.

The minutes of every act, product segment and step are shared out the way the template engine
does it (`share`), so the model never adds up minutes. One call writes the frame (title,
contingencies, review metrics); one call writes each block of the framing acts and each step of
each product segment. The climax act tells the segments, as the template engine's does.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from pipelines.canvas import Canvas
from pipelines.content import Act, Block, Contingency, LivestreamScript, ProductSegment, ScriptLine
from pipelines.content.base import format_price, text
from pipelines.engines.template.livestream import share
from pipelines.playbook import load_playbook

_MAX_BLOCK = 60  # minutes a block may last (the output model's limit)
CLIMAX = "高潮"


class LiveFrame(BaseModel):
    """What one call writes around the show."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: text(40)
    contingencies: list[Contingency] = Field(min_length=3)
    review_metrics: list[text(20)] = Field(min_length=3)


class BlockWords(BaseModel):
    """What one call writes for one planned block: the screen, the interaction, the words."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    on_screen: text(80)
    interaction: text(40, 0) = ""
    lines: list[ScriptLine] = Field(min_length=1)


@dataclass(frozen=True)
class PlannedBlock:
    """One block to write: in an act (`act`) or a product's segment (`product_id`)."""

    key: str  # "开场/0", "p1/2": stable, for the request and the logs
    title: str
    minutes: int
    purpose: str
    act: str | None = None
    product_id: str | None = None

    def facts(self) -> dict[str, object]:
        return {
            "part": self.key,
            "act": self.act,
            "product_id": self.product_id,
            "title": self.title,
            "minutes": self.minutes,
            "purpose": self.purpose,
        }


def frame_part(canvas: Canvas) -> PlannedBlock:
    """The frame's part: not a block of the show, but asked for like one."""
    return PlannedBlock(
        key="frame",
        title="整场框架",
        minutes=canvas.burst.livestream_minutes,
        purpose="整场的标题、应急预案和复盘指标",
    )


def plan_blocks(canvas: Canvas) -> list[PlannedBlock]:
    """Every block of the show that the model writes, in the script's order."""
    guide = load_playbook().livestream
    products, total = canvas.products, canvas.burst.livestream_minutes
    framing = [a for a in guide.acts if a.blocks]
    step_floor = len(guide.segment_steps) * len(products)
    framing_floor = sum(len(a.blocks) for a in framing)
    named = dict(
        zip((a.name for a in guide.acts), share(total, [a.weight for a in guide.acts]), strict=True)
    )
    climax = named[CLIMAX]
    if climax < step_floor:  # many products: squeeze the framing acts to their floor first
        climax = max(step_floor, total - framing_floor)
        rest = share(max(total - climax, framing_floor), [a.weight for a in framing])
        named |= dict(zip((a.name for a in framing), rest, strict=True))
    planned = []
    for act in framing:
        minutes = share(named[act.name], [b.weight for b in act.blocks])
        for index, (block, m) in enumerate(zip(act.blocks, minutes, strict=True)):
            for part, piece in enumerate(_split(m)):
                planned.append(
                    PlannedBlock(
                        key=f"{act.name}/{index}{f'.{part}' if part else ''}",
                        title=block.title + ("（续）" if part else ""),
                        minutes=piece,
                        purpose=act.purpose,
                        act=act.name,
                    )
                )
    per_product = share(climax, [1] * len(products), minimum=len(guide.segment_steps))
    for product, minutes in zip(products, per_product, strict=True):
        steps = share(minutes, [s.weight for s in guide.segment_steps])
        for index, (step, m) in enumerate(zip(guide.segment_steps, steps, strict=True)):
            planned.append(
                PlannedBlock(
                    key=f"{product.id}/{index}",
                    title=step.title,
                    minutes=min(m, _MAX_BLOCK),
                    purpose=f"单品脚本第 {index + 1} 步「{step.title}」",
                    product_id=product.id,
                )
            )
    return planned


def _split(minutes: int) -> list[int]:
    count = -(-minutes // _MAX_BLOCK)
    return share(minutes, [1] * count)


def assemble(
    canvas: Canvas,
    item_id: str,
    frame: LiveFrame,
    written: list[tuple[PlannedBlock, BlockWords]],
) -> LivestreamScript:
    """The whole script from its planned blocks and their words (validated with the canvas)."""
    guide = load_playbook().livestream

    def block(plan: PlannedBlock, words: BlockWords) -> Block:
        return Block(title=plan.title, minutes=plan.minutes, **words.model_dump())

    segments = []
    climax_blocks = []
    for product in canvas.products:
        steps = [block(p, w) for p, w in written if p.product_id == product.id]
        segments.append(ProductSegment(product_id=product.id, product=product.name, steps=steps))
        minutes = sum(s.minutes for s in steps)
        hook, close = steps[0], steps[min(4, len(steps) - 1)]
        price = f"{format_price(product.offer_price)}元"
        for part, m in enumerate(_split(minutes)):
            climax_blocks.append(
                Block(
                    title=f"单品讲解：{product.name}"[:28] + ("（续）" if part else ""),
                    minutes=m,
                    on_screen=f"{product.name}实物与价格卡：{price}"[:80],
                    interaction=hook.interaction if not part else close.interaction,
                    lines=[*hook.lines, *close.lines] if not part else close.lines,
                )
            )
    acts = []
    for act in guide.acts:
        if act.name == CLIMAX:
            acts.append(Act(name=act.name, blocks=climax_blocks))
        else:
            acts.append(
                Act(name=act.name, blocks=[block(p, w) for p, w in written if p.act == act.name])
            )
    data = {
        "id": item_id,
        "title": frame.title,
        "start_time": canvas.burst.livestream_time,
        "acts": [a.model_dump() for a in acts],
        "segments": [s.model_dump() for s in segments],
        "contingencies": [c.model_dump() for c in frame.contingencies],
        "review_metrics": frame.review_metrics,
    }
    return LivestreamScript.model_validate(data, context={"canvas": canvas})
