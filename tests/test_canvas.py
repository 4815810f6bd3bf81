"""The canvas rules: good inputs load, bad ones get a Chinese message naming the field and the fix."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path

import pytest

from pipelines.canvas import Canvas, canvas_schema, load_canvas, parse_canvas, read_canvas_text
from pipelines.errors import CanvasError
from tests.conftest import EXAMPLES, ROOT

BASE = tomllib.loads((ROOT / "assets/examples/fresh_groupbuy.toml").read_text(encoding="utf-8"))


def changed(path: str, value: object) -> dict:
    """BASE with one value replaced (dotted path, list indexes as numbers); None deletes."""
    data = copy.deepcopy(BASE)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target = data
    for part in parents:
        target = target[part]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return data


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_canvas_loads(path: Path) -> None:
    canvas = load_canvas(path)
    assert canvas.products and len(canvas.days) == 7


def test_products_without_ids_are_numbered_in_order() -> None:
    data = copy.deepcopy(BASE)
    for product in data["products"]:
        del product["id"]
    canvas = parse_canvas(data)
    assert [p.id for p in canvas.products] == ["p1", "p2", "p3"]


def test_defaults_fill_what_may_be_left_out() -> None:
    data = changed("burst", None)
    data = {k: v for k, v in data.items() if k not in {"warmup", "channels", "group_rules"}}
    canvas = parse_canvas(data)
    # No mechanic by default: a flash sale runs only when the operator chooses one.
    assert canvas.burst.methods == [] and canvas.burst.flash_sale_times == []
    assert [c.value for c in canvas.channels] == ["社群", "朋友圈"]
    assert canvas.warmup.methods == ["预告", "加群"]


BAD_INPUTS = [
    ("no products", changed("products", []), "商品：至少需要 1 项"),
    ("missing name", changed("name", None), "活动名称：缺少必填项"),
    ("unknown field", {**BASE, "colour": "red"}, "「colour」是未知字段"),
    ("promo above price", changed("products.0.promo_price", 99), "活动价 99 高于原价"),
    ("negative price", changed("products.1.price", -1), "商品「暖锅蔬菜拼盘」.原价：必须大于 0"),
    ("price is text", changed("products.0.price", "很便宜"), "商品「原切牛肉卷」.原价：应为数字"),
    ("bad date", changed("week_start", "2026-13-40"), "周开始日期：应为日期"),
    (
        "huge description",
        changed("theme.description", "好" * 20000),
        "IP主题.主题说明：太长：最多 600 个字",
    ),
    ("bad time", changed("burst.flash_sale_times", ["25:00"]), "时间格式应为 HH:MM"),
    ("bad colour", changed("brand.colors", ["red"]), "颜色格式应为 #RRGGBB"),
    ("unknown channel", changed("channels", ["抖音"]), "渠道[1]：只能是"),
    ("stock is text", changed("products.0.stock", "很多"), "商品「原切牛肉卷」.库存：应为整数"),
    ("duplicate product id", changed("products.1.id", "beef"), "商品编号「beef」重复"),
    (
        "no features",
        changed("products.0.features", []),
        "商品「原切牛肉卷」.产品特点：至少需要 1 项",
    ),
    ("launch day 9", changed("burst.launch_day", 9), "活动引爆与客服.开团/引爆日：不能大于 7"),
    ("personas not a list", changed("personas", "宝妈"), "目标人群：应为列表"),
]


@pytest.mark.parametrize(("case", "data", "expected"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_canvas_gets_a_chinese_message_naming_the_field(case, data, expected) -> None:
    with pytest.raises(CanvasError) as caught:
        parse_canvas(data, source="画布")
    assert expected in str(caught.value), str(caught.value)


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(CanvasError, match="找不到画布文件"):
        load_canvas(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("suffix", "raw", "expected"),
    [
        ("toml", 'name = "x', "TOML 格式错误"),
        ("json", '{"name": ', "JSON 格式错误（第 1 行"),
        ("yaml", "name: x", "不支持的文件类型 .yaml"),
        ("json", "[1, 2]", "内容应为一组字段"),
    ],
)
def test_broken_files_get_a_chinese_message(suffix: str, raw: str, expected: str) -> None:
    with pytest.raises(CanvasError, match=expected.replace("(", r"\(").replace("（", "（")):
        read_canvas_text(raw, suffix=suffix)


def test_json_and_toml_give_the_same_canvas(tmp_path: Path) -> None:
    canvas = load_canvas(ROOT / "assets/examples/fresh_groupbuy.toml")
    as_json = tmp_path / "c.json"
    as_json.write_text(canvas.model_dump_json(), encoding="utf-8")
    assert load_canvas(as_json) == canvas


def test_schema_describes_every_top_level_field() -> None:
    schema = canvas_schema()
    assert set(schema["properties"]) == set(Canvas.model_fields)
    assert json.dumps(schema, ensure_ascii=False)  # serialisable for editors


HOSTILE_INPUTS = [
    (
        "nul in a name",
        changed("products.0.name", "牛肉\x00卷"),
        "第1个商品.商品名称：有看不见的空字符 NUL",
    ),
    (
        "bidi override",
        changed("brand.name", "邻里\u202e鲜"),
        "品牌.品牌/门店名称：有看不见的文字方向控制符",
    ),
    ("escape in a feature", changed("products.0.features.0", "\x1b[31m红"), "控制字符"),
    ("newline in a one-liner", changed("speaker.tone", "热心\n邻居"), "不能有换行"),
    ("lone surrogate", changed("theme.name", "冬\ud800"), "IP主题.主题名称：有无效的 Unicode 字符"),
    ("emoji-only name", changed("products.0.name", "🥩🥩"), "第1个商品.商品名称：要有文字或数字"),
    ("speaker too long", changed("speaker.name", "鲜" * 11), "人设昵称：太长：最多 10 个字"),
    ("NaN price", changed("products.0.price", float("nan")), "原价：应为有限的数字"),
    ("infinite price", changed("products.0.price", "-Infinity"), "原价：应为有限的数字"),
    ("7 whole digits", changed("products.0.price", 12345678.9), "原价：数字太大"),
    ("huge stock", changed("products.0.stock", 10**20), "库存：不能大于"),
    ("week in 1999", changed("week_start", "1999-12-27"), "周开始日期：1999-12-27 不在可用范围内"),
    ("datetime as date", changed("week_start", "2026-11-30T08:00:00"), "不要带时间"),
    (
        "control char in image",
        changed("products.0.image", "a\x00.png"),
        "商品图片：有看不见的空字符",
    ),
]


@pytest.mark.parametrize(
    ("case", "data", "expected"), HOSTILE_INPUTS, ids=[c[0] for c in HOSTILE_INPUTS]
)
def test_hostile_text_numbers_and_dates_get_a_chinese_message(case, data, expected) -> None:
    with pytest.raises(CanvasError) as caught:
        parse_canvas(data, source="画布")
    assert expected in str(caught.value), str(caught.value)
    assert "Input should" not in str(caught.value)


def test_multiline_free_text_keeps_its_line_breaks() -> None:
    canvas = parse_canvas(changed("theme.description", "第一段\n第二段"))
    assert canvas.theme.description == "第一段\n第二段"


@pytest.mark.parametrize(
    ("suffix", "raw"),
    [("json", "[" * 50_000 + "]" * 50_000), ("toml", "a = " + "[" * 50_000 + "]" * 50_000)],
)
def test_deep_nesting_is_a_chinese_error_not_a_recursion_error(suffix: str, raw: str) -> None:
    with pytest.raises(CanvasError, match="嵌套太深"):
        read_canvas_text(f'{{"x": {raw}}}' if suffix == "json" else raw, suffix=suffix)


def test_moderate_nesting_below_the_recursion_limit_is_refused_too() -> None:
    with pytest.raises(CanvasError, match="嵌套太深"):
        read_canvas_text('{"x": ' + "[" * 40 + "]" * 40 + "}", suffix="json")


def test_a_folder_named_like_a_canvas_is_called_a_folder(tmp_path: Path) -> None:
    (tmp_path / "x.toml").mkdir()
    with pytest.raises(CanvasError, match="是文件夹，不是画布文件"):
        load_canvas(tmp_path / "x.toml")


CANVAS_FILES = EXAMPLES + sorted((ROOT / "tests/data/canvases").glob("*.toml"))


@pytest.mark.parametrize("path", CANVAS_FILES, ids=lambda p: p.stem)
def test_shipped_canvases_name_their_images_by_relative_paths(path: Path) -> None:
    canvas = load_canvas(path)
    for value in [p.image for p in canvas.products] + [canvas.brand.logo]:
        assert value is None or not (Path(value).is_absolute() or ".." in Path(value).parts)
