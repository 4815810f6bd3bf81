"""FABE selling points of one product: one FABE per feature, a scene line, channel variants."""

from __future__ import annotations

from pipelines.canvas import Product
from pipelines.content import ChannelVariant, Fabe, SellingPoints
from pipelines.engines.template.common import Writer, clip


def fabe_items(writer: Writer, product: Product) -> list[Fabe]:
    """Up to four FABE chains. Evidence quotes the canvas, or names a demonstration."""
    facts, guide = writer.facts, writer.playbook.selling
    demos = writer.sample(guide.demonstrations, len(guide.demonstrations))
    # Draw wordings without replacement so two chains of one product never read alike.
    advantages = writer.sample(guide.advantages, len(guide.advantages))
    benefits = writer.sample(guide.benefits, len(guide.benefits))
    items = []
    for index, feature in enumerate(product.features[:4]):
        persona = facts.persona_for(index)
        values = facts.product_vars(product, index) | {
            "persona": persona.name,
            "pain": writer.pick(facts.pains(persona)),
        }
        if product.evidence:
            evidence = product.evidence[index % len(product.evidence)]
        else:
            evidence = demos[index % len(demos)]
        items.append(
            Fabe(
                feature=clip(feature, 80),
                advantage=clip(writer.fill(advantages[index % len(advantages)], values), 120),
                benefit=clip(writer.fill(benefits[index % len(benefits)], values), 160),
                evidence=clip(evidence, 160),
            )
        )
    return items


def selling_points(writer: Writer, product: Product, item_id: str) -> SellingPoints:
    facts, guide = writer.facts, writer.playbook.selling
    items = fabe_items(writer, product)
    lead = facts.persona_for(0)
    scene_values = facts.product_vars(product) | {
        "persona": lead.name,
        "pain": writer.pick(facts.pains(lead)),
    }
    scene = clip(writer.say(guide.scene_lines, scene_values), 200)
    channels = writer.canvas.channels
    per_channel = max(1, 12 // len(channels))
    variants = []
    for c_index, channel in enumerate(channels):
        for p_index, persona in enumerate(writer.canvas.personas[:per_channel]):
            index = (c_index + p_index) % len(items)
            chain = items[index]
            # Scene and benefit are told for this variant's persona, in its own pain point.
            values = facts.product_vars(product, index) | {
                "persona": persona.name,
                "pain": writer.pick(facts.pains(persona)),
                "advantage": chain.advantage,
                "evidence": chain.evidence,
            }
            values["scene"] = clip(writer.say(guide.scene_lines, values), 200)
            values["benefit"] = writer.say(guide.benefits, values)
            body = writer.say(guide.channel_voices[channel], values)
            variants.append(
                ChannelVariant(channel=channel, persona=persona.name, body=clip(body, 400))
            )
    return SellingPoints(
        id=item_id,
        product_id=product.id or "",
        product=product.name,
        fabe=items,
        scene_line=scene,
        variants=variants,
    )
