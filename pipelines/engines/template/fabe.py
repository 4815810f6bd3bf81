"""FABE selling points of one product, from what its features mean (the trade's lexicon).

Advantage is what the attribute does; Benefit ties to a persona's pain point only when the two
share a tag, otherwise it is told for the persona's own situation; Evidence is the canvas line
that supports the feature, or nothing (and a note to the operator says what to add).
"""

from __future__ import annotations

from pipelines.canvas import Channel, Product
from pipelines.content import ChannelVariant, Fabe, SellingPoints
from pipelines.engines.template.common import Writer, clip
from pipelines.knowledge import (
    attributes_in,
    evidence_for,
    matching_pain,
    operator_benefit,
    persona_for_product,
)


def fabe_items(writer: Writer, product: Product) -> list[Fabe]:
    """Up to four FABE chains, one per feature."""
    facts, guide = writer.facts, writer.playbook.selling
    personas = writer.canvas.personas
    neutral_a = writer.sample(guide.advantages, len(guide.advantages))
    neutral_b = writer.sample(guide.benefits, len(guide.benefits))
    items = []
    for index, feature in enumerate(product.features[:4]):
        found = attributes_in(feature, facts.trade)
        attribute = found[0] if found else None
        match = matching_pain(attribute, personas)
        persona = (
            match.persona if match else persona_for_product(product, personas, facts.trade, index)
        )
        values = facts.product_vars(product, index) | {
            "feature": clip(feature, 60),
            "persona": persona.name,
            "persona_scene": facts.persona_scene(persona),
        }
        if attribute is not None:
            advantage = writer.fill(attribute.does, values)
        else:
            advantage = writer.fill(neutral_a[index % len(neutral_a)], values)
        benefit = operator_benefit(product, index)
        if not benefit and match is not None and attribute is not None:
            benefit = (
                f"「{clip(match.pain, 40)}」的{persona.name}：{writer.fill(attribute.gain, values)}"
            )
        elif not benefit and attribute is not None:
            benefit = f"对{persona.name}来说，{writer.fill(attribute.gain, values)}"
        elif not benefit:
            benefit = writer.fill(neutral_b[index % len(neutral_b)], values)
        items.append(
            Fabe(
                feature=clip(feature, 80),
                advantage=clip(advantage, 120),
                benefit=clip(benefit, 160),
                evidence=clip(evidence_for(feature, product), 160),
            )
        )
    return items


def operator_notes(product: Product, items: list[Fabe]) -> list[str]:
    """What the operator could add so the copy can say more (never shown to customers)."""
    notes = []
    if not product.evidence:
        notes.append(
            f"「{product.name}」没有填证据：可补充检测报告、吊牌/配料表、质检证明或门店实拍，有了才会写进文案"
        )
    elif any(not item.evidence for item in items):
        notes.append(f"「{product.name}」有的特点没有对应证据，文案里这些特点只陈述、不举证")
    return notes


def _variant_body(writer: Writer, channel: Channel, product: Product, chain: Fabe, values) -> str:
    facts, guide = writer.facts, writer.playbook.selling
    body = writer.say(guide.channel_voices[channel], values)
    if chain.evidence:
        body += f"\n{chain.evidence}。"
    return facts.voice(clip(body, 380), len(product.name))


def selling_points(writer: Writer, product: Product, item_id: str) -> SellingPoints:
    facts, guide = writer.facts, writer.playbook.selling
    items = fabe_items(writer, product)
    lead = writer.canvas.personas[0]
    scene_values = facts.product_vars(product) | {
        "persona": lead.name,
        "persona_scene": facts.persona_scene(lead),
    }
    scene = clip(writer.say(guide.scene_lines, scene_values), 200)
    channels = writer.canvas.channels
    per_channel = max(1, 12 // len(channels))
    variants = []
    for c_index, channel in enumerate(channels):
        for p_index, persona in enumerate(writer.canvas.personas[:per_channel]):
            index = (c_index + p_index) % len(items)
            chain = items[index]
            values = facts.product_vars(product, index) | {
                "persona": persona.name,
                "persona_scene": facts.persona_scene(persona),
                "feature": chain.feature,
                "advantage": chain.advantage,
                "benefit": chain.benefit,
            }
            body = _variant_body(writer, channel, product, chain, values)
            variants.append(ChannelVariant(channel=channel, persona=persona.name, body=body))
    return SellingPoints(
        id=item_id,
        product_id=product.id or "",
        product=product.name,
        fabe=items,
        scene_line=scene,
        variants=variants,
        operator_notes=operator_notes(product, items),
    )
