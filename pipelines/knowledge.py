"""What the playbook knows about one canvas: its trade, its voice, the meaning of its features.

Both engines read these: the template engine writes with them, the LLM engine puts them in its
prompts. Everything here is a lookup in data (playbook/trades/*.toml, playbook/tones.toml).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

from pipelines.canvas import Canvas, IPType, Persona, Product
from pipelines.playbook import Playbook
from pipelines.playbook.models import Attribute, GroupRule, ToneProfile, TradePack

_BY_IP_TYPE = {IPType.HOST: "热情", IPType.LEADER: "专业", IPType.TEAM_LEADER: "邻里"}
_SENTENCE_END = re.compile(r"(?<=[。！？!?])")


def trade_of_product(product: Product, playbook: Playbook) -> TradePack | None:
    """The trade a product belongs to, by its category first, then by its name."""
    for text in (product.category, product.name):
        for pack in playbook.trades:
            if text and any(word in text for word in pack.categories):
                return pack
    return None


def trade_for(canvas: Canvas, playbook: Playbook) -> TradePack | None:
    """The store's trade: the canvas says so, or most of its products do."""
    if canvas.brand.trade is not None:
        return playbook.trade(canvas.brand.trade)
    votes = Counter(
        pack.key
        for product in canvas.products
        if (pack := trade_of_product(product, playbook)) is not None
    )
    return playbook.trade(votes.most_common(1)[0][0]) if votes else None


def tone_for(canvas: Canvas, playbook: Playbook) -> ToneProfile:
    """The voice profile a free-text tone maps onto (keywords), else by IP type, else default."""
    guide = playbook.tones
    tone = canvas.speaker.tone
    scored = [(sum(word in tone for word in p.keywords), i) for i, p in enumerate(guide.profiles)]
    best, index = max(scored, key=lambda s: (s[0], -s[1]))
    if best:
        return guide.profiles[index]
    return guide.profile(_BY_IP_TYPE.get(canvas.speaker.ip_type, guide.default))


def foreign_words(canvas: Canvas, pack: TradePack | None) -> list[str]:
    """The trade's store-specific words (茶/咖啡/酒, 猫/狗) this canvas never uses itself."""
    if pack is None:
        return []
    data = canvas.model_dump(mode="json", exclude={"avoid_words": True, "brand": {"trade"}})
    own = json.dumps(data, ensure_ascii=False)
    return [word for word in pack.specific if word not in own]


def group_rule_words(canvas: Canvas, rules: list[GroupRule]) -> list[str]:
    """Calls to action the canvas's own group rules forbid (never ask members to break them)."""
    written = "".join(canvas.group_rules)
    return [w for rule in rules if any(k in written for k in rule.rule_words) for w in rule.banned]


def group_rule_rewrites(canvas: Canvas, rules: list[GroupRule]) -> list[tuple[str, str]]:
    """(call to action, the rule-abiding one) for the group rules this canvas has."""
    written = "".join(canvas.group_rules)
    speaker = canvas.speaker.name
    return [
        (old, new.format(speaker=speaker))
        for rule in rules
        if any(k in written for k in rule.rule_words)
        for old, new in rule.instead.items()
    ]


def attributes_in(feature: str, pack: TradePack | None) -> list[Attribute]:
    """The lexicon attributes a feature line mentions, longest word first."""
    if pack is None:
        return []
    found = [(n, a) for n, a in ((_longest(feature, a), a) for a in pack.attributes) if n]
    return [a for _, a in sorted(found, key=lambda x: -x[0])]


def _longest(feature: str, attribute: Attribute) -> int:
    return max((len(w) for w in attribute.words if w in feature), default=0)


@dataclass(frozen=True)
class Match:
    """A persona's pain point answered by an attribute (shared tags), if any."""

    persona: Persona
    pain: str | None


def matching_pain(attribute: Attribute | None, personas: list[Persona]) -> Match | None:
    """The first persona pain point that shares a tag with the attribute."""
    if attribute is None or not attribute.tags:
        return None
    for persona in personas:
        for pain in persona.pain_points:
            if any(tag in pain for tag in attribute.tags):
                return Match(persona, pain)
    return None


def persona_for_product(
    product: Product, personas: list[Persona], pack: TradePack | None, turn: int = 0
) -> Persona:
    """The persona this product speaks to: the one whose pain points its attributes answer, or
    whose own words it shares (猫 with a cat owner); by turn when nothing tells them apart."""
    attributes = [a for f in product.features for a in attributes_in(f, pack)]
    words = _bigrams(" ".join([product.name, product.category, *product.features]))

    def score(persona: Persona) -> int:
        pains = " ".join(persona.pain_points)
        tags = sum(2 for a in attributes for t in a.tags if t in pains)
        about = " ".join([persona.name, persona.description, pains])
        return tags + len(words & _bigrams(about))

    scores = [score(p) for p in personas]
    best = max(scores)
    if best == 0:
        return personas[turn % len(personas)]
    tied = [p for p, s in zip(personas, scores, strict=True) if s == best]
    return tied[turn % len(tied)]


def operator_benefit(product: Product, feature_index: int) -> str:
    """The benefit the operator wrote for this feature ('' when none)."""
    if feature_index < len(product.benefits):
        return product.benefits[feature_index].strip()
    return ""


def evidence_for(feature: str, product: Product) -> str:
    """The canvas evidence line that supports this feature (shared words), or ''."""
    best, score = "", 0
    for line in product.evidence:
        shared = _bigrams(line) & _bigrams(feature)
        if len(shared) > score:
            best, score = line, len(shared)
    return best


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"[\s，。、；：,.;:！？!?（）()]", "", text)
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def voice(text: str, tone: ToneProfile, index: int = 0) -> str:
    """Apply a tone to composed text: address, sentence length, punctuation, emoji."""
    lines = []
    for line in text.split("\n"):
        if tone.short and not line.startswith(("·", "#", "【")):
            sentences = [s for s in _SENTENCE_END.split(line) if s]
            line = "".join(sentences[:2])  # at most two sentences a line
        if tone.exclaim:
            line = re.sub(r"。(?=$|\n)", "！", line)
        else:
            line = line.replace("！", "。").replace("!!", "。")
        lines.append(line)
    out = "\n".join(lines)
    if tone.emoji and out:
        out += tone.emoji[index % len(tone.emoji)]
    return out
