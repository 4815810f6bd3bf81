"""The compliance checker's behaviour: offsets, channels, canvas evidence, items, the lexicon."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pipelines.canvas import Canvas, Channel, load_canvas
from pipelines.compliance import (
    annotate,
    has_errors,
    load_lexicon,
    read_lexicon,
    scan_item,
    scan_package,
    scan_text,
)
from pipelines.compliance.lexicon import LEXICON_PATH, trie_pattern
from pipelines.compliance.prefilter import Dispatcher, prefixes
from pipelines.compliance.scanner import NO_CANVAS_NOTE
from pipelines.content import ChannelVariant, Fabe, Post, SellingPoints
from pipelines.errors import PlaybookError
from tests.conftest import EXAMPLES


def spans(text: str, **kwargs) -> list[tuple[str, str]]:
    return [(f.span, f.severity) for f in scan_text(text, **kwargs)]


# --- offsets point into the original text ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("今天全 网 最 低，快来", "全 网 最 低"),
        ("今天全\u3000网最低，快来", "全\u3000网最低"),
        ("今天全\u200b网最低，快来", "全\u200b网最低"),
        ("今天全*网*最*低，快来", "全*网*最*低"),
        ("ｎｏ．１好物", "ｎｏ．１"),
        ("Top 1 好物", "Top 1"),
        ("絕對新鮮", "絕對"),
        ("上一行没问题\n下一行 全网 最低价", "全网 最低价"),
    ],
)
def test_a_variant_is_found_and_its_span_is_the_original_text(text: str, span: str) -> None:
    (finding,) = scan_text(text)
    assert text[finding.start : finding.end] == finding.span == span
    assert finding.severity == "error"


def test_findings_come_in_text_order_with_their_field() -> None:
    findings = scan_text("独家配方，全网最低价，绝对新鲜", field="body")
    assert [f.span for f in findings] == ["独家", "全网最低价", "绝对"]
    assert {f.field for f in findings} == {"body"}
    assert all(f.rule.startswith("《广告法》第九条") and f.why and f.suggestion for f in findings)


def test_a_known_replacement_is_suggested() -> None:
    (finding,) = scan_text("全网最低价")
    assert finding.suggestion == "把「全网最低价」改为「本周活动价」"


# --- context: negation, dates, self-comparison -----------------------------------------------


def test_a_negated_share_condition_is_not_reported() -> None:
    assert scan_text("抽奖不以转发、集赞为条件") == []
    assert spans("抽奖以集赞为条件") == [("集赞", "error")]


def test_price_urgency_with_a_date_is_fine_without_one_it_is_an_error() -> None:
    assert scan_text("周三24:00截团，之后恢复原价") == []
    assert spans("随时恢复原价") == [("随时恢复原价", "error")]


def test_a_true_self_comparison_is_a_warning_that_says_why() -> None:
    (finding,) = scan_text("比去年的配方，今年这款最清爽")
    assert (finding.span, finding.severity) == ("最清", "warning")
    assert "自家" in finding.why
    assert spans("今年这款最清爽") == [("最清", "error")]


# --- evidence against the canvas -------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh() -> Canvas:
    return load_canvas(EXAMPLES[[p.stem for p in EXAMPLES].index("fresh_groupbuy")])


def test_an_unbacked_number_is_a_warning_to_verify_without_a_canvas(fresh: Canvas) -> None:
    (finding,) = scan_text("已售1000件")
    assert finding.severity == "warning" and finding.why.endswith(NO_CANVAS_NOTE)
    assert spans("已售1000件", canvas=fresh) == [("已售1000件", "error")]


@pytest.mark.parametrize(
    "text",
    [
        "上周团购复购 126 单",  # the canvas's evidence, word for word
        "上周复购126单，感谢邻居",  # its number with its unit
        "库存仅剩200件",  # the canvas's stock
        "原价59.90元，活动价39.9",  # its prices, however written
        "限量150份",
    ],
)
def test_numbers_the_canvas_gives_back_the_claim(text: str, fresh: Canvas) -> None:
    assert scan_text(text, canvas=fresh) == []


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("上周接龙了500单", "500 is in the canvas only as 500g"),
        ("只剩8份了", "8 is in the canvas only as 8 秒"),
        ("仅剩3件", "3 is the launch day, a schedule field"),
        ("好评率100%", "no rating in the canvas"),
    ],
)
def test_a_coincidental_number_does_not_back_a_claim(text: str, why: str, fresh: Canvas) -> None:
    assert has_errors(scan_text(text, canvas=fresh)), why


def test_a_quote_claim_is_backed_when_the_canvas_says_it(fresh: Canvas) -> None:
    data = fresh.model_dump(mode="json")
    data["products"][0]["evidence"].append("荣获2025年区农博会金奖")
    awarded = Canvas.model_validate(data)
    assert scan_text("荣获2025年区农博会金奖", canvas=awarded) == []
    assert has_errors(scan_text("荣获2025年市农博会金奖", canvas=awarded))


def test_dates_and_clock_times_are_never_evidence(fresh: Canvas) -> None:
    assert has_errors(scan_text("2026年荣获金奖", canvas=fresh))
    assert scan_text("12月2日 10:00 开团，库存以下单页为准", canvas=fresh) == []


def test_a_trademark_with_a_flagged_word_is_a_warning_naming_the_mark(fresh: Canvas) -> None:
    data = fresh.model_dump(mode="json")
    data["brand"]["trademarks"] = ["鲜之最"]
    marked = Canvas.model_validate(data)
    (finding,) = scan_text("鲜之最牛肉卷", canvas=marked)
    assert (finding.span, finding.severity) == ("鲜之最", "warning")
    assert "注册商标" in finding.why
    assert spans("鲜之最牛肉卷", canvas=fresh) == [("最牛", "error")]


def test_the_canvas_avoid_words_are_errors_reported_once(fresh: Canvas) -> None:
    assert fresh.avoid_words == ["最便宜", "保证"]
    findings = scan_text("保证新鲜，最便宜", canvas=fresh)
    assert [(f.category, f.span) for f in findings] == [
        ("画布禁用词", "保证"),
        ("绝对化用语", "最便宜"),
    ]
    assert scan_text("保证新鲜") == []


def test_an_avoid_word_is_an_error_even_where_a_rule_only_warns(fresh: Canvas) -> None:
    data = fresh.model_dump(mode="json")
    data["avoid_words"] = ["美白"]
    avoiding = Canvas.model_validate(data)
    assert spans("提亮美白", canvas=fresh) == [("美白", "warning")]
    assert sorted(spans("提亮美白", canvas=avoiding)) == [("美白", "error"), ("美白", "warning")]


# --- channels and items ----------------------------------------------------------------------


def test_off_platform_steering_is_only_checked_for_xiaohongshu() -> None:
    text = "加微信领试用装，扫码进群"
    assert scan_text(text) == []
    assert scan_text(text, channel=Channel.GROUP) == []
    assert [f.span for f in scan_text(text, channel="小红书")] == ["加微信", "扫码", "进群"]


def _post(channel: Channel, body: str) -> Post:
    return Post(
        id="post-d1-01",
        day=1,
        date="2026-11-30",
        time="10:00",
        channel=channel,
        activity_type="店铺产品主推活动",
        form="图文",
        goal="转化",
        title="今晚吃暖锅",
        body=body,
    )


def test_an_item_is_scanned_field_by_field_with_its_channel() -> None:
    post = _post(Channel.XIAOHONGSHU, "私信领取优惠，转发集赞再送一份")
    findings = scan_item(post)
    assert [(f.field, f.category, f.span) for f in findings] == [
        ("body", "站外导流", "私信领取"),
        ("body", "诱导分享", "转发集赞再送"),
    ]
    assert [f.span for f in scan_item(_post(Channel.GROUP, post.body))] == ["转发集赞再送"]


def test_offsets_stay_inside_each_field_when_fields_are_scanned_together() -> None:
    post = _post(Channel.GROUP, "第二行\n  也是 全 网 最 低，真的")
    post.title = "独 家 配方"
    findings = scan_item(post)
    texts = {"title": post.title, "body": post.body}
    assert [(f.field, f.span) for f in findings] == [("title", "独 家"), ("body", "全 网 最 低")]
    assert all(texts[f.field][f.start : f.end] == f.span for f in findings)


def test_selling_point_variants_use_their_own_channel() -> None:
    points = SellingPoints(
        id="fabe-beef",
        product_id="beef",
        product="原切牛肉卷",
        fabe=[
            Fabe(feature="整块原切", advantage="不拼接", benefit="放心涮", evidence="附检疫证明")
        ],
        scene_line="下班晚，菜市场收摊了",
        variants=[
            ChannelVariant(channel=Channel.GROUP, persona="宝妈", body="加微信下单"),
            ChannelVariant(channel=Channel.XIAOHONGSHU, persona="白领", body="加微信下单"),
        ],
    )
    assert [f.field for f in scan_item(points)] == ["variants[1].body"]


def test_annotate_fills_in_the_findings_of_the_same_item() -> None:
    post = _post(Channel.GROUP, "全网最低价")
    assert annotate(post) is post
    assert [f.span for f in post.findings] == ["全网最低价"]
    assert has_errors(post.findings) and not has_errors([])
    post.body = "今晚吃暖锅"
    assert annotate(post).findings == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_week_from_the_template_engine_has_no_error(path: Path) -> None:
    from pipelines.engines.template import TemplateEngine
    from pipelines.tasks import generate_week

    package = generate_week(load_canvas(path), TemplateEngine(seed=0))
    assert package.complete
    errors = [
        (item.id, f.field, f.span)
        for item, fs in scan_package(package)
        for f in fs
        if f.severity == "error"
    ]
    assert errors == []
    stored = {item.id: item.findings for item in package.items()}
    assert stored == {item.id: fs for item, fs in scan_package(package)}


# --- the lexicon -----------------------------------------------------------------------------


def test_the_trie_pattern_prefers_the_longest_word() -> None:
    import re

    pattern = re.compile(trie_pattern(["最佳", "最佳食用", "第一", "第一次"]))
    assert [m.group() for m in pattern.finditer("最佳食用，最佳，第一次，第一")] == [
        "最佳食用",
        "最佳",
        "第一次",
        "第一",
    ]


def test_the_fast_matcher_finds_exactly_what_the_full_pattern_finds() -> None:
    lexicon = load_lexicon()
    claims = ["已售100件", "好评率98%", "10:00", "13812345678", "No.1", "top10", "98%的顾客都选择"]
    claims += ["3000位宝妈都在买", "转发3个群即可领", "上万人都在买", "限量50份", "原价99", "加v"]
    words = [t for r in lexicon.rules for t in r.terms] + claims
    filler = [*"今天的暖锅蔬菜很新鲜，邻居们下单吧。0123456789", "\n"]
    rng = random.Random(7)
    text = "".join(
        rng.choice(words) if rng.random() < 0.2 else rng.choice(filler) for _ in range(5000)
    )
    for channel in (None, "小红书"):
        matcher = lexicon.pattern(channel)
        fast = [(m.span(), m.lastgroup) for m in matcher.finditer(text)]
        assert fast == [(m.span(), m.lastgroup) for m in matcher.full.finditer(text)]
        assert len(fast) > 500


def test_a_part_that_may_start_anywhere_falls_back_to_the_plain_pattern() -> None:
    matcher = Dispatcher([("a", "最[好佳]"), ("b", ".好")])
    assert matcher.starts is None
    assert [m.group() for m in matcher.finditer("最好，很好")] == ["最好", "很好"]
    assert prefixes("最[好佳]|第一") == {"最好", "最佳", "第一"}
    assert prefixes(r"(?<![a-z])no\.?\d") == {"no"}
    assert prefixes("a?") is None
    assert list(Dispatcher([]).finditer("全网最低")) == []


def _lexicon_file(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "compliance.toml"
    path.write_text(LEXICON_PATH.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


BASE_RULE = """
[[rules]]
id = "extra"
kind = "error"
category = "绝对化用语"
law = "测试"
why = "测试"
"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (BASE_RULE + 'terms = ["顶级"]\n', "同时出现在规则"),
        (BASE_RULE + "patterns = ['(最']\n", "正则写错了"),
        (BASE_RULE + "patterns = ['(最)好']\n", "非捕获组"),
        (BASE_RULE.replace('kind = "error"', 'kind = "fatal"'), "kind 或 claim"),
        (BASE_RULE.replace('law = "测试"\n', ""), "缺少字段"),
        ('\n[[rules]\nid = "x"\n', "TOML 格式错误"),
        (BASE_RULE + 'terms = ["  "]\n', "空词"),
    ],
)
def test_a_broken_lexicon_names_the_problem(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(PlaybookError, match=message):
        read_lexicon(_lexicon_file(tmp_path, extra))


def test_the_packaged_lexicon_is_consistent() -> None:
    lexicon = read_lexicon()
    assert {r.category for r in lexicon.rules} == {
        "绝对化用语",
        "虚构数据",
        "医疗功效",
        "诱导分享",
        "站外导流",
        "虚假紧迫",
        "效果保证",
    }
    assert all(r.law and r.why for r in lexicon.rules)
    assert all(r.suggestion for r in lexicon.rules if r.kind != "allow")


# --- normalisation: OpenCC, emoji, joining marks, split characters (issue 11) ----------------


@pytest.mark.parametrize(
    ("text", "span", "channel"),
    [
        ("這款精華能根治痘痘", "根治", None),  # traditional, through OpenCC t2s
        ("全🔥网最低价，快来", "全🔥网最低价", None),  # an emoji between the characters
        ("全-网-最-低价", "全-网-最-低价", None),  # joining marks between Chinese characters
        ("想要的加彳敚信聊", "加彳敚信", "小红书"),  # a split 微
        ("有事找我徽信", "徽信", "小红书"),  # a look-alike 微
        ("想要可以加薇", "加薇", "小红书"),
        ("vx同号，备注小红书", "vx", "小红书"),
    ],
)
def test_disguised_terms_are_found_and_spans_are_the_original(
    text: str, span: str, channel: str | None
) -> None:
    found = scan_text(text, channel=channel)
    assert span in [f.span for f in found if f.severity == "error"]
    assert all(text[f.start : f.end] == f.span for f in found)


def test_a_range_between_digits_is_not_joined() -> None:
    assert load_lexicon().normalise("甩掉5-8公斤").text == "甩掉5-8公斤"


# --- precision principles: each a rule with its reason ---------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("这条裙子最大的亮点在于灯笼袖的设计", "本商品自己的几个设计点"),
        ("这款外套最吸引人的是金色纽扣", "本商品自己最突出的一处设计"),
        ("咖啡豆烘焙后1-3个月风味最佳", "不是和别家比"),
        ("面包最佳储存温度为15-20度", "消费提示"),
        ("也不是越新鲜的豆子就是最好喝的", "否定说法"),
        ("山海关有“天下第一关”之称", "专有名称"),
        ("我们追求极致安全", "目标或理念"),
        ("顾客第一、诚信至上", "经营理念"),
        ("黑巧克力里可可脂含量最高", "可测量的量"),
        ("故宫是世界上最大的古代木结构建筑群", "场馆、建筑"),
    ],
)
def test_a_precision_principle_makes_a_warning_with_its_reason(text: str, reason: str) -> None:
    found = scan_text(text)
    assert found and all(f.severity == "warning" for f in found)
    assert any(reason in f.why for f in found)


def test_a_label_percentage_is_a_warning_and_passes_when_the_canvas_gives_it(
    fresh: Canvas,
) -> None:
    for text in ["面料：棉100%", "100%纯棉面料", "里衬选用100%涤纶"]:
        (finding,) = scan_text(text)
        assert finding.severity == "warning" and "成分标签" in finding.why
    data = fresh.model_dump(mode="json")
    data["products"][0]["features"].append("面料 棉100%")
    labelled = Canvas.model_validate(data)
    assert scan_text("面料：棉100%，亲肤透气", canvas=labelled) == []
    assert has_errors(scan_text("这款面霜100%纯天然成分", canvas=labelled))


def test_a_week_that_copies_label_evidence_has_no_error_against_itself() -> None:
    from pipelines.engines.template import TemplateEngine
    from pipelines.tasks import generate_week

    canvas = load_canvas(EXAMPLES[0])
    data = canvas.model_dump(mode="json")
    data["products"][0]["features"][0] = "面料 棉100%"
    data["products"][0]["evidence"] = ["吊牌标注 棉100%"]
    canvas = Canvas.model_validate(data)
    week = generate_week(canvas, TemplateEngine(seed=0))
    assert any("棉100%" in text for item in week.items() for text in _texts(item))
    assert not any(has_errors(findings) for _, findings in scan_package(week))


def _texts(item) -> list[str]:
    from pipelines.content import iter_texts

    return [text for _, text in iter_texts(item)]


# --- one definition of "a figure the canvas gave" --------------------------------------------


def test_the_models_and_the_checker_share_one_evidence_function(fresh: Canvas) -> None:
    from pipelines.content.evidence import CanvasEvidence, plain

    backing = CanvasEvidence.of(fresh)
    assert backing.unbacked(plain("上周团购复购 126 单")) == []
    assert backing.unbacked(plain("复购500单")) == ["500"]  # 500 is in the canvas only as 500g
    colour = fresh.brand.colors[0].lstrip("#")[:4]
    assert not backing.backs(f"已售{colour}件")  # the brand colours are not evidence
    points = SellingPoints(
        id="fabe-beef",
        product_id="beef",
        product="原切牛肉卷",
        fabe=[Fabe(feature="原切", advantage="口感好", benefit="孩子爱吃", evidence="复购500单")],
        scene_line="下班来不及做饭",
        variants=[ChannelVariant(channel=Channel.GROUP, persona="宝妈", body="原切牛肉卷")],
    )
    with pytest.raises(ValueError, match="500"):
        SellingPoints.model_validate(points.model_dump(), context={"canvas": fresh})


# --- rules from the public rule texts (issue 11): structure, not sentences --------------------


@pytest.mark.parametrize(
    ("text", "category", "channel"),
    [
        ("这款面霜能抗过敏", "医疗功效", None),  # 化妆品禁用语：抗敏、抗过敏
        ("喝了一个月再也不失眠了", "医疗功效", None),  # effect word × condition
        ("失眠的人喝了特别管用", "医疗功效", None),  # condition × effect, the other order
        ("28天淡斑，皮肤透亮", "医疗功效", None),  # a day count with an effect
        ("体重降了5斤", "医疗功效", None),
        ("比吃药还管用", "医疗功效", None),  # 广告法第十七条：与药品混淆
        ("每天一杯，助眠安神", "医疗功效", None),  # 保健功能，普通食品不得宣称
        ("不瘦全额退款", "效果保证", None),
        ("三天就能看到效果", "效果保证", None),
        ("用一次就见效", "效果保证", None),
        ("分享到3个群就送暖锅蔬菜", "诱导分享", None),
        ("转发朋友圈保留24小时送小礼物", "诱导分享", None),
        ("集满38个赞送面膜", "诱导分享", None),
        ("每邀请一位好友奖励5元", "诱导分享", None),
        ("必转！", "诱导分享", None),
        ("好评返现5元", "虚构数据", None),  # 网络交易监督管理办法第十四条
        ("看我主页有惊喜", "站外导流", "小红书"),
        ("电话138-1234-5678", "站外导流", "小红书"),
        ("全网同名，搜一下就有", "站外导流", "小红书"),
        ("加🛰️号聊", "站外导流", "小红书"),  # 卫星 = 微信的谐音
    ],
)
def test_a_rule_from_the_public_texts_is_an_error(text: str, category: str, channel) -> None:
    found = scan_text(text, channel=channel)
    assert (category, "error") in [(f.category, f.severity) for f in found]
    assert all(text[f.start : f.end] == f.span for f in found)


@pytest.mark.parametrize(
    "text", ["5000人已购", "一上架就被抢光", "已抢80%", "市场占有率达35%", "经临床验证"]
)
def test_popularity_and_figures_without_a_canvas_are_warnings(text: str) -> None:
    found = scan_text(text)
    assert found and all(f.severity == "warning" for f in found)


def test_a_negation_does_not_reach_past_also_or_then() -> None:
    assert scan_text("本品不能代替药物治疗") == []
    assert scan_text("不需要转发就能领红包") == []
    assert spans("不用节食也能瘦") == [("也能瘦", "error")]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("最好用温水手洗", "建议"),
        ("冷藏后口感最好", "消费提示"),
        ("最适合冬天喝", "消费提示"),
        ("唯一的要求是冷藏", "分量"),
        ("我们最拿手的是酸菜鱼", "自我介绍"),
        ("竭诚为您提供最好的服务", "服务态度"),
        ("该馆藏品数量居全国第一", "百科"),
        ("珠穆朗玛峰是世界上最高的山峰", "客观事实"),
        ("“最好”“第一”这类字眼要慎用", "被提到的词"),
        ("《最好的我们》", "专有名称"),
    ],
)
def test_an_exemption_from_the_enforcement_guide_is_a_warning(text: str, reason: str) -> None:
    found = scan_text(text)
    assert found and all(f.severity == "warning" for f in found)
    assert any(reason in f.why for f in found)


def test_a_claim_is_still_an_error_next_to_an_exemption() -> None:
    assert spans("这是最好用的锅") == [("最好用", "error")]
    assert ("最好吃", "error") in spans("最普通的面粉做出最好吃的面包")


# --- more structures from the rule texts (sentences written for these tests) ------------------


@pytest.mark.parametrize(
    ("text", "category", "channel"),
    [
        ("每天一杯，补肾健脾", "医疗功效", None),  # 认定准则：中药材效能
        ("帮助排毒素、清宿便", "医疗功效", None),
        ("坚持用能使头发乌黑", "医疗功效", None),  # 改变身体外观
        ("早晚各喝一杯，三个月变白", "医疗功效", None),  # 吃出来的美白
        ("两周减重5斤", "医疗功效", None),
        ("近视度数降了100度", "医疗功效", None),
        ("速白精华，一洗白", "医疗功效", None),  # 化妆品禁用语
        ("让泌尿道好顺畅", "医疗功效", None),
        ("孩子喝了睫毛都长出来了", "医疗功效", None),
        ("彻底根治", "效果保证", None),  # the guarantee part …
        ("彻底根治", "医疗功效", None),  # … and the cure claim after it
        ("吃完不会反弹", "效果保证", None),
        ("效果非常神奇", "效果保证", None),
        ("包治百病", "效果保证", None),
        ("考不过全额退学费", "效果保证", None),  # 广告法第二十四条
        ("命题专家亲自授课", "效果保证", None),
        ("签约班稳上985", "效果保证", None),
        ("加盟三个月回本", "效果保证", None),  # 第二十五条
        ("亩产提高30%", "效果保证", None),  # 第二十七条
        ("转发本文到朋友圈，截图发给客服即可领取小样", "诱导分享", None),
        ("想要红包的朋友只需转发到朋友圈", "诱导分享", None),
        ("关注公众号后回复“福利”领取资料", "诱导分享", None),
        ("分享后才能查看答案", "诱导分享", None),  # 强制分享
        ("转发出去的人都会好运连连", "诱导分享", None),
        ("不转的话会倒霉一整年", "诱导分享", None),
        ("转发到朋友圈并配文，到店享八折", "诱导分享", None),
        ("点赞+在看，抽三位送出", "诱导分享", None),
    ],
)
def test_a_structure_from_the_rule_texts_is_an_error(text: str, category: str, channel) -> None:
    found = scan_text(text, channel=channel)
    assert (category, "error") in [(f.category, f.severity) for f in found]
    assert all(text[f.start : f.end] == f.span for f in found)


def test_a_guarantee_and_the_efficacy_claim_it_guarantees_are_both_reported() -> None:
    found = [(f.category, f.span) for f in scan_text("保证7天瘦10斤")]
    assert ("效果保证", "保证") in found
    assert any(category == "医疗功效" and "瘦" in span for category, span in found)


@pytest.mark.parametrize(
    "text", ["已经抢了三千件", "库存只剩最后两件", "马上就没了", "好多姐妹都在回购", "再加50单"]
)
def test_livestream_figures_in_words_are_warnings_without_a_canvas(text: str) -> None:
    found = scan_text(text, channel="直播间")
    assert found and all(f.severity == "warning" for f in found)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("它最有心思的是领口的刺绣", "本商品自己几处设计"),
        ("最棒的是它的收腰设计", "本商品自己的几处设计"),
        ("水温90度时冲泡最合适", "食用、保存的条件"),
        ("牛排五分熟时最嫩", "消费提示"),
        ("最贵的不一定最好", "否定了它"),
        ("并非喝了就能预防感冒", "否定、辟谣"),
        ("计划到2030年建成世界一流的冷链基地", "计划、规划"),
        ("这件瓷器是永久展品", "事实状态"),
        ("1956年建成的第一座人行天桥", "历史事实"),
        ("趵突泉有天下第一泉的称号", "名胜称号"),
        ("V领设计，视觉上有瘦脸的效果", "视觉上的修饰"),
        ("格纹是永不过时的经典", "审美评价"),
        ("最大程度地保留了麦香", "程度副词"),
        ("珠穆朗玛峰是世界最高峰", "自然和人文地理"),
        ("老店名为“第一楼”", "专有名称"),
    ],
)
def test_a_principle_from_the_rule_texts_makes_a_warning(text: str, reason: str) -> None:
    found = scan_text(text)
    assert found and all(f.severity == "warning" for f in found)
    assert any(reason in f.why for f in found)


@pytest.mark.parametrize(
    "text",
    [
        "高矮胖瘦身型都能穿",
        "衬得双腿纤长高挑",
        "下单截图发到群里即可领取小礼品",
        "欢迎分享给需要的朋友",
    ],
)
def test_words_that_only_look_like_a_claim_are_clean(text: str) -> None:
    assert not has_errors(scan_text(text))
