"""What the template engine writes fits the product and the week, over every example and test canvas.

Each test checks one property an operator read found broken, at the mechanism, on all canvases
(the shipped examples and tests/data/canvases): care, usage and demo lines fit the product's own
form; season words follow the canvas dates; product evidence reaches the FABE and the live; an
Advantage never repeats its Feature; a card speaks to one persona; mechanics come from the canvas
only; the live's prices and mechanics are the live's own; the operator's deposit rules and a
time-limited price are stated as the canvas gives them; no neutral filler is posted.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from pipelines.canvas import Canvas, load_canvas
from pipelines.content import WeekPackage, iter_texts
from pipelines.content.base import format_price
from pipelines.content.evidence import assign_evidence
from pipelines.content.honesty import Honesty, backed_mechanics, product_forms, week_seasons
from pipelines.engines.template import TemplateEngine
from pipelines.engines.template.common import Facts, Writer, customer_notes, shift
from pipelines.engines.template.fabe import fabe_items, split_feature
from pipelines.playbook import load_playbook
from pipelines.tasks import generate_week

ROOT = Path(__file__).resolve().parent.parent
CANVASES = sorted((ROOT / "assets" / "examples").glob("*.toml")) + sorted(
    (ROOT / "tests" / "data" / "canvases").glob("*.toml")
)
IDS = [p.stem for p in CANVASES]
_CACHE: dict[str, WeekPackage] = {}


def week(path: Path) -> WeekPackage:
    if path.name not in _CACHE:
        _CACHE[path.name] = generate_week(load_canvas(path), TemplateEngine(seed=0))
    return _CACHE[path.name]


@pytest.fixture(params=CANVASES, ids=IDS)
def package(request) -> WeekPackage:
    return week(request.param)


def _where(condition) -> list[Path]:
    """The canvases a property is about (a test of the live runs on the canvases with one)."""
    return [p for p in CANVASES if condition(load_canvas(p))]


def _has_deposit(canvas) -> bool:
    return "订金" in canvas.warmup.methods and "订金" in customer_notes(canvas.warmup.notes)


LIVE = _where(lambda c: c.burst.livestream_day is not None)
NO_GROUP_BUY = _where(lambda c: "接龙下单" not in backed_mechanics(c))
DEPOSIT = _where(_has_deposit)
SPELLED = _where(lambda c: any(m in c.warmup.notes for m in c.warmup.methods))


@pytest.fixture(params=LIVE, ids=[p.stem for p in LIVE])
def live_package(request) -> WeekPackage:
    return week(request.param)


@pytest.fixture(params=NO_GROUP_BUY, ids=[p.stem for p in NO_GROUP_BUY])
def no_group_buy_package(request) -> WeekPackage:
    return week(request.param)


@pytest.fixture(params=DEPOSIT, ids=[p.stem for p in DEPOSIT])
def deposit_package(request) -> WeekPackage:
    return week(request.param)


@pytest.fixture(params=SPELLED, ids=[p.stem for p in SPELLED])
def spelled_package(request) -> WeekPackage:
    return week(request.param)


def texts(package: WeekPackage) -> list[tuple[str, str, str]]:
    """(item id, path, text) for every customer-facing text of the week."""
    skip = ("activity_type", "form", "goal", "persona", "situation", "operator_notes")
    return [
        (item.id, path, text)
        for item in package.items()
        for path, text in iter_texts(item)
        if not path.split(".")[-1].split("[")[0].endswith(skip)
    ]


def live_lines(package: WeekPackage) -> list[str]:
    script = package.livestream
    assert script is not None
    lines = [line.words for act in script.acts for block in act.blocks for line in block.lines]
    lines += [line.words for seg in script.segments for step in seg.steps for line in step.lines]
    return lines


def writer_for(canvas: Canvas, seed: int = 0) -> Writer:
    return Writer(canvas, load_playbook(), random.Random(seed), Facts(canvas), seed=seed)


def beauty(**changes) -> Canvas:
    """The skincare test canvas (dropper serum, vacuum-pump cream, tube cleanser, jar balm)."""
    canvas = load_canvas(ROOT / "tests" / "data" / "canvases" / "skincare_winter.toml")
    return canvas.model_copy(update=changes) if changes else canvas


# --- care, usage and demo lines fit the product's own form ------------------------------------


def test_the_test_canvases_cover_the_forms_that_were_confused():
    canvas = beauty()
    forms = {p.id: product_forms(p) for p in canvas.products}
    assert "滴管" in forms["serum"] and "按压泵" in forms["cream"] and "罐装" in forms["balm"]
    assert "罐装" not in forms["serum"] | forms["cream"]
    assert "旋盖" not in forms["cream"], "a vacuum pump has no cap to screw tight"
    assert "软管" not in forms["serum"], "a dropper bottle is not squeezed"


def test_no_line_presumes_a_form_its_product_does_not_have(package):
    honesty = Honesty(package.canvas)
    found = [(item.id, line) for item in package.items() for line in honesty._form_problems(item)]
    assert found == []


def test_care_and_usage_options_are_chosen_by_the_product_form():
    canvas = beauty()
    writer = writer_for(canvas)
    trade = writer.facts.trade
    for product in canvas.products:
        care = writer.clean(trade.care, product)
        usage = writer.clean(trade.usage, product)
        live = writer.clean(trade.voice.live_lines, product)
        chosen = " ".join(care + usage + live)
        forms = product_forms(product)
        if "罐装" not in forms:
            assert "小勺" not in chosen and "罐装面霜" not in chosen, product.name
        if "旋盖" not in forms:
            assert "拧紧" not in chosen, product.name
        if "软管" not in forms:
            assert "挤一点" not in chosen and "挤出" not in chosen, product.name
        if "粉扑" not in forms:
            assert "粉扑" not in chosen, product.name
        if "按压泵" not in forms:
            assert "泵头" not in chosen, product.name
        # neutral lines are always left for a product whose fields say nothing of its form
        assert care and usage and live


def test_a_product_that_says_nothing_of_its_form_gets_only_neutral_lines():
    canvas = beauty()
    plain = canvas.products[0].model_copy(
        update={"specs": "30ml", "features": ["含积雪草提取物", "质地偏水"], "name": "舒缓精华"}
    )
    canvas = canvas.model_copy(update={"products": [plain]})
    writer = writer_for(canvas)
    containers = {"罐装", "按压泵", "滴管", "旋盖", "软管", "粉扑", "化妆刷"}
    assert product_forms(plain) & containers == set()  # a serum still has an ingredient list
    for line in writer.clean(writer.facts.trade.care, plain):
        assert not writer.honesty.presumed(line) & containers, line


# --- season words follow the canvas dates -------------------------------------------------------


def test_no_season_word_outside_the_week_season(package):
    honesty = Honesty(package.canvas)
    found = [(item, path, honesty.off_season(text)) for item, path, text in texts(package)]
    assert [f for f in found if f[2]] == []


def test_the_test_canvases_span_winter_and_summer():
    seasons = {key for p in CANVASES for key in week_seasons(load_canvas(p))}
    assert {"冬", "夏"} <= seasons


def test_a_light_texture_in_december_is_not_sold_as_a_summer_comfort():
    canvas = beauty()
    serum = canvas.product("serum").model_copy(update={"features": ["质地清爽轻薄", "滴管取用"]})
    canvas = canvas.model_copy(update={"products": [serum, *canvas.products[1:]]})
    items = fabe_items(writer_for(canvas), serum)
    assert not any(word in item.benefit for item in items for word in ("夏天", "闷热", "夏日"))
    summer = canvas.model_copy(update={"week_start": canvas.week_start.replace(month=7)})
    items = fabe_items(writer_for(summer), summer.product("serum"))
    assert any("夏天" in item.benefit for item in items), "in July the lexicon's gain is fine"


# --- evidence given for a product is used ------------------------------------------------------


def test_every_product_with_evidence_has_it_in_its_fabe(package):
    for points in package.selling_points:
        product = package.canvas.product(points.product_id)
        shown = [chain.evidence for chain in points.fabe if chain.evidence]
        assert all(line in product.evidence for line in shown)
        if product.evidence:
            assert shown, f"{product.name} has evidence but its FABE shows none"
        expected = min(len(product.evidence), len(points.fabe))
        assert len(set(shown)) >= min(expected, 1)


def test_product_level_evidence_goes_to_the_features_no_line_matched():
    features = ["滴管设计，用量好控制", "含神经酰胺", "质地清爽"]
    evidence = ["第三方报告可在直播间出示", "神经酰胺含量见成分表"]
    assert assign_evidence(features, evidence) == ["第三方报告可在直播间出示", evidence[1], ""]
    assert assign_evidence(["质地清爽"], []) == [""]


def test_evidence_that_can_be_shown_in_the_live_is_shown_there(live_package):
    lines = " ".join(live_lines(live_package))
    for product in live_package.canvas.products:
        for line in product.evidence:
            if "直播间" in line or "出示" in line:
                assert line.rstrip("。") in lines, line


# --- FABE: Advantage is not the Feature again; one card, one reader ----------------------------


def test_advantage_never_repeats_the_feature(package):
    for points in package.selling_points:
        for chain in points.fabe:
            assert chain.advantage != chain.feature, chain
            assert chain.advantage not in chain.feature, chain


def test_a_feature_with_its_own_effect_is_split_into_f_and_a():
    assert split_feature("滴管设计，用量好控制") == ("滴管设计", "用量好控制")
    assert split_feature("动物奶油") == ("动物奶油", "")


def test_a_card_speaks_to_one_persona(package):
    names = [p.name for p in package.canvas.personas]
    for points in package.selling_points:
        lead = next((n for n in names if n in points.scene_line), None)
        for chain in points.fabe:
            named = {n for n in names if n in chain.benefit}
            assert named <= ({lead} if lead else set(names)), (points.product, chain.benefit)
        for variant in points.variants:
            others = [n for n in names if n != variant.persona and n not in variant.persona]
            assert not any(n in variant.body for n in others), (variant.persona, variant.body)


def test_seeding_posts_speak_to_one_persona(package):
    names = [p.name for p in package.canvas.personas]
    for post in package.calendar.posts:
        if post.product_id is None:
            continue
        named = [n for n in names if n in post.body and not any(n in m and n != m for m in names)]
        assert len(set(named)) <= 1, (post.title, named)


# --- mechanics come from the canvas only -------------------------------------------------------


def test_no_order_chain_without_a_group_buy(no_group_buy_package):
    for item, _path, text in texts(no_group_buy_package):
        assert not re.search("接龙下单|直接接龙|跟着接龙|跟接龙|在群里接龙", text), (item, text)


# --- the live: its own prices, the canvas's coupons, draw and demo ------------------------------


def test_the_live_names_no_flash_sale_that_runs_outside_it(live_package):
    canvas = live_package.canvas
    facts = Facts(canvas)
    inside = set(facts.flash_in_live())
    outside = [t for t in facts.flash_times if t not in inside]
    start = canvas.burst.livestream_time
    end = shift(start, canvas.burst.livestream_minutes)
    for line in live_lines(live_package):
        assert "轮流" not in line and "每天一场" not in line, line
        for time in outside:
            if not start <= time <= end:
                assert time not in line, line
        if not inside:
            assert "秒杀" not in line, line


def test_the_live_states_the_canvas_coupon_and_bundle_with_its_numbers(live_package):
    canvas = live_package.canvas
    lines = " ".join(live_lines(live_package))
    notes = customer_notes(canvas.burst.notes) + "，" + customer_notes(canvas.warmup.notes)
    clauses = [c.strip() for c in re.split(r"[，,；;。]", notes) if c.strip()]
    for method, words in (("优惠券", ("券",)), ("套餐", ("套餐",))):
        if method in canvas.burst.methods:
            for clause in clauses:
                if any(w in clause for w in words):
                    assert clause in lines, clause


def test_the_live_holds_the_draw_the_canvas_plans(live_package):
    canvas = live_package.canvas
    lines = live_lines(live_package)
    planned = "订金抽奖" in canvas.warmup.methods
    assert any("抽奖" in line for line in lines) == planned or not planned
    if planned:
        clauses = [
            c.strip()
            for c in re.split(r"[，,；;。]", customer_notes(canvas.warmup.notes))
            if "抽奖" in c
        ]
        assert all(any(c in line for line in lines) for c in clauses), clauses


def test_the_live_demo_is_built_from_that_product(live_package):
    """Each product's demo names that product or its own features, never another's."""
    canvas = live_package.canvas
    for segment in live_package.livestream.segments:
        product = canvas.product(segment.product_id)
        others = [p.name for p in canvas.products if p.id != product.id]
        demo = next(step for step in segment.steps if "演示" in step.title)
        for line in demo.lines:
            assert not any(name in line.words for name in others), line.words


# --- the operator's own mechanics, stated as written ---------------------------------------------


def test_a_deposit_post_states_the_operator_rules_and_nothing_else(deposit_package):
    canvas = deposit_package.canvas
    notes = customer_notes(canvas.warmup.notes)
    posts = [p for p in deposit_package.calendar.posts if "订金" in p.title]
    assert posts
    for post in posts:
        assert notes in post.body
        if "尾款" not in canvas_words_of(canvas):
            assert "尾款" not in post.body


def canvas_words_of(canvas: Canvas) -> str:
    return canvas.model_dump_json()


def test_a_flash_sale_price_is_never_given_as_the_all_day_price(package):
    canvas = package.canvas
    facts = Facts(canvas)
    for product in canvas.products:
        if not facts.flash_only(product):
            continue
        promo = f"活动价{format_price(product.promo_price)}元"
        for post in package.calendar.posts:
            if promo in post.body:
                assert post.time in facts.flash_times, (post.title, post.time)


# --- no filler ----------------------------------------------------------------------------------


def test_neutral_benefit_frames_are_never_posted(package):
    frames = load_playbook().selling.benefits
    stems = [re.split(r"\{[a-z_]+\}", f) for f in frames]
    for post in package.calendar.posts:
        for parts in stems:
            fixed = [p for p in parts if len(p) >= 4]
            assert not all(p in post.body for p in fixed), (post.title, post.body)


def test_a_promo_price_with_a_condition_is_given_with_it(package):
    """「12 月 23 日当天下单的…168 元」: the promo price is never posted as a plain 活动价."""
    canvas = package.canvas
    facts = Facts(canvas)
    for product in canvas.products:
        condition = facts.promo_condition(product)
        if not condition or facts.flash_only(product):
            continue
        promo = f"活动价{format_price(product.promo_price)}元"
        for post in package.calendar.posts:
            assert promo not in post.body, (post.title, post.body)
        for poster in package.posters:
            if poster.product_id == product.id and poster.price is not None:
                assert poster.price.note != "活动价", poster


def test_the_conditional_price_canvases_are_covered():
    found = [
        p.stem
        for p in CANVASES
        for product in load_canvas(p).products
        if Facts(load_canvas(p)).promo_condition(product)
    ]
    assert {"cake_studio", "bakery"} <= set(found)


def test_a_warmup_method_the_notes_spell_out_goes_on_the_first_warmup_day(spelled_package):
    canvas = spelled_package.canvas
    notes = canvas.warmup.notes
    spelled = [m for m in canvas.warmup.methods if m in notes]
    titles = {
        "订金": "订金",
        "订金抽奖": "抽奖",
        "预约": "预约",
        "定金膨胀": "定金",
        "1元付": "1元付",
        "倒计时": "倒计时",
        "预告": "预告",
        "加群": "进群",
    }
    from pipelines.engines.template.plan import warmup_days

    first = warmup_days(canvas)[0] if warmup_days(canvas) else None
    posts = [
        p
        for p in spelled_package.calendar.posts
        if titles[spelled[0]] in p.title and p.form == "活动型图文"  # the warm-up posts
    ]
    if first is not None and posts:
        assert min(p.day for p in posts) == first, [(p.day, p.title) for p in posts]


def test_neutral_advantage_frames_are_never_posted(package):
    """A feature the lexicon does not know is posted alone, not with a neutral frame after it."""
    canvas = package.canvas
    writer = writer_for(canvas)
    for post in package.calendar.posts:
        if post.product_id is None:
            continue
        product = canvas.product(post.product_id)
        values = writer.facts.product_vars(product)
        for frame in load_playbook().selling.advantages:
            assert writer.fill(frame, values) not in post.body, (post.title, post.body)


def test_gear_is_never_given_an_ingredient_list():
    """A leash or a scratcher has no 成分表: lines that presume one go to food and cosmetics."""
    for path in CANVASES:
        package = week(path)
        canvas = package.canvas
        for post in package.calendar.posts:
            if post.product_id is None:
                continue
            product = canvas.product(post.product_id)
            if "配料" not in product_forms(product):
                assert "成分表" not in post.body and "换粮" not in post.body, (
                    post.title,
                    post.body,
                )


def test_no_line_says_the_same_clause_twice(package):
    """「满减和优惠券可同享」 once, even when two burst methods' notes share the clause."""
    for post in package.calendar.posts:
        for line in post.body.split("\n"):
            clauses = [c for c in re.split(r"[，。；！]", line) if len(c) >= 6]
            assert len(clauses) == len(set(clauses)), (post.title, line)


def test_a_one_product_evening_recap_does_not_speak_of_several():
    several = load_playbook().phrases.several_products
    for path in CANVASES:
        package = week(path)
        for post in package.calendar.posts:
            if "晚" not in post.title and "小结" not in post.title:
                continue
            named = [p.name for p in package.canvas.products if p.name in post.body]
            if len(named) == 1:
                recap = [line for line in post.body.split("\n") if named[0] in line]
                assert not any(w in line for line in recap for w in several if "{" not in w), recap


def test_an_accessory_is_not_a_garment():
    """A scrunchie has no 版型 and is not tried on; a shirt is."""
    canvas = load_canvas(ROOT / "tests" / "data" / "canvases" / "boutique.toml")
    forms = {p.id: product_forms(p) for p in canvas.products}
    assert "成衣" in forms["shirt"] and "成衣" not in forms["scrunchie"]
    package = week(ROOT / "tests" / "data" / "canvases" / "boutique.toml")
    for post in package.calendar.posts:
        if post.product_id == "scrunchie":
            assert not re.search("版型|试穿|上身", post.body), post.body
