"""A week of real poster copy (template engine) for every example canvas, in every style and size."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from PIL import Image

from pipelines.canvas import load_canvas
from pipelines.cli import main
from pipelines.content import WeekPackage
from pipelines.poster import list_layouts, load_layout, render_poster, write_week_posters
from pipelines.poster.compose import plan_poster
from pipelines.poster.fonts import cmap
from pipelines.poster.layouts import SIZES
from pipelines.poster.palette import palette
from pipelines.tasks import generate_week

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "assets" / "examples").glob("*.toml"))


@functools.cache
def week(path: Path) -> WeekPackage:
    return generate_week(load_canvas(path), seed=0)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("name", list_layouts())
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_poster_of_every_example_renders_in_every_style_and_size(
    example: Path, name: str, size: tuple[int, int]
) -> None:
    package = week(example)
    assert package.posters
    colours = palette(tuple(package.canvas.brand.colors))
    variant = load_layout(name).variant(size)
    for copy in package.posters:
        plan = plan_poster(copy, package.canvas, variant, colours, has_image=False)
        for blocks in plan.blocks.values():
            for block in blocks:
                assert set(block.text) <= cmap(block.font)
        image = render_poster(copy, package.canvas, name, size=size, base_dir=example.parent)
        assert image.size == size


@pytest.mark.parametrize("workers", [1, 2])
def test_the_week_writes_one_png_per_poster_named_by_item_id(workers: int, tmp_path: Path) -> None:
    package = week(EXAMPLES[0])
    paths = write_week_posters(package, tmp_path / "posters", workers=workers)
    assert sorted(p.name for p in paths) == sorted(f"{c.id}.png" for c in package.posters)
    for path in paths:
        with Image.open(path) as image:
            assert image.format == "PNG"


def test_the_poster_command_renders_one_poster_by_its_post_id(tmp_path: Path) -> None:
    example = EXAMPLES[0]
    copy = week(example).posters[0]
    out = tmp_path / "one.png"
    code = main(
        [
            "poster",
            str(example),
            "--item",
            copy.post_id,
            "--layout",
            "paper",
            "--size",
            "1080x1080",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    with Image.open(out) as image:
        assert image.size == (1080, 1080)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--item", "poster-nope"], "没有编号为「poster-nope」的海报。可用的海报编号：poster-"),
        (["--item", "x", "--layout", "nope"], "没有名为「nope」的海报版式，可选："),
    ],
)
def test_the_poster_command_explains_unknown_ids_and_layouts(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["poster", str(EXAMPLES[0]), *args, "--out", str(tmp_path / "x.png")])
    assert code == 2
    assert message in capsys.readouterr().err
