"""Hand-made poster copy from the example canvas (posters do not need an engine)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pipelines.canvas import Canvas, load_canvas
from pipelines.content import PosterCopy, PosterKind, PriceBlock

EXAMPLES = Path(__file__).resolve().parents[2] / "assets" / "examples"


def fresh_canvas() -> Canvas:
    return load_canvas(EXAMPLES / "fresh_groupbuy.toml")


def sample_copies() -> list[PosterCopy]:
    """One copy per poster kind, written from fresh_groupbuy.toml."""
    return [
        PosterCopy(
            id="poster-post-d3-01",
            post_id="post-d3-01",
            kind=PosterKind.PRODUCT,
            product_id="beef",
            headline="原切牛肉卷 涮8秒就熟",
            subheadline="整块原切后刨片，冷链到小区自提点",
            bullets=["整块原切，不是拼接肉", "每批附检疫合格证明", "次日达，坏损包赔"],
            price=PriceBlock(
                original=Decimal("59.9"), promo=Decimal("39.9"), unit="元/盒", note="500g/盒"
            ),
            urgency="周三10:00开团 限量200份",
            cta="长按识别二维码进群",
        ),
        PosterCopy(
            id="poster-post-d2-03",
            post_id="post-d2-03",
            kind=PosterKind.PREVIEW,
            product_id="veg",
            headline="明早开团：暖锅蔬菜拼盘",
            subheadline="当天早上基地采摘，洗好切好开袋下锅",
            bullets=["六种蔬菜一盒配齐", "附采摘日期标签", "不新鲜包退"],
            price=PriceBlock(original=Decimal("19.9"), promo=Decimal("15.9")),
            urgency="1元锁定名额，周二22:00截止",
            cta="扫码进群等开团",
        ),
        PosterCopy(
            id="poster-post-d5-02",
            post_id="post-d5-02",
            kind=PosterKind.ACTIVITY,
            product_id=None,
            headline="周五会员日，满300减50",
            subheadline="冬日暖锅季：鲜肉、鲜菜、菌菇一站配齐",
            bullets=["会员专享满减", "次日达到小区自提点", "售后团长一对一"],
            urgency="仅限周五当天",
            cta="长按扫码参加",
        ),
        PosterCopy(
            id="poster-post-d6-01",
            post_id="post-d6-01",
            kind=PosterKind.FISSION,
            product_id="mushroom",
            headline="叫上邻居一起拼暖锅",
            subheadline="菌菇汤底一袋够四口之家一锅",
            bullets=["五种菌菇熬制", "不加味精", "常温保存开袋即用"],
            price=PriceBlock(promo=Decimal("12.8"), unit="元/袋"),
            urgency="邀请好友进群，一起开团",
            cta="扫码进群",
        ),
        PosterCopy(
            id="poster-post-d7-02",
            post_id="post-d7-02",
            kind=PosterKind.RESULTS,
            product_id="beef",
            headline="感谢邻居们这一周的支持",
            subheadline="上周团购复购126单，下周继续",
            bullets=["牛肉卷复购126单", "每批附检疫合格证明", "下周一预告新团"],
            urgency="下周一晚8点预告",
            cta="进群看下周预告",
        ),
    ]
