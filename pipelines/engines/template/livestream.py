"""The livestream run-of-show: four acts, one seven-step segment per product, contingencies."""

from __future__ import annotations

from pipelines.content import (
    Act,
    Block,
    Contingency,
    Fabe,
    LivestreamScript,
    ProductSegment,
    ScriptLine,
    SellingPoints,
)
from pipelines.engines.template.common import Writer, _pairs, clip
from pipelines.engines.template.fabe import benefit_for, fabe_items, neutral_advantage
from pipelines.playbook.models import BlockTemplate

_MAX_BLOCK = 60


def share(total: int, weights: list[int], minimum: int = 1) -> list[int]:
    """Split `total` minutes by `weights` (largest remainder), each part at least `minimum`."""
    parts = [minimum] * len(weights)
    rest = total - minimum * len(weights)
    if rest <= 0:
        return parts
    exact = [rest * w / sum(weights) for w in weights]
    extra = [int(e) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - extra[i], reverse=True)
    for i in order[: rest - sum(extra)]:
        extra[i] += 1
    return [p + e for p, e in zip(parts, extra, strict=True)]


def _block(writer: Writer, template: BlockTemplate, minutes: int, values: dict[str, str]) -> Block:
    return Block(
        title=clip(writer.fill(template.title, values), 30),
        minutes=minutes,
        on_screen=clip(writer.fill(template.on_screen, values), 80),
        interaction=clip(writer.fill(template.interaction, values), 40),
        lines=[
            ScriptLine(speaker=line.speaker, words=clip(writer.say(line.variants, values), 600))
            for line in template.lines
        ],
    )


def _split(minutes: int) -> list[int]:
    """Minutes as blocks no longer than the model allows."""
    count = -(-minutes // _MAX_BLOCK)
    return share(minutes, [1] * count)


def livestream_script(
    writer: Writer, points: dict[str, SellingPoints], item_id: str
) -> LivestreamScript:
    canvas, facts, guide = writer.canvas, writer.facts, writer.playbook.livestream
    products = canvas.products
    total = canvas.burst.livestream_minutes
    base = facts.base() | {"service": facts.service(), "price_summary": facts.live_price_summary()}
    lead = facts.persona_for(0)
    base |= {"persona": lead.name, "pain": writer.pick(facts.pains(lead))}

    framing = [a for a in guide.acts if a.blocks]
    step_floor = len(guide.segment_steps) * len(products)
    framing_floor = sum(len(a.blocks) for a in framing)
    minutes = share(total, [a.weight for a in guide.acts], minimum=1)
    named = dict(zip((a.name for a in guide.acts), minutes, strict=True))
    climax = named["高潮"]
    if climax < step_floor:  # many products: squeeze the framing acts to their floor first
        climax = max(step_floor, total - framing_floor)
        rest = share(max(total - climax, framing_floor), [a.weight for a in framing])
        named |= dict(zip((a.name for a in framing), rest, strict=True))
    per_product = share(climax, [1] * len(products), minimum=len(guide.segment_steps))

    # The segment opens with the canvas's own mechanic, never one it does not plan.
    in_sale = flash_products(facts)
    segments, climax_blocks = [], []
    for index, product in enumerate(products):
        chains = _chains(writer, points, product)
        persona = facts.persona_of(product, 0)
        chain = chains[0]
        trade = facts.trade or writer.playbook.phrases.generic
        values = (
            base
            | facts.product_vars(product, index)
            | {
                "price_line": facts.live_price_line(product),
                "persona": persona.name,
                "persona_scene": facts.persona_scene(persona),
                "pain": writer.pick(facts.pains(persona)),
                "feature": chain.feature,
                "advantage": chain.advantage,
                "benefit": chain.benefit,
                "evidence": chain.evidence,
                "next_product": cross_sell(facts, product),
                "usage": writer.fill(
                    writer.pick(trade.usage, product), base | facts.product_vars(product)
                ),
                "care": writer.fill(
                    writer.pick(trade.care, product), base | facts.product_vars(product)
                ),
            }
        )
        step_minutes = share(per_product[index], [s.weight for s in guide.segment_steps])
        steps = [
            _spoken(writer, step, m, values, chains, product)
            for step, m in zip(guide.segment_steps, step_minutes, strict=True)
        ]
        segments.append(
            ProductSegment(product_id=product.id or "", product=product.name, steps=steps)
        )
        hook, close = steps[0], steps[4]
        for part, m in enumerate(_split(per_product[index])):
            suffix = "（续）" if part else ""
            climax_blocks.append(
                Block(
                    title=clip(f"单品讲解：{product.name}", 28) + suffix,
                    minutes=m,
                    on_screen=clip(
                        f"{product.name}实物与价格卡：{facts.live_price_line(product)}", 80
                    ),
                    interaction=("秒杀" if product.id in in_sale else "实物讲解")
                    if not part
                    else "弹幕答疑",
                    lines=[*hook.lines, *close.lines] if not part else close.lines,
                )
            )

    acts = []
    for act in guide.acts:
        if act.name == "高潮":
            acts.append(Act(name=act.name, blocks=climax_blocks))
            continue
        block_minutes = share(named[act.name], [b.weight for b in act.blocks])
        blocks = []
        for template, m in zip(act.blocks, block_minutes, strict=True):
            for part in _split(m):
                blocks.append(_block(writer, template, part, base))
        if act.name == "落幕" and blocks:
            draw = draw_lines(writer)  # the canvas's draw, held before the thanks
            if draw:
                first = blocks[0]
                update = {"lines": [*draw, *first.lines], "interaction": "抽奖"}
                blocks[0] = first.model_copy(update=update)
        acts.append(Act(name=act.name, blocks=blocks))
    return LivestreamScript(
        id=item_id,
        title=clip(f"{canvas.theme.name}·{canvas.brand.name}直播", 40),
        start_time=canvas.burst.livestream_time,
        acts=acts,
        segments=segments,
        contingencies=[
            Contingency(situation=c.situation, response=writer.fill(c.response, base))
            for c in [*guide.contingencies, *(facts.trade.contingencies if facts.trade else [])]
        ],
        review_metrics=list(guide.review_metrics),
    )


# Spoken Chinese runs at roughly 200–250 characters a minute; with demos, pauses and the chat
# taking their share, a step aims at this many (above the 60 floor: some steps run out of facts).
CHARS_PER_MINUTE = 90


def flash_products(facts) -> set[str]:
    """The products on sale in a flash sale during the live: the canvas's flash-sale products,
    else those its flash-sale clauses name (「20:30 猫砂秒杀」), else all when a sale runs."""
    canvas = facts.canvas
    if not facts.flash_in_live():
        return set()
    if canvas.burst.flash_sale_products:
        return set(canvas.burst.flash_sale_products)
    named = {
        p.id
        for clause in facts.note_clauses("秒杀")
        for p in canvas.products
        if (p.category and p.category in clause) or len(_pairs(p.name) & _pairs(clause)) >= 2
    }
    return named or {p.id for p in canvas.products}


def draw_lines(writer: Writer) -> list[ScriptLine]:
    """The draw the canvas plans (订金抽奖 in the warm-up, 抽奖 in the burst), in its own words."""
    facts, canvas, pick = writer.facts, writer.canvas, writer.pick
    if "订金抽奖" not in canvas.warmup.methods and "抽奖" not in canvas.burst.methods:
        return []
    rules = "，".join(facts.note_clauses("抽奖")) or "规则按群公告"
    host = pick(
        [
            f"现在是今晚的抽奖：{rules}。按预热时说好的规则当场公开抽，结果放在屏幕上。",
            f"说好的抽奖现在开始：{rules}。我们当着大家的面抽，抽到的名字打在屏幕上。",
            f"抽奖时间到了。规则再说一遍：{rules}。当场抽、当场公布。",
        ]
    )
    control = pick(
        [
            "抽奖名单和结果截图会发到群里，大家可以核对。",
            "抽中的朋友名字在屏幕上停留一会儿，结果截图随后发群里。",
        ]
    )
    return [
        ScriptLine(speaker="主播", words=clip(host, 600)),
        ScriptLine(speaker="场控", words=control),
    ]


def cross_sell(facts, product) -> str:
    """The product that goes best with this one: same trade and category first, then the next."""
    others = [p for p in facts.canvas.products if p.id != product.id]
    if not others:
        return "群里的其他商品"
    same = [p for p in others if p.category and p.category == product.category]
    return (same or others)[0].name


def _spoken(
    writer: Writer, step: BlockTemplate, minutes: int, values, chains: list[Fabe], product
) -> Block:
    """One segment step: its template lines, then the canvas's facts told word for word until
    the step carries `CHARS_PER_MINUTE` a minute (or the facts run out; nothing is repeated)."""
    block = _block(writer, step, minutes, values)
    lines = [
        line
        for line, template in zip(block.lines, step.lines, strict=True)
        if values["evidence"] or not any("{evidence}" in v for v in template.variants)
    ]
    budget = CHARS_PER_MINUTE * minutes - sum(len(line.words) for line in lines)
    for speaker, words in _more_lines(writer, step.key, values, chains, product):
        if budget <= 0:
            break
        if all(words != line.words for line in lines):
            lines.append(ScriptLine(speaker=speaker, words=clip(words, 600)))
            budget -= len(words)
    return block.model_copy(update={"lines": lines})


_ORDER = ("先说", "再说", "还有", "另外", "接着说", "再补充")
# Evidence that says it can be shown (报告可在直播间出示, 现场开盒演示) is shown in the demo.
_SHOWN = ("直播间", "出示", "现场", "演示", "镜头")
_DONE = ("演示", "展示", "开袋", "开盒", "试吃", "倒水")


def _more_lines(writer: Writer, key: str, values, chains: list[Fabe], product):
    """What else the host can say in a step, drawn only from the canvas and the trade pack."""
    facts, pick, fill = writer.facts, writer.pick, writer.fill
    trade = facts.trade or writer.playbook.phrases.generic
    voice = facts.trade.voice if facts.trade else None
    name = product.name
    if key == "hook":
        persona = facts.persona_of(product, 0)
        scene = facts.persona_scene(persona)
        yield (
            "主播",
            pick(
                [
                    f"说说{persona.name}的情况：{scene}。{name}可以放在这个场景里看一看。",
                    f"如果你是{persona.name}，{scene}，那{name}这一段值得听完。",
                    f"{persona.name}的日常大概是这样：{scene}。带着这个场景，我们看{name}。",
                ]
            ),
        )
        for pain in persona.pain_points:
            yield (
                "主播",
                pick(
                    [
                        f"「{pain}」——有这个情况的朋友，弹幕扣个「有」。",
                        f"有人说「{pain}」，你是不是也这样？",
                        f"「{pain}」，遇到过的在弹幕打「我也是」。",
                    ]
                ),
            )
    elif key == "fabe":
        persona = next(
            (p for p in writer.canvas.personas if p.name == values["persona"]),
            writer.canvas.personas[0],
        )
        for index, (order, chain) in enumerate(zip(_ORDER, chains, strict=False)):
            # The benefit for the segment's persona; nothing known → no filler sentence.
            benefit = benefit_for(writer, product, index, persona, neutral=False)
            tail = f"{benefit}。" if benefit else ""
            if chain.advantage == chain.feature or neutral_advantage(
                writer, product, chain.advantage
            ):
                # nothing known beyond the feature: say it once
                yield "主播", f"{order}{chain.feature}。{tail}"
                continue
            yield (
                "主播",
                pick(
                    [
                        f"{order}{chain.feature}：{chain.advantage}。{tail}",
                        f"{order}一条，{chain.feature}。换句话说，{chain.advantage}。{tail}",
                        f"{order}，{chain.feature}。{chain.advantage}。{tail}",
                    ]
                ),
            )
            if chain.evidence:
                yield (
                    "副播",
                    pick([f"这一点有依据：{chain.evidence}。", f"补充依据：{chain.evidence}。"]),
                )
    elif key == "demo":
        for line in product.evidence:  # proof the canvas says can be shown: show it here
            if not any(word in line for word in _SHOWN):
                continue
            said = line.rstrip("。")
            if any(word in line for word in _DONE):  # a demonstration: do it, on camera
                options = [
                    f"说好的{said}，现在就在镜头前做给大家看。",
                    f"{said}——我现在就做，镜头跟着我的手。",
                ]
            else:  # a document: hold it up
                options = [
                    f"说到依据：{said}，我现在把它拿到镜头前给大家看。",
                    f"{said}——这一份我就放在桌上，镜头推近给大家看。",
                    f"有朋友想看依据，{said}，我举到镜头前停一会儿。",
                ]
            yield "主播", pick(options)
        frames = writer.sample(
            [
                "镜头给到这里：{feature}，大家看清楚，有想细看的弹幕说。",
                "来看实物，{feature}，我拿近一点，慢慢转一圈。",
                "实物上找一找：{feature}，就是这个位置。",
            ],
            3,
        )  # one frame per feature in turn, so the demo does not repeat itself
        for index, chain in enumerate(chains):
            yield "主播", frames[index % len(frames)].replace("{feature}", chain.feature)
        for template in writer.sample(voice.live_lines if voice else [], 99, product):
            if writer.allowed(template, product):  # never a line for another product's form
                yield "主播", fill(template, values)
        for line in writer.sample(trade.usage, 99, product):
            if not writer.allowed(line, product):
                continue
            yield (
                "主播",
                pick(
                    [f"怎么{values['verb']}：{fill(line, values)}", f"用法上，{fill(line, values)}"]
                ),
            )
    elif key == "price":
        yield (
            "主播",
            pick(
                [
                    f"价格卡上写得清清楚楚：{values['price_line']}，规格是{values['specs']}。",
                    f"再报一遍价格：{values['price_line']}，对应的规格是{values['specs']}。",
                ]
            ),
        )
        yield (
            "副播",
            pick(
                [
                    f"我在屏幕上再打一遍：{name}，{values['price_line']}，有问题的先问再拍。",
                    f"价格以购物车里显示的为准：{values['price_line']}，{name}讲完就上链接。",
                ]
            ),
        )
        first = product.id == writer.canvas.products[0].id  # the mechanics, said once a show
        for line in facts.burst_lines(live=True) if first else []:
            yield "主播", pick([f"今晚的玩法：{line}。", f"玩法说清楚：{line}。"])
    elif key == "close":
        specs = f"，选好规格（{values['specs']}）" if product.specs else ""
        yield (
            "主播",
            pick(
                [
                    f"下单的步骤说一遍：点屏幕下方的购物车，找到{name}{specs}，付款就好。",
                    f"不会拍的跟着我来：购物车点开，{name}在里面{specs}，确认好就付款。",
                    f"怎么买：屏幕下方购物车，找{name}{specs}，提交付款。拿不准的先弹幕问。",
                ]
            ),
        )
        yield (
            "主播",
            pick(
                [
                    f"售后说清楚：{values['service']}。这是店里写在商品页上的。",
                    f"拍之前再说一句售后：{values['service']}。",
                ]
            ),
        )
        yield (
            "场控",
            pick(
                [
                    "已经拍了的朋友在弹幕扣「已拍」，我们这边核对。",
                    "拍好的朋友弹幕说一声，后台一个个核对订单。",
                    "付完款的扣个「好了」，订单有问题我这边马上看。",
                    "下单遇到问题的直接弹幕说，我盯着后台。",
                ]
            ),
        )
    elif key == "cross":
        partner = facts.canvas.product_named(values["next_product"])
        if partner is not None:
            feature, price = partner.features[0], facts.live_price_line(partner)
            yield (
                "主播",
                pick(
                    [
                        f"{values['next_product']}说一句：{feature}，{price}。和{name}放在一起看，挑起来更省心。",
                        f"顺带提一下{values['next_product']}：{feature}，{price}。想和{name}一起买的，购物车里都有。",
                        f"和{name}搭着看的是{values['next_product']}，{feature}，{price}。",
                    ]
                ),
            )
    elif key == "qa":
        answers = [f"规格是{values['specs']}", f"售后这块，{values['service']}"]
        answers += [
            fill(c, values)
            for c in writer.sample(trade.care, 99, product)
            if writer.allowed(c, product)
        ]
        for answer in answers:
            opener = pick(
                [
                    "弹幕有朋友问到，",
                    "有人问，",
                    "统一回答一下，",
                    "刚才弹幕里问的，",
                    "再答一个：",
                    "",
                ]
            )
            yield "副播", f"{opener}{answer.rstrip('。')}。"


def _chains(writer: Writer, points: dict[str, SellingPoints], product) -> list[Fabe]:
    found = points.get(product.id or "")
    return list(found.fabe) if found is not None else fabe_items(writer, product)
