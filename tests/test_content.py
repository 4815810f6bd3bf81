"""Output models hold the business rules; each rule is shown failing on a minimal bad case."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from pipelines.canvas import Canvas
from pipelines.content import (
    Act,
    Block,
    ChannelVariant,
    Fabe,
    GroupKit,
    KeywordReply,
    LaunchMessage,
    LaunchSequence,
    LivestreamScript,
    Post,
    PosterCopy,
    PriceBlock,
    PrivateScript,
    ProductSegment,
    ScriptLine,
    SellingPoints,
    WeekCalendar,
    format_price,
    iter_texts,
    numbers_in,
)


def week_posts(canvas: Canvas, **overrides) -> list[dict]:
    """28 valid posts (4 a day), featuring every product; overrides apply to the first post."""
    posts = []
    products = [p.id for p in canvas.products]
    for day in range(1, 8):
        for slot, time in enumerate(["08:00", "10:00", "15:00", "21:00"], start=1):
            index = (day - 1) * 4 + slot
            posts.append(
                {
                    "id": f"post-d{day}-{slot:02d}",
                    "day": day,
                    "date": canvas.days[day - 1],
                    "time": time,
                    "channel": "社群",
                    "activity_type": "日常品牌活动",
                    "form": "图文",
                    "goal": "促活",
                    "product_id": products[index % len(products)],
                    "title": f"标题{index}",
                    "body": "正文",
                }
            )
    posts[0].update(overrides)
    return posts


def calendar(canvas: Canvas, posts: list[dict]) -> WeekCalendar:
    return WeekCalendar.model_validate(
        {"id": "calendar", "posts": posts}, context={"canvas": canvas}
    )


def test_a_valid_week_calendar_passes(canvas: Canvas) -> None:
    assert len(calendar(canvas, week_posts(canvas)).day(1)) == 4


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"day": 2}, "第 1 天的帖子少于 4 条"),
        ({"title": "标题2"}, "标题重复"),
        ({"channel": "小红书"}, "画布里没有的渠道"),
        ({"date": dt.date(2020, 1, 1)}, "日期与第 1 天不符"),
        ({"product_id": "ghost"}, "不存在的商品编号"),
        ({"time": "8点"}, "String should match pattern"),
        ({"goal": "赚钱"}, "Input should be"),
        ({"needs_poster": True}, "没有写海报类型"),
        ({"body": ""}, "at least 1 character"),
        ({"body": "今天\x0b到货"}, "控制字符"),
        ({"title": "早安\u202e"}, "控制字符|方向"),
    ],
)
def test_calendar_rules_reject_a_bad_post(canvas: Canvas, overrides: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        calendar(canvas, week_posts(canvas, **overrides))


def test_calendar_must_feature_every_product(canvas: Canvas) -> None:
    posts = week_posts(canvas)
    for post in posts:
        post["product_id"] = "beef"
    with pytest.raises(ValidationError, match="没有推到这些商品"):
        calendar(canvas, posts)


def selling_points(evidence: str) -> dict:
    return {
        "id": "fabe-beef",
        "product_id": "beef",
        "product": "原切牛肉卷",
        "fabe": [
            {"feature": "原切", "advantage": "口感好", "benefit": "孩子爱吃", "evidence": evidence}
        ],
        "scene_line": "下班半小时做一锅",
        "variants": [{"channel": "社群", "persona": "宝妈", "body": "今晚涮牛肉"}],
    }


@pytest.mark.parametrize(
    ("evidence", "ok"),
    [
        ("每批附检疫合格证明", True),
        ("上周团购复购 126 单，邻居们都在回购", True),
        ("可以到自提点现场看切片", True),
        ("销量突破 10000 单", False),
        ("荣获 2025 年金奖", False),
    ],
)
def test_fabe_evidence_comes_only_from_the_canvas(canvas: Canvas, evidence: str, ok: bool) -> None:
    data = selling_points(evidence)
    if ok:
        SellingPoints.model_validate(data, context={"canvas": canvas})
    else:
        with pytest.raises(ValidationError, match="画布里没有的数字"):
            SellingPoints.model_validate(data, context={"canvas": canvas})


def poster(**overrides) -> dict:
    data = {
        "id": "poster-post-d1-01",
        "post_id": "post-d1-01",
        "kind": "产品海报",
        "product_id": "beef",
        "headline": "冬日暖锅牛肉卷",
        "subheadline": "原切刨片 涮八秒就熟",
        "bullets": ["整块原切", "冷链到小区"],
        "price": {"original": "59.9", "promo": "39.9"},
        "urgency": "周三 10:00 开团",
        "cta": "扫码进群",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"bullets": ["只有一条"]}, "at least 2 items"),
        ({"bullets": ["一", "二", "三", "四", "五"]}, "at most 4 items"),
        ({"headline": "这是一个超过十四个字的主标题真的很长"}, "at most 14 characters"),
        ({"price": {"original": "59.9", "promo": "29.9"}}, "活动价 29.9 与画布不符"),
        ({"price": {"original": "69.9", "promo": "39.9"}}, "原价 69.9 与画布不符"),
        ({"product_id": None}, "没有指向商品"),
    ],
)
def test_poster_copy_rules(canvas: Canvas, overrides: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PosterCopy.model_validate(poster(**overrides), context={"canvas": canvas})


def test_poster_copy_with_the_canvas_prices_passes(canvas: Canvas) -> None:
    copy = PosterCopy.model_validate(poster(), context={"canvas": canvas})
    assert copy.price == PriceBlock(original=Decimal("59.9"), promo=Decimal("39.9"))


def block(title: str = "开场白") -> Block:
    return Block(
        title=title,
        minutes=5,
        on_screen="主播近景",
        lines=[ScriptLine(speaker="主播", words="大家好")],
    )


def script(canvas: Canvas, acts=("开场", "爬坡", "高潮", "落幕"), products=None) -> dict:
    products = products if products is not None else canvas.products
    return {
        "id": "livestream",
        "title": "暖锅直播",
        "start_time": "20:00",
        "acts": [Act(name=name, blocks=[block()]).model_dump() for name in acts],
        "segments": [
            ProductSegment(
                product_id=p.id, product=p.name, steps=[block(str(i)) for i in range(5)]
            ).model_dump()
            for p in products
        ],
        "contingencies": [
            {"situation": s, "response": "稳住节奏"} for s in ("库存", "卡顿", "刷屏")
        ],
        "review_metrics": ["观看人数", "转化率", "GMV"],
    }


def test_livestream_acts_come_in_order_and_cover_every_product(canvas: Canvas) -> None:
    ok = LivestreamScript.model_validate(script(canvas), context={"canvas": canvas})
    assert ok.total_minutes == 20
    with pytest.raises(ValidationError, match="直播四幕应依次为"):
        LivestreamScript.model_validate(script(canvas, acts=("爬坡", "开场", "高潮", "落幕")))
    with pytest.raises(ValidationError, match="缺少这些商品的单品段落"):
        LivestreamScript.model_validate(
            script(canvas, products=canvas.products[:1]), context={"canvas": canvas}
        )


def test_group_kit_needs_all_three_private_chat_topics() -> None:
    data = {
        "id": "group-kit",
        "names": ["邻里鲜①群", "邻里鲜暖锅群", "邻里鲜福利群"],
        "rules": ["不发广告", "售后私聊", "晚上不刷屏"],
        "welcome": "欢迎",
        "announcement": "公告",
        "keyword_replies": [
            KeywordReply(keyword=k, reply="好的") for k in ("自提", "售后", "开团")
        ],
        "private_scripts": [PrivateScript(topic="产品介绍", words="介绍")] * 3,
    }
    with pytest.raises(ValidationError, match="私聊话术缺少"):
        GroupKit.model_validate(data)


def test_launch_sequence_must_be_complete_and_in_order() -> None:
    steps = ["T-1天预告", "T-10分钟倒计时", "T-0开团", "T+30分钟播报", "结束战绩", "售后跟进"]
    messages = [LaunchMessage(step=s, when="周三", words="话术") for s in steps]
    LaunchSequence(id="launch", launch_day=3, messages=messages)
    with pytest.raises(ValidationError, match="顺序齐全"):
        LaunchSequence(id="launch", launch_day=3, messages=list(reversed(messages)))


def test_iter_texts_yields_readable_text_with_paths_and_skips_ids() -> None:
    points = SellingPoints(
        id="fabe-beef",
        product_id="beef",
        product="牛肉卷",
        fabe=[Fabe(feature="F", advantage="A", benefit="B", evidence="E")],
        scene_line="场景",
        variants=[ChannelVariant(channel="社群", persona="宝妈", body="文案")],
    )
    texts = dict(iter_texts(points))
    assert texts["fabe[0].evidence"] == "E"
    assert texts["variants[0].body"] == "文案"
    assert "id" not in texts and "product_id" not in texts and "variants[0].channel" not in texts


@pytest.mark.parametrize(
    ("value", "expected"), [("39.90", "39.9"), ("59.00", "59"), ("0.5", "0.5"), ("100", "100")]
)
def test_prices_are_written_the_way_people_write_them(value: str, expected: str) -> None:
    assert format_price(Decimal(value)) == expected


def test_numbers_in_finds_digit_runs() -> None:
    assert numbers_in("满300减50，仅需39.9元") == ["300", "50", "39.9"]


def test_post_field_is_body() -> None:
    assert "body" in Post.model_fields
