"""The canvas page: examples, imports, per-field Chinese validation, downloads."""

from __future__ import annotations

import tomllib

from app_pages import common

CSV = "商品名称,原价,活动价,产品特点,证据,库存\n手工水饺,32,25.9,手工包制；三种馅料,,80\n现磨豆浆,8,,当天现磨,,\n"


def load_example(at, stem: str = "fresh_groupbuy") -> None:
    choice = at.selectbox(key="example_choice")
    choice.select(next(o for o in choice.options if o.endswith(f"（{stem}）"))).run()
    next(b for b in at.button if b.label == "载入示例").click().run()


def submit(at) -> None:
    next(b for b in at.button if "保存并校验" in b.label).click().run()


def test_the_canvas_page_renders_an_empty_form(app) -> None:
    at = app()
    assert not at.exception
    assert at.title[0].value == "活动画布"
    assert at.session_state[common.CANVAS] is None
    assert [t.label for t in at.tabs][:2] == ["① IP主题", "② 目标群体"]


def test_loading_an_example_fills_the_canvas(app) -> None:
    at = app()
    load_example(at)
    canvas = at.session_state[common.CANVAS]
    assert canvas is not None and canvas.name == "邻里鲜周末团"
    assert at.text_input[0].value == "邻里鲜周末团"
    assert "已载入示例画布" in at.success[0].value
    assert at.download_button[0].label == "下载画布 TOML"


def test_a_bad_value_gets_a_chinese_message_next_to_its_field(app) -> None:
    at = app()
    load_example(at)
    times = next(t for t in at.text_input if t.label.startswith("秒杀时间"))
    times.set_value("10:00、25:00")
    at.text_input[0].set_value("")
    submit(at)
    errors = [e.value for e in at.error]
    assert "活动名称：不能为空" in errors
    assert any("秒杀时间[2]：时间格式应为 HH:MM" in e for e in errors)
    assert at.tabs[0].label.endswith("⚠")
    # The last valid canvas stays in use while the form has problems.
    assert at.session_state[common.CANVAS].name == "邻里鲜周末团"


def test_fixing_the_form_and_saving_updates_the_canvas(app) -> None:
    at = app()
    load_example(at)
    at.text_input[0].set_value("邻里鲜跨年团")
    submit(at)
    assert not at.error
    assert at.session_state[common.CANVAS].name == "邻里鲜跨年团"


def test_an_invalid_canvas_file_is_imported_with_its_problems_marked(app) -> None:
    at = app()
    raw = 'name = "测试"\nweek_start = 2026-12-07\n[theme]\nname = "冬季"\n'.encode()
    at.file_uploader(key="canvas_upload").upload("bad.toml", raw, "application/toml").run()
    errors = "\n".join(e.value for e in at.error)
    assert "bad.toml 已导入，但有问题需要修改" in errors
    assert "缺少必填项" in errors
    assert at.session_state[common.DRAFT]["name"] == "测试"
    assert at.session_state[common.CANVAS] is None


def test_a_broken_canvas_file_is_refused_in_chinese(app) -> None:
    at = app()
    at.file_uploader(key="canvas_upload").upload("bad.json", b"{oops", "application/json").run()
    assert "JSON 格式错误" in at.error[0].value


def test_products_are_imported_from_a_csv_sheet(app) -> None:
    at = app()
    load_example(at)
    at.file_uploader(key="products_upload").upload("products.csv", CSV.encode(), "text/csv").run()
    canvas = at.session_state[common.CANVAS]
    assert [p.name for p in canvas.products] == ["手工水饺", "现磨豆浆"]
    assert canvas.products[0].features == ["手工包制", "三种馅料"]
    assert "导入 2 个商品" in at.success[0].value


def test_the_saved_toml_reads_back_as_the_same_canvas(app) -> None:
    from app_pages._canvas_io import canvas_toml
    from pipelines.canvas import read_canvas_text

    at = app()
    load_example(at)
    canvas = at.session_state[common.CANVAS]
    text = canvas_toml(canvas)
    assert tomllib.loads(text)["name"] == "邻里鲜周末团"
    assert read_canvas_text(text, suffix="toml") == canvas


def test_every_example_canvas_loads_without_problems(app) -> None:
    from app_pages._canvas_io import list_examples

    at = app()
    for name, path in list_examples().items():
        load_example(at, path.stem)
        assert not at.session_state[common.CANVAS_ERRORS], name
        assert at.session_state[common.CANVAS].name in name


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "#2E7D32").save(buffer, "PNG")
    return buffer.getvalue()


def test_a_product_image_upload_is_checked_and_kept_with_the_product(app) -> None:
    from pathlib import Path

    at = app()
    load_example(at)
    at.file_uploader(key="image.beef").upload("beef.png", png_bytes(), "image/png").run()
    image = at.session_state[common.CANVAS].product("beef").image
    assert image is not None and Path(image).is_file()
    assert "已为商品 beef 设置图片" in at.success[0].value


def test_a_file_that_is_not_an_image_is_refused_in_chinese(app) -> None:
    at = app()
    load_example(at)
    at.file_uploader(key="image.beef").upload("beef.png", b"not an image", "image/png").run()
    assert "不是可识别的图片" in at.error[0].value
    assert at.session_state[common.CANVAS].product("beef").image is None


def test_saving_an_example_through_the_form_changes_nothing_else(app) -> None:
    from app_pages._canvas_io import list_examples

    at = app()
    for path in list_examples().values():
        load_example(at, path.stem)
        before = at.session_state[common.CANVAS]
        submit(at)
        assert not at.session_state[common.CANVAS_ERRORS], path.stem
        assert at.session_state[common.CANVAS] == before, path.stem


def test_an_empty_canvas_lists_what_is_missing_next_to_each_section(app) -> None:
    at = app()
    submit(at)
    errors = [e.value for e in at.error]
    for expected in ("活动名称：不能为空", "目标人群：至少需要 1 项", "商品：至少需要 1 项"):
        assert any(expected in e for e in errors), expected
    marked = [t.label for t in at.tabs if t.label.endswith("⚠")]
    assert marked[:2] == ["① IP主题 ⚠", "② 目标群体 ⚠"]
    assert at.session_state[common.CANVAS] is None


def test_the_trade_canvases_survive_the_form_round_trip(app) -> None:
    """Trade, launch time and per-feature benefits (with gaps) come back from the form as given."""
    from pathlib import Path

    from pipelines.canvas import load_canvas

    folder = Path(__file__).resolve().parents[1] / "data" / "canvases"
    for path in sorted(folder.glob("*.toml")):
        at = app()
        at.file_uploader(key="canvas_upload").upload(
            path.name, path.read_bytes(), "application/toml"
        )
        at.run()
        submit(at)
        assert not at.session_state[common.CANVAS_ERRORS], path.name
        assert at.session_state[common.CANVAS] == load_canvas(path), path.name


def test_a_products_problem_names_the_product(app) -> None:
    import tomli_w

    from tests.conftest import ROOT

    path = ROOT / "assets" / "examples" / "fresh_groupbuy.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["products"][1]["price"] = -1
    data["products"][2]["name"] = ""
    data["products"][2]["stock"] = -5
    at = app()
    raw = tomli_w.dumps(data).encode()
    at.file_uploader(key="canvas_upload").upload("c.toml", raw, "application/toml").run()
    errors = "\n".join(e.value for e in at.error)
    assert f"商品「{data['products'][1]['name']}」.原价：必须大于 0" in errors
    assert "第3个商品.库存：不能小于 0" in errors and "商品[" not in errors
