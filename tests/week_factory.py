"""A complete, hand-built week for store/export/review tests: fast and independent of engines."""

from __future__ import annotations

import datetime as dt

from pipelines.canvas import Canvas
from pipelines.content import (
    Act,
    Block,
    ChannelVariant,
    Contingency,
    Fabe,
    Finding,
    GroupKit,
    KeywordReply,
    LaunchMessage,
    LaunchSequence,
    LivestreamScript,
    Post,
    PosterCopy,
    PosterKind,
    PriceBlock,
    PrivateScript,
    ProductSegment,
    ScriptLine,
    SellingPoints,
    WeekCalendar,
    WeekPackage,
)

TIMES = ("08:00", "10:00", "12:00", "20:00")
ERROR_POST = "post-d1-02"  # carries an error-level finding
WARNING_POST = "post-d2-03"  # carries a warning


def _block(title: str) -> Block:
    return Block(
        title=title,
        minutes=5,
        on_screen="商品特写",
        interaction="扣1抽奖",
        lines=[ScriptLine(speaker="主播", words=f"{title}：大家好，今天给邻居们带来暖锅好物。")],
    )


def _finding(severity: str) -> Finding:
    return Finding(
        category="极限词",
        field="body",
        start=0,
        end=2,
        span="最好",
        severity=severity,
        rule="广告法第九条",
        why="绝对化用语",
        suggestion="换成具体事实",
    )


def make_week(canvas: Canvas) -> WeekPackage:
    products = canvas.products
    points = [
        SellingPoints(
            id=f"fabe-{p.id}",
            product_id=p.id,
            product=p.name,
            fabe=[
                Fabe(
                    feature=p.features[0],
                    advantage="省去挑拣和清洗的时间",
                    benefit="下班半小时就能开饭",
                    evidence=p.evidence[0] if p.evidence else "开袋现场演示",
                )
            ],
            scene_line="下班回家菜市场已经收摊，冰箱里空空的。",
            variants=[
                ChannelVariant(channel=canvas.channels[0], persona="宝妈", body="今晚吃暖锅")
            ],
        )
        for p in products
    ]
    posts, posters = [], []
    for day in range(1, 8):
        for n, time in enumerate(TIMES, start=1):
            product = products[(day + n) % len(products)]
            post_id = f"post-d{day}-{n:02d}"
            needs_poster = time == "10:00"
            post = Post(
                id=post_id,
                day=day,
                date=canvas.days[day - 1],
                time=time,
                channel=canvas.channels[n % len(canvas.channels)],
                activity_type="店铺产品主推活动",
                form="图文",
                goal="转化",
                product_id=product.id,
                title=f"第{day}天{time}{product.name}",
                body=f"最好的{product.name}，第{day}天{time}和邻居们一起囤。",
                needs_poster=needs_poster,
                poster_kind=PosterKind.PRODUCT if needs_poster else None,
                findings=[_finding("error")] if post_id == ERROR_POST else [],
            )
            if post_id == WARNING_POST:
                post.findings = [_finding("warning")]
            posts.append(post)
            if needs_poster:
                posters.append(
                    PosterCopy(
                        id=f"poster-{post_id}",
                        post_id=post_id,
                        kind=PosterKind.PRODUCT,
                        product_id=product.id,
                        headline=product.name,
                        subheadline="今晚就吃暖锅",
                        bullets=["冷链到家", "开袋即煮"],
                        price=PriceBlock(original=product.price, promo=product.offer_price),
                        urgency="限时三天",
                        cta="扫码进群",
                    )
                )
    script = LivestreamScript(
        id="livestream",
        title="暖锅季直播",
        start_time="20:00",
        acts=[
            Act(name=name, blocks=[_block(f"{name}环节")])
            for name in ("开场", "爬坡", "高潮", "落幕")
        ],
        segments=[
            ProductSegment(
                product_id=p.id,
                product=p.name,
                steps=[_block(f"{p.name}第{i}步") for i in range(5)],
            )
            for p in products
        ],
        contingencies=[
            Contingency(situation=s, response="先安抚，再处理") for s in ("库存", "卡顿", "刷屏")
        ],
        review_metrics=["观看人数", "转化率", "GMV"],
    )
    kit = GroupKit(
        id="group-kit",
        names=["暖锅邻居群", "鲜姐团购群", "周末暖锅群"],
        rules=["只聊生活", "售后私聊", "晚上不打扰"],
        welcome="欢迎新邻居！",
        announcement="本周暖锅季，周三开团。",
        keyword_replies=[
            KeywordReply(keyword=k, reply="请看群公告") for k in ("团购", "售后", "自提")
        ],
        private_scripts=[
            PrivateScript(topic=t, words="您好，这边为您介绍")
            for t in ("产品介绍", "活动介绍", "服务保障")
        ],
    )
    launch = LaunchSequence(
        id="launch",
        launch_day=canvas.burst.launch_day,
        messages=[
            LaunchMessage(step=step, when="开团前后", words=f"{step}：邻居们准备好")
            for step in (
                "T-1天预告",
                "T-10分钟倒计时",
                "T-0开团",
                "T+30分钟播报",
                "结束战绩",
                "售后跟进",
            )
        ],
    )
    return WeekPackage(
        canvas=canvas,
        engine="template",
        generated_at=dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC),
        selling_points=points,
        calendar=WeekCalendar(id="calendar", posts=posts),
        posters=posters,
        livestream=script,
        group_kit=kit,
        launch=launch,
    )


__all__ = ["ERROR_POST", "WARNING_POST", "make_week"]


def with_live(canvas: Canvas, day: int = 5) -> Canvas:
    """The same canvas with a livestream planned on `day` (the whole week, script included)."""
    burst = canvas.burst.model_copy(update={"livestream_day": day})
    return canvas.model_copy(update={"burst": burst})
