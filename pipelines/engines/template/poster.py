"""The words on a poster for one post: short lines that fit, prices from the canvas only."""

from __future__ import annotations

from pipelines.canvas import Product
from pipelines.content import Post, PosterCopy, PosterKind, PriceBlock
from pipelines.engines.template.common import Writer, clip, price_text, weekday


def _fits(candidates: list[str], limit: int) -> list[str]:
    """Candidates that fit whole; failing that, the first one clipped."""
    whole = [c for c in candidates if c and len(c) <= limit]
    return whole or [clip(candidates[0], limit)]


def poster_copy(writer: Writer, post: Post, item_id: str) -> PosterCopy:
    canvas, facts = writer.canvas, writer.facts
    kind = post.poster_kind or PosterKind.PRODUCT
    product = canvas.product(post.product_id) if post.product_id else None
    theme, brand = canvas.theme.name, canvas.brand.name
    day = weekday(post.date)
    persona = facts.persona_for(post.day - 1).name
    # The moment the poster points to: the show for a livestream post, else the launch.
    burst = canvas.burst
    if burst.livestream_day and "直播" in post.title:
        when = f"{weekday(facts.day_date(burst.livestream_day))}{burst.livestream_time}"
        start = f"{when}开播"
    else:
        when = f"{weekday(facts.day_date(burst.launch_day))}{facts.launch_time}"
        start = f"{when}开始"

    headline = {
        PosterKind.PRODUCT: [product.name if product else theme, theme],
        PosterKind.ACTIVITY: [theme, f"{brand}本周活动", f"{day}{post.time}开抢"],
        PosterKind.PREVIEW: [f"{when}见", f"{theme}预告", theme],
        PosterKind.FISSION: [f"邀你加入{brand}", "欢迎新朋友", f"{brand}的群"],
        PosterKind.RESULTS: [f"谢谢每一位{facts.audience}", "感谢大家的支持", f"谢谢支持{brand}"],
    }[kind]
    # The first that fits and claims only what the canvas backs: the product's name when it can.
    title = _fits(writer.clean(headline), 14)[0]
    subs = _fits([f"{brand}·{theme}", f"给{persona}的{theme}", theme], 24)
    sub = writer.pick([s for s in subs if s != title] or subs)
    bullets = _bullets(writer, kind, product)
    if kind is PosterKind.RESULTS:
        urgency = ["下次活动提前在群里预告", "没赶上的朋友下次见"]
    elif kind is PosterKind.PREVIEW:
        urgency = [f"{start}，提前设好提醒", f"{start}，群里见"]
    elif kind is PosterKind.ACTIVITY:
        urgency = [f"{day}{post.time}开抢，售完即止", "限时活动，售完即止", f"{day}{post.time}开始"]
    elif product is not None and facts.flash_only(product):  # the promo price is the sale's
        urgency = [f"{'、'.join(facts.flash_times)}秒杀价，以下单页为准"]
    elif product is not None and facts.promo_condition(product):  # it holds when the notes say
        urgency = [facts.promo_condition(product), "活动价有时间限制，以群公告为准"]
    elif product is not None and product.promo_price is not None:
        urgency = [
            f"活动价限时，{facts.stock_line(product)}",
            "活动价限时，售完即止",
            "本周活动价，群内下单",
        ]
    elif product is not None:
        urgency = [f"{facts.stock_line(product)}，欢迎选购", "群内下单，售后有保障"]
    else:
        urgency = [f"本周「{theme}」进行中", f"{day}起每天群里见"]
    price = None
    if product is not None and kind in (
        PosterKind.PRODUCT,
        PosterKind.ACTIVITY,
        PosterKind.PREVIEW,
    ):
        promo = product.promo_price is not None and product.promo_price < product.price
        price = PriceBlock(
            original=product.price if promo else None,
            promo=product.offer_price,
            note=_price_note(facts, product) if promo else "到手价",
        )
    return PosterCopy(
        id=item_id,
        post_id=post.id,
        kind=kind,
        product_id=product.id if product else None,
        headline=title,
        subheadline=sub,
        bullets=bullets,
        price=price,
        urgency=writer.pick(_fits(writer.clean(urgency), 24)),
        cta=writer.pick(writer.playbook.posters.kind(kind).cta),
    )


def _bullets(writer: Writer, kind: PosterKind, product: Product | None) -> list[str]:
    canvas, facts = writer.canvas, writer.facts
    speaker = canvas.speaker.name
    if kind is PosterKind.RESULTS:
        options = [
            "谢谢大家的信任",
            f"收货有问题找{speaker}",
            "欢迎晒图说说感受",
            "下次活动提前预告",
        ]
    elif kind is PosterKind.FISSION:
        times = "、".join(canvas.burst.flash_sale_times[:2])
        options = [
            "每天早报说清安排",
            f"{times}秒杀" if times else "每天有秒杀",
            "商品价格群里说清楚",
            f"有问题随时找{speaker}",
        ]
    elif product is None:
        priced = [f"{p.name}{price_text(p.offer_price)}" for p in canvas.products]
        options = [o for o in priced if len(o) <= 16] or [clip(p.name, 16) for p in canvas.products]
    else:
        options = [clip(f, 16) for f in product.features]
        options += [clip(s, 16) for s in (product.specs, product.service) if s]
    chosen = [o for o in dict.fromkeys(writer.clean(options)) if len(o) >= 2][:4]
    fillers = [clip(facts.service(product), 16), f"{canvas.brand.name}群内专享", "欢迎进群了解"]
    for filler in fillers:
        if len(chosen) >= 2:
            break
        if filler not in chosen:
            chosen.append(filler)
    if len(chosen) > 2:
        chosen = chosen[:2] + writer.sample(chosen[2:], writer.rng.randint(0, len(chosen) - 2))
    return chosen


def _price_note(facts, product) -> str:
    """The label of the big price: a flash-sale price names its times, a conditional one says so."""
    if facts.flash_only(product):
        return clip(f"{'、'.join(facts.flash_times)}秒杀价", 16)
    if facts.promo_condition(product):
        return "限时活动价"
    return "活动价"
