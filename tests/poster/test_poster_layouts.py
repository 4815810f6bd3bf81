"""Layouts are data: every style has every size, boxes are checked, bad data is explained."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipelines.content import PosterKind
from pipelines.errors import PosterError
from pipelines.poster import layout_for, list_layouts, load_layout
from pipelines.poster.layouts import REQUIRED_ROLES, SIZES, Variant
from pipelines.poster.palette import contrast, palette


def test_there_are_at_least_three_styles() -> None:
    assert len(list_layouts()) >= 3


@pytest.mark.parametrize("name", list_layouts())
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_style_has_a_variant_for_every_size_with_all_roles(
    name: str, size: tuple[int, int]
) -> None:
    variant = load_layout(name).variant(size)
    assert variant.size == size
    roles = {box.role for box in variant.boxes}
    assert set(REQUIRED_ROLES) <= roles | set(variant.drop)
    assert {"headline", "price", "image"} <= roles


def test_an_unknown_layout_lists_the_valid_ones() -> None:
    with pytest.raises(PosterError, match=r"没有名为「nope」的海报版式，可选：.*fresh"):
        load_layout("nope")


def box(role: str, at: list[int]) -> dict[str, object]:
    return {"role": role, "at": at}


@pytest.mark.parametrize(
    ("boxes", "message"),
    [
        ([box("cta", [0, 0, 100, 50])], "缺少角色"),
        ([box("headline", [0, 0, 100, 50]), box("headline", [0, 60, 100, 50])], "角色重复"),
        ([box("headline", [0, 0, 300, 50])], "超出画面"),
        ([box("headline", [0, 0, 100, 50]), box("cta", [50, 20, 100, 50])], "重叠"),
    ],
)
def test_bad_variants_are_explained(boxes: list[dict[str, object]], message: str) -> None:
    drop = [r for r in REQUIRED_ROLES if r != "headline"]
    with pytest.raises(ValidationError, match=message):
        Variant.model_validate({"size": [200, 200], "boxes": boxes, "drop": drop})


def test_a_week_of_posters_varies_its_styles_deterministically(copies) -> None:
    week = [copies[i % len(copies)] for i in range(7)]
    chosen = [layout_for(copy, index) for index, copy in enumerate(week)]
    assert chosen == [layout_for(copy, index) for index, copy in enumerate(week)]
    assert len(set(chosen)) >= 3


@pytest.mark.parametrize("kind", list(PosterKind))
def test_each_kind_gets_a_style_made_for_it(kind: PosterKind, copies) -> None:
    copy = copies[0].model_copy(update={"kind": kind})
    assert kind in load_layout(layout_for(copy, 0)).kinds


def test_the_sizes_are_the_ones_the_playbook_lists() -> None:
    from pipelines.playbook import load_playbook

    sizes = {(s.width, s.height) for s in load_playbook().posters.sizes}
    assert sizes == set(SIZES)


@pytest.mark.parametrize(
    "colors",
    [
        ("#2E7D32", "#FFF8E1"),
        ("#F48FB1", "#FFF3F6"),
        ("#E4393C",),
        ("#5C6BC0", "#F3F1FF", "#FFEB3B"),
    ],
)
def test_the_palette_keeps_prices_and_text_legible(colors: tuple[str, ...]) -> None:
    colours = palette(colors)
    assert contrast(colours["accent"], colours["white"]) >= 3.0
    assert contrast(colours["ink"], colours["light"]) >= 4.5
    assert contrast(colours["on-primary"], colours["primary"]) >= 2.5
    assert contrast(colours["primary-ink"], colours["white"]) >= 4.5
    assert colours["accent"] != colours["primary"]
