"""Validation messages name the product (or persona) at fault, not its position in a list."""

from __future__ import annotations

import copy
import tomllib

import pytest
from pydantic import ValidationError

from pipelines.canvas import Canvas
from pipelines.validation_messages import describe_validation_error
from tests.conftest import ROOT

BASE = tomllib.loads((ROOT / "assets/examples/fresh_groupbuy.toml").read_text(encoding="utf-8"))
FIRST, SECOND = (p["name"] for p in BASE["products"][:2])


def lines_for(data: dict, *, with_data: bool = True) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Canvas.model_validate(data)
    if with_data:
        return describe_validation_error(Canvas, caught.value, data)
    return describe_validation_error(Canvas, caught.value)


def product(index: int, **changes: object) -> dict:
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            data["products"][index].pop(key, None)
        else:
            data["products"][index][key] = value
    return data


def test_a_products_field_is_named_by_the_product() -> None:
    assert lines_for(product(1, price=-1)) == [f"商品「{SECOND}」.原价：必须大于 0"]


def test_a_nested_list_keeps_its_position_after_the_name() -> None:
    data = product(0, features=["好吃", "好" * 200])
    (line,) = lines_for(data)
    assert line.startswith(f"商品「{FIRST}」.产品特点[2]：太长")


def test_a_product_without_a_name_is_called_by_its_place() -> None:
    data = product(1, name=None, price="很便宜")
    assert set(lines_for(data)) == {
        "第2个商品.商品名称：缺少必填项，请补上",
        "第2个商品.原价：应为数字（如 39.9）",
    }


@pytest.mark.parametrize("name", ["", "   ", "牛肉\x00卷", "🥩🥩", "肉" * 31])
def test_a_name_that_is_itself_wrong_is_not_used_to_name_the_product(name: str) -> None:
    lines = lines_for(product(0, name=name, stock="很多"))
    assert "第1个商品.库存：应为整数" in lines
    assert all(line.startswith("第1个商品.") for line in lines), lines


def test_two_products_with_the_same_name_keep_their_places() -> None:
    data = product(1, name=FIRST, price=0)
    assert f"第2个商品「{FIRST}」.原价：必须大于 0" in lines_for(data)


def test_personas_are_named_too() -> None:
    data = copy.deepcopy(BASE)
    data["personas"][0]["pain_points"] = ["a"] * 9
    persona = BASE["personas"][0]["name"]
    assert lines_for(data) == [f"目标人群「{persona}」.痛点：最多 8 项"]


def test_a_list_of_plain_values_keeps_positions() -> None:
    data = {**copy.deepcopy(BASE), "channels": ["社群", "抖音"]}
    (line,) = lines_for(data)
    assert line.startswith("渠道[2]：只能是")


def test_an_unknown_field_of_a_product_names_the_product() -> None:
    (line,) = lines_for(product(0, colour="red"))
    assert line == f"「colour」是未知字段，请检查拼写或删除（位置：商品「{FIRST}」.colour）"


def test_without_the_data_the_position_is_given() -> None:
    assert lines_for(product(1, price=-1), with_data=False) == ["商品[2].原价：必须大于 0"]


def test_data_that_is_not_a_canvas_shape_falls_back_to_places() -> None:
    data = {**copy.deepcopy(BASE), "products": ["肥牛卷", {"name": 5}]}
    lines = lines_for(data)
    assert any(line.startswith("第1个商品：") for line in lines), lines
    assert any(line.startswith("第2个商品.商品名称") for line in lines), lines
