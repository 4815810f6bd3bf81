"""FABE selling points of one product, from what its features mean (the trade's lexicon).

Advantage is what the attribute does; Benefit ties to a persona's pain point only when the two
share a tag, otherwise it is told for the persona's own situation; Evidence is the canvas line
that supports the feature, or nothing (and a note to the operator says what to add).
"""

from __future__ import annotations

import re

from pipelines.canvas import Channel, Persona, Product
from pipelines.content import ChannelVariant, Fabe, SellingPoints
from pipelines.content.evidence import assign_evidence
from pipelines.engines.template.common import Writer, clip
from pipelines.knowledge import operator_benefit
from pipelines.playbook.models import Attribute

_CLAUSE = re.compile(r"[，,；;]")


def split_feature(feature: str) -> tuple[str, str]:
    """「滴管设计，用量好控制」→ (滴管设计, 用量好控制): what it is, and what the operator says it
    does; a feature of one clause has no second part."""
    parts = [p.strip() for p in _CLAUSE.split(feature, maxsplit=1)]
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0], parts[1]
    return feature.strip(), ""


def audience(writer: Writer, product: Product) -> Persona:
    """The one persona a product's selling points speak to (by fit, else the first)."""
    return writer.facts.persona_of(product, 0)


def _attribute(writer: Writer, feature: str) -> Attribute | None:
    found = writer.facts.attributes(feature)
    return found[0] if found else None


def benefit_for(
    writer: Writer, product: Product, index: int, persona: Persona, neutral: bool = True
) -> str:
    """Feature `index`'s benefit told to `persona`: the operator's own, else the lexicon's gain
    (tied to this persona's pain point when they share a tag, else to its own situation), else a
    neutral line that asks the persona to weigh it against its own situation. A gain that names
    a season the week is not in is not used. With `neutral` false, '' instead of that line."""
    facts = writer.facts
    feature = product.features[index % len(product.features)]
    own = operator_benefit(product, index)
    if own:
        return clip(own, 160)
    values = facts.product_vars(product, index) | {
        "feature": clip(feature, 60),
        "persona": persona.name,
        "persona_scene": facts.persona_scene(persona),
    }
    attribute = _attribute(writer, feature)
    gain = writer.fill(attribute.gain, values) if attribute is not None else ""
    if gain and writer.allowed(attribute.gain, product):
        pain = next((p for p in persona.pain_points if any(t in p for t in attribute.tags)), None)
        if pain:
            return clip(f"「{clip(pain, 40)}」的{persona.name}：{gain}", 160)
        return clip(f"对{persona.name}来说，{gain}", 160)
    if not neutral:  # nothing known: copy says nothing rather than filler
        return ""
    frames = writer.clean(writer.playbook.selling.benefits)
    return clip(writer.fill(frames[index % len(frames)], values), 160)


def neutral_advantage(writer: Writer, product: Product, advantage: str) -> bool:
    """The Advantage is one of the playbook's neutral frames (nothing known about the feature):
    copy then says the feature alone rather than the frame."""
    values = writer.facts.product_vars(product)
    frames = writer.playbook.selling.advantages
    return any(clip(writer.fill(f, values), 120) == advantage for f in frames)


def fabe_items(writer: Writer, product: Product, persona: Persona | None = None) -> list[Fabe]:
    """Up to four FABE chains, one per feature, their benefits told to one persona (the
    product's audience unless given): a card never switches its reader between chains.

    Advantage is what the attribute does (the lexicon), else what the operator wrote after the
    feature (the feature then keeps its first clause), else a neutral frame: never the feature
    said again."""
    facts, guide = writer.facts, writer.playbook.selling
    persona = persona or audience(writer, product)
    neutral_a = writer.sample(guide.advantages, len(guide.advantages))
    features = product.features[:4]
    evidence = assign_evidence(features, product.evidence)
    items = []
    for index, feature in enumerate(features):
        attribute = _attribute(writer, feature)
        head, rest = split_feature(feature)
        values = facts.product_vars(product, index) | {
            "feature": clip(head, 60),
            "persona": persona.name,
            "persona_scene": facts.persona_scene(persona),
        }
        if attribute is not None and writer.allowed(attribute.does, product):
            shown, advantage = feature, writer.fill(attribute.does, values)
        elif rest:
            shown, advantage = head, rest
        else:
            shown, advantage = feature, writer.fill(neutral_a[index % len(neutral_a)], values)
        items.append(
            Fabe(
                feature=clip(shown, 80),
                advantage=clip(advantage, 120),
                benefit=benefit_for(writer, product, index, persona),
                evidence=clip(evidence[index], 160),
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
    voices = guide.channel_voices[channel]
    if chain.benefit == "-":  # nothing known to tell this persona: a voice without a benefit
        voices = [v for v in voices if "{benefit}" not in v] or voices
    body = writer.fill(writer.pick(voices, product), values)
    if chain.evidence:
        body += f"\n{chain.evidence}。"
    return facts.voice(clip(body, 380), len(product.name))


def selling_points(writer: Writer, product: Product, item_id: str) -> SellingPoints:
    facts, guide = writer.facts, writer.playbook.selling
    items = fabe_items(writer, product)
    lead = audience(writer, product)  # the persona the card's benefits speak to
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
            benefit = benefit_for(writer, product, index, persona, neutral=False)
            chain = items[index].model_copy(update={"benefit": benefit or "-"})
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
