"""Uploads cannot make the server read its own files: image and logo paths in an uploaded canvas
or product sheet must name a file in the image store, or they are dropped with a note."""

from __future__ import annotations

import json
import tomllib

from PIL import Image
from test_canvas_page import load_example

from app_pages import common
from app_pages._canvas_io import confine_images
from pipelines.poster.images import image_store
from tests.conftest import ROOT

BASE = tomllib.loads((ROOT / "assets/examples/fresh_groupbuy.toml").read_text(encoding="utf-8"))


def with_paths(image: str, logo: str) -> dict:
    products = [{**p, "image": image} for p in BASE["products"]]
    return {**BASE, "products": products, "brand": {**BASE["brand"], "logo": logo}}


def test_paths_outside_the_image_store_are_dropped_with_a_note_each() -> None:
    data, notes = confine_images(with_paths("/etc/passwd", "../../etc/shadow"))
    assert all("image" not in p for p in data["products"]) and "logo" not in data["brand"]
    assert len(notes) == len(BASE["products"]) + 1
    assert notes[0].startswith("找不到商品「原切牛肉卷」的图片「/etc/passwd」，或不允许读取")
    assert notes[-1].startswith("找不到品牌 Logo 图片")


def test_files_in_the_image_store_are_kept() -> None:
    store = image_store()
    store.mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(store / "beef.png")
    data, notes = confine_images(with_paths(str((store / "beef.png").resolve()), "beef.png"))
    assert not notes and data["brand"]["logo"] == "beef.png"


def test_an_uploaded_canvas_cannot_point_at_server_files(app) -> None:
    at = app()
    raw = json.dumps(with_paths("/etc/passwd", "/dev/zero"), default=str).encode()
    at.file_uploader(key="canvas_upload").upload("c.json", raw, "application/json").run()
    errors = "\n".join(e.value for e in at.error)
    assert "c.json 已导入，但" in errors and "或不允许读取" in errors
    canvas = at.session_state[common.CANVAS]
    assert canvas is not None and canvas.brand.logo is None
    assert all(p.image is None for p in canvas.products)


def test_a_product_sheet_cannot_point_at_server_files(app) -> None:
    at = app()
    load_example(at)
    sheet = "商品名称,原价,产品特点,图片\n手工水饺,32,手工包制,../../../etc/passwd\n"
    at.file_uploader(key="products_upload").upload("p.csv", sheet.encode(), "text/csv").run()
    assert "或不允许读取" in "\n".join(e.value for e in at.error)
    assert [p.image for p in at.session_state[common.CANVAS].products] == [None]
