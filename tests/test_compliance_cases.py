"""The compliance checker against a table of realistic sentences, with precision and recall.

Every sentence is checked against the fresh-food example canvas (plus a registered trademark
「鲜之最」), so evidence claims are held to the canvas's numbers. A violating sentence must yield
an error with the expected category and span; an exempt one a warning; a clean one nothing.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from pipelines.canvas import Canvas, load_canvas
from pipelines.compliance import scan_text
from tests.conftest import ROOT


class Case(NamedTuple):
    text: str
    category: str | None = None  # None: nothing may be reported
    span: str = ""
    channel: str | None = None


ABS, DATA, MED, SHARE, OFFSITE, URGENT = (
    "绝对化用语",
    "虚构数据",
    "医疗功效",
    "诱导分享",
    "站外导流",
    "虚假紧迫",
)
XHS = "小红书"

VIOLATIONS = [
    # 绝对化用语, including spaced, full-width and traditional variants
    Case("本周牛肉卷全网最低价，错过等下周", ABS, "全网最低价"),
    Case("这款菌菇汤底是全城最好喝的", ABS, "全城最好喝"),
    Case("我们家的牛肉卷是最新鲜的，当天到货", ABS, "最新鲜"),
    Case("暖锅蔬菜拼盘，品质顶级，一盒配齐", ABS, "顶级"),
    Case("极致鲜嫩的口感，涮8秒就熟", ABS, "极致"),
    Case("原切牛肉卷，行业第一的品质", ABS, "行业第一"),
    Case("销量第一的暖锅套餐又来了", ABS, "销量第一"),
    Case("NO.1 的社区团购群，欢迎邻居们", ABS, "NO.1"),
    Case("ＴＯＰ１爆款精华，冬天必备", ABS, "ＴＯＰ１"),
    Case("全 网 最 低 价，只在今晚", ABS, "全 网 最 低 价"),
    Case("全網最低價，搶到就是賺到", ABS, "全網最低價"),
    Case("這是最好吃的牛肉卷", ABS, "最好吃"),
    Case("唯一一家冷链直送到小区的团购", ABS, "唯一"),
    Case("独家配方的菌菇汤底", ABS, "独家"),
    Case("宝妈首选的辅食米粉", ABS, "首选"),
    Case("这款面霜100%纯天然成分", ABS, "100%"),
    Case("这款面霜１００％温和", ABS, "１００％"),
    Case("买了绝对不后悔", ABS, "绝对"),
    Case("永久保修，放心买", ABS, "永久"),
    Case("万能清洁膏，厨房浴室都能用", ABS, "万能"),
    Case("国家级非遗工艺制作", ABS, "国家级"),
    Case("世界领先的冻干技术", ABS, "世界领先"),
    Case("十年老店，最受欢迎的就是这款", ABS, "最受欢迎"),
    Case("价格最低的一次，赶紧囤", ABS, "价格最低"),
    Case("这锅汤底是冬天的天花板", ABS, "天花板"),
    Case("史上最低价，只此一回", ABS, "史上最低价"),
    Case("首家社区生鲜冷链自提点", ABS, "首家"),
    Case("No 1 的口碑，邻居都知道", ABS, "No 1"),
    Case("冬天吃暖锅，最佳选择就是它", ABS, "最佳"),
    Case("这款洁面是敏感肌的最优解", ABS, "最优"),
    Case("冬天涮锅，这款牛肉卷没有之一", ABS, "没有之一"),
    Case("至尊礼盒限时上架", ABS, "至尊"),
    Case("人气第１的冬季面霜", ABS, "人气第１"),
    # 虚构数据 (the canvas gives: prices 59.9/39.9/19.9/15.9/12.8, stock 200/150, 复购 126 单)
    Case("牛肉卷已售10000件，回头客超多", DATA, "已售10000件"),
    Case("上线三天卖出5万+份", DATA, "卖出5万+份"),
    Case("库存仅剩3件，要的抓紧", DATA, "库存仅剩3件"),
    Case("好评率高达99%，宝妈都在回购", DATA, "好评率高达99%"),
    Case("98%的顾客都选择回购", DATA, "98%的顾客都选择"),
    Case("3000位宝妈都在买的辅食", DATA, "3000位宝妈都在买"),
    Case("销量破万的暖锅套餐", DATA, "销量破万"),
    Case("荣获省级农博会优质农产品称号", DATA, "荣获"),
    Case("研究表明，菌菇汤底营养更全面", DATA, "研究表明"),
    Case("数据显示，八成家庭冬天爱吃暖锅", DATA, "数据显示"),
    Case("原价99元，今天只要39.9", DATA, "原价99"),
    Case("复购率达到80%，邻居们都说好", DATA, "复购率达到80%"),
    Case("上周接龙了500单，今天继续", DATA, "接龙了500单"),
    Case("限量50份，先到先得", DATA, "限量50份"),
    Case("专家推荐的冬季暖锅搭配", DATA, "专家推荐"),
    Case("上万人都在买的牛肉卷", DATA, "上万人都在买"),
    Case("零差评的蔬菜拼盘", DATA, "零差评"),
    Case("排名第3的人气团品", DATA, "排名第3"),
    Case("月销3000单的菌菇汤底", DATA, "月销3000单"),
    Case("门店价89元，群里只要39.9", DATA, "门店价89"),
    Case("开团五分钟，只剩 8 份了！", DATA, "只剩 8 份"),
    Case("用了一周，保湿力提升50%", DATA, "提升50%"),
    # 医疗功效
    Case("菌菇汤底能治疗失眠", MED, "治疗失眠"),
    Case("坚持吃能降血糖", MED, "降血糖"),
    Case("蔬菜拼盘帮你排毒，清清爽爽", MED, "排毒"),
    Case("这款精华能根治痘痘", MED, "根治"),
    Case("每天一杯提高免疫力", MED, "提高免疫力"),
    Case("牛肉卷高蛋白，吃了减肥不长胖", MED, "减肥"),
    Case("纯天然无副作用，孕妇也放心", MED, "无副作用"),
    Case("菌菇汤底抗癌防老", MED, "抗癌"),
    Case("这款面霜有消炎功效", MED, "消炎"),
    Case("宝宝米粉能缓解便秘", MED, "缓解便秘"),
    Case("吃火锅记得配刮油蔬菜", MED, "刮油"),
    Case("红枣枸杞汤，降三高好帮手", MED, "降三高"),
    Case("蔬菜拼盘富含维生素，帮助增强体质", MED, "增强体质"),
    # 诱导分享
    Case("转发到朋友圈，截图给群主即可领红包", SHARE, "转发到朋友圈，截图"),
    Case("集赞30个免费送菌菇汤底", SHARE, "集赞"),
    Case("转发3个群即可参与抽奖", SHARE, "转发3个群即可参与"),
    Case("不转不是邻居", SHARE, "不转不是"),
    Case("邀请5位好友助力，免费领牛肉卷", SHARE, "邀请5位好友助力"),
    Case("分享给3个好友后才能解锁优惠券", SHARE, "分享给3个好友后才能解锁"),
    Case("帮我砍一刀，差一点就免费了", SHARE, "砍一刀"),
    Case("朋友圈点赞满20个送小礼品", SHARE, "点赞满20"),
    Case("转发此条有好运", SHARE, "转发此条有好运"),
    Case("好友助力3次就能领", SHARE, "好友助力"),
    Case("分享到3个群就送暖锅蔬菜", SHARE, "分享到3个群就送"),
    Case("晒到朋友圈就送一份汤底", SHARE, "晒到朋友圈就送"),
    # 站外导流 (小红书 only)
    Case("想要同款的姐妹加微信咨询", OFFSITE, "加微信", XHS),
    Case("私信领取试用装", OFFSITE, "私信领取", XHS),
    Case("评论区扣1，我私发链接", OFFSITE, "私发", XHS),
    Case("VX：xiguang2026，备注小红书", OFFSITE, "VX：", XHS),
    Case("淘宝搜店名就能买到", OFFSITE, "淘宝", XHS),
    Case("二维码在图三，扫一扫", OFFSITE, "二维码", XHS),
    Case("加v了解详情", OFFSITE, "加v", XHS),
    Case("电话13812345678随时问我", OFFSITE, "13812345678", XHS),
    Case("关注公众号看更多护肤干货", OFFSITE, "公众号", XHS),
    Case("拼多多同款更便宜", OFFSITE, "拼多多", XHS),
    # 虚假紧迫
    Case("马上恢复原价，抓紧下单", URGENT, "马上恢复原价"),
    Case("价格随时上调，先囤为敬", URGENT, "价格随时上调"),
    Case("过几天就涨价了，现在入手", URGENT, "过几天就涨价"),
    Case("错过再等一年", URGENT, "错过再等一年"),
    Case("错过今天就没有这个价", URGENT, "错过今天就没有"),
    Case("这价格再也买不到了", URGENT, "再也买不到"),
    Case("随时可能恢复原价", URGENT, "随时可能恢复原价"),
    Case("即将涨价，要的姐妹抓紧", URGENT, "即将涨价"),
    Case("永不再有的价格", URGENT, "永不再有"),
]

EXEMPT = [
    Case("第一次参加团购的邻居，看这里", ABS, "第一次"),
    Case("开团第一天，先给大家发个红包", ABS, "第一天"),
    Case("入冬第一周，主打热乎暖锅", ABS, "第一周"),
    Case("第一款给大家介绍的是原切牛肉卷", ABS, "第一款"),
    Case("最佳食用时间是收到后三天内", ABS, "最佳食用"),
    Case("建议在最佳赏味期内吃完", ABS, "最佳赏味"),
    Case("比上一代配方，这次的保湿效果最好", ABS, "最好"),
    Case("本店最畅销的就是这款牛肉卷", ABS, "最畅销"),
    Case("这是我们团里人气最高的单品之一", ABS, "最高"),
    Case("鲜之最牛肉卷今天到货", ABS, "鲜之最"),
    Case("最高立减 20 元，以下单页为准", ABS, "最高立减"),
    Case("新品首发，会员先试", ABS, "首发"),
    Case("孩子最爱的一道菜", ABS, "最爱"),
    Case("手慢无，10 点准时开抢", URGENT, "手慢无"),
    Case("冬天多喝汤，帮助养胃", MED, "养胃"),
    Case("邀请3位邻居进群，送一份菌菇汤底", SHARE, "邀请3位邻居进群，送"),
]

CLEAN = [
    Case("最近降温，晚上来一锅热乎的暖锅吧"),
    Case("最后提醒一次，今晚 20:00 截团"),
    Case("最好提前一天下单，次日上午送到自提点"),
    Case("每人最多限购 2 份，先到先得"),
    Case("第一步，把汤底倒进锅里加水煮开"),
    Case("第一件原价，第二件半价"),
    Case("开团后第一时间在群里通知大家"),
    Case("原切牛肉卷原价 59.9，本周活动价 39.9"),
    Case("上周团购复购 126 单，谢谢邻居们的信任"),
    Case("每批附检疫合格证明，吃得放心"),
    Case("10:00 准时开抢，12:00 第二轮秒杀"),
    Case("库存以下单页为准，卖完即止"),
    Case("欢迎把群分享给住在附近的邻居"),
    Case("本次抽奖不以转发、集赞为条件，群里的邻居都能参与"),
    Case("12月2日24:00截团，之后恢复原价"),
    Case("涮 8 秒即熟，孩子也爱吃"),
    Case("菌菇汤底不加味精，一袋够四口之家一锅"),
    Case("次日达，坏损包赔"),
    Case("晚安，明天早上 8:00 见"),
    Case("暖锅蔬菜拼盘，当天早上从基地采摘"),
    Case("本周牛肉卷库存 200 份，蔬菜拼盘 150 份"),
    Case("这周的最新消息：周三开团"),
    Case("最晚周二晚上 22:00 前下单"),
    Case("下单后最快次日送达"),
    Case("群里发个红包，大家热闹一下"),
    Case("秒杀链接 10:00 准时发到群里"),
    Case("加群备注小区名，方便团长核对", channel="社群"),
    Case("扫码进群，每周三开团", channel="朋友圈"),
    Case("冬天喝碗热汤，暖身又暖胃"),
    Case("这款面霜质地清爽，上妆前也能用"),
    Case("拼团 2 人成团，邀请邻居一起拼更划算"),
    Case("砍价活动不要求分享朋友圈"),
    Case("买 2 份以上更划算"),
    Case("满 100 减 20，可以和邻居拼单"),
    Case("有问题随时私聊团长", channel="社群"),
    Case("这锅汤的最大特点是鲜"),
    Case("巴氏杀菌的鲜牛奶，冷藏保存"),
    Case("调理好的牛肉片，开袋就能下锅"),
    Case("评论区聊聊你家冬天爱吃什么锅", channel=XHS),
    Case("本品不能代替药物治疗", channel=XHS),
    Case("还有十分钟开团，先发一轮红包"),
    Case("截团后统一配送，周五到自提点"),
    Case("最开始只是小区里十几户一起拼单"),
    Case("下班最怕的就是菜市场已经收摊"),
    Case("这锅汤太治愈了，下班回家喝一碗"),
    Case("周末不用去火锅店，在家就能涮"),
    Case("下单截图发到群里即可领取小礼品"),
    Case("每人限量2份，先到先得"),
    Case("已有2个孩子的宝妈都知道，晚饭要快"),
    Case("晒图到群里，抽 3 位邻居送汤底"),
    Case("妈妈们最关心的是安全，每批都有检疫合格证明"),
    Case("最重要的是，每批都有检疫合格证明"),
    Case("今晚 8 点发红包，抢到最大红包的邻居再送一份汤底"),
    Case("本周接龙数据统计好了，明天公布"),
]


@pytest.fixture(scope="module")
def canvas() -> Canvas:
    base = load_canvas(ROOT / "assets" / "examples" / "fresh_groupbuy.toml")
    data = base.model_dump(mode="json")
    data["brand"]["trademarks"] = ["鲜之最", "邻里鲜"]
    return Canvas.model_validate(data)


def _found(case: Case, canvas: Canvas) -> list[tuple[str, str, str]]:
    findings = scan_text(case.text, canvas=canvas, channel=case.channel)
    for f in findings:
        assert case.text[f.start : f.end] == f.span
    return [(f.category, f.span, f.severity) for f in findings]


def test_the_tables_are_as_large_as_promised() -> None:
    assert len(VIOLATIONS) >= 80 and len(EXEMPT) + len(CLEAN) >= 40
    categories = {c.category for c in VIOLATIONS}
    assert categories == {ABS, DATA, MED, SHARE, OFFSITE, URGENT}


@pytest.mark.parametrize("case", VIOLATIONS, ids=lambda c: c.text)
def test_a_violation_is_an_error_with_its_category_and_span(case: Case, canvas: Canvas) -> None:
    assert (case.category, case.span, "error") in _found(case, canvas)


@pytest.mark.parametrize("case", EXEMPT, ids=lambda c: c.text)
def test_an_exemption_is_a_warning_with_its_reason(case: Case, canvas: Canvas) -> None:
    found = _found(case, canvas)
    assert (case.category, case.span, "warning") in found
    assert all(severity == "warning" for *_, severity in found)


@pytest.mark.parametrize("case", CLEAN, ids=lambda c: c.text)
def test_a_clean_sentence_has_no_finding(case: Case, canvas: Canvas) -> None:
    assert _found(case, canvas) == []


def test_precision_and_recall_over_the_whole_table(canvas: Canvas, capsys) -> None:
    hits = reported = correct = 0
    for case in VIOLATIONS:
        errors = [(c, s) for c, s, severity in _found(case, canvas) if severity == "error"]
        expected = (case.category, case.span)
        hits += expected in errors
        reported += len(errors)
        correct += errors.count(expected)
    clean_errors = sum(
        severity == "error" for case in EXEMPT + CLEAN for *_, severity in _found(case, canvas)
    )
    reported += clean_errors
    recall, precision = hits / len(VIOLATIONS), correct / max(reported, 1)
    with capsys.disabled():
        print(
            f"\n合规检查：{len(VIOLATIONS)} 句违规、{len(EXEMPT)} 句例外、{len(CLEAN)} 句合规；"
            f"召回率 {recall:.3f}，精确率 {precision:.3f}，合规/例外句被判错误 {clean_errors} 次"
        )
    assert recall >= 0.95 and precision >= 0.95
    assert clean_errors == 0
