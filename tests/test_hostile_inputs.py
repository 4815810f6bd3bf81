"""Hostile and clumsy inputs through the real CLI: each ends in time with exit 0 or 2 (1 for a batch
with a failed canvas) and a Chinese message, never a traceback, a hang or a memory blow-up.

Most cases call the CLI's `main` in the test process (an uncaught exception fails the test). The
cases that would hang or exhaust memory if their guard were removed (a FIFO read forever,
/dev/zero read whole, a 100000×100000 poster) run in their own process, under a memory cap and
a timeout, so they fail their test instead of taking the test run down with them.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import resource
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from pipelines.cli import main
from tests.conftest import ROOT

BASE = tomllib.loads((ROOT / "assets/examples/fresh_groupbuy.toml").read_text(encoding="utf-8"))
ITEM = "post-d3-04"  # the launch poster: it shows 原切牛肉卷 and its photo
TIME_LIMIT = 30.0  # seconds per case, generous for a loaded 2-core CI machine
MEMORY_LIMIT = 3 * 1024**3  # /dev/zero read whole grew the process to 5.4 GB
HUGE = 4 * 1024**3  # a sparse file this big cannot be read whole under the memory cap
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def canvas_with(**changes: object) -> dict:
    """The fresh-groupbuy canvas with dotted-path changes (list indexes as numbers)."""
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        *parents, last = [int(p) if p.isdigit() else p for p in path.split("__")]
        target = data
        for part in parents:
            target = target[part]
        target[last] = value
    return data


def write_canvas(folder: Path, data: dict, name: str = "canvas.json") -> Path:
    path = folder / name
    # ensure_ascii keeps a lone surrogate writable (as \ud800) for the reader to meet
    path.write_text(json.dumps(data, default=str, ensure_ascii=True), encoding="utf-8")
    return path


def poster(folder: Path, data: dict, *extra: str) -> list[str]:
    path = write_canvas(folder, data)
    return ["poster", str(path), "--item", ITEM, "--out", str(folder / "out.png"), *extra]


def week(folder: Path, data: dict | None = None, *, path: Path | None = None) -> list[str]:
    path = path or write_canvas(folder, data or {})
    return ["week", str(path), "--out", str(folder / "out"), "--no-posters"]


def image_case(value: str | Callable[[Path], str]) -> Callable[[Path], list[str]]:
    """A poster whose every product photo is `value` (a path, or made in the canvas folder)."""

    def setup(folder: Path) -> list[str]:
        image = value(folder) if callable(value) else value
        products = [{**p, "image": image} for p in BASE["products"]]
        return poster(folder, canvas_with(products=products))

    return setup


def fifo(folder: Path) -> str:
    os.mkfifo(folder / "pipe.png")
    return "pipe.png"


def symlink_out(folder: Path) -> str:
    (folder / "link.png").symlink_to("/etc/passwd")
    return "link.png"


def a_folder(folder: Path) -> str:
    (folder / "photos").mkdir()
    return "photos"


def sparse(folder: Path, name: str, size: int) -> Path:
    path = folder / name
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def huge_image(folder: Path) -> str:
    sparse(folder, "huge.png", HUGE)
    return "huge.png"


def sixteen_bit(folder: Path) -> str:
    Image.new("I;16", (300, 300), 20000).save(folder / "grey16.png")
    return "grey16.png"


def nested(folder: Path, suffix: str) -> list[str]:
    path = folder / f"deep.{suffix}"
    depth = 100_000
    text = "[" * depth + "]" * depth
    path.write_text(text if suffix == "json" else f"a = {text}\n", encoding="utf-8")
    return week(folder, path=path)


def fifo_canvas(folder: Path) -> list[str]:
    os.mkfifo(folder / "canvas.toml")
    return week(folder, path=folder / "canvas.toml")


def folder_canvas(folder: Path) -> list[str]:
    (folder / "x.toml").mkdir()
    return week(folder, path=folder / "x.toml")


def batch_with_one_bad(folder: Path) -> list[str]:
    inputs = folder / "in"
    inputs.mkdir()
    write_canvas(inputs, BASE, "good.json")
    (inputs / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (inputs / "wide.csv").write_text("门店,活动名称\n" + "x" * 200_000 + ",y\n", encoding="utf-8")
    os.mkfifo(inputs / "pipe.csv")
    out = folder / "out"
    return ["batch", str(inputs), "--out", str(out), "--no-posters", "--concurrency", "1"]


@dataclass(frozen=True)
class Case:
    id: str
    setup: Callable[[Path], list[str]]
    says: str  # in the output (a Chinese fragment)
    codes: tuple[int, ...] = (2,)
    isolated: bool = False  # in its own process: unguarded, it would hang or exhaust memory


MISSING_OR_REFUSED = "找不到商品「原切牛肉卷」的图片"
CASES = [
    # --- image and logo paths: read only inside the canvas folder, bounded -------------------
    Case("image-etc-passwd", image_case("/etc/passwd"), MISSING_OR_REFUSED),
    Case("image-etc-shadow", image_case("/etc/shadow"), MISSING_OR_REFUSED),
    Case("image-dotdot", image_case("../../etc/passwd"), MISSING_OR_REFUSED),
    Case("image-dev-zero", image_case("/dev/zero"), MISSING_OR_REFUSED, isolated=True),
    Case("image-fifo", image_case(fifo), MISSING_OR_REFUSED, isolated=True),
    Case("image-symlink-out", image_case(symlink_out), MISSING_OR_REFUSED),
    Case("image-a-folder", image_case(a_folder), MISSING_OR_REFUSED),
    Case("image-missing", image_case("gone.png"), MISSING_OR_REFUSED),
    Case("image-4gb", image_case(huge_image), "太大", isolated=True),
    Case("image-16-bit", image_case(sixteen_bit), "已写入", (0,)),
    Case(
        "logo-etc-passwd",
        lambda f: poster(f, canvas_with(brand__logo="/etc/passwd")),
        "找不到品牌 Logo 图片",
    ),
    # --- text nobody types -----------------------------------------------------------------
    Case("name-nul", lambda f: week(f, canvas_with(products__0__name="牛肉\x00卷")), "空字符 NUL"),
    Case(
        "name-bidi-override",
        lambda f: week(f, canvas_with(products__0__name="牛肉\u202e卷")),
        "文字方向控制符",
    ),
    Case("name-escape", lambda f: week(f, canvas_with(brand__name="邻里\x1b鲜")), "控制字符"),
    Case(
        "name-lone-surrogate",
        lambda f: week(f, canvas_with(products__0__name="牛\ud800肉")),
        "第1个商品.商品名称：有无效的 Unicode 字符",
    ),
    Case("key-lone-surrogate", lambda f: week(f, {**BASE, "\udcff": 1}), "无效的 Unicode"),
    Case("name-emoji-only", lambda f: week(f, canvas_with(products__0__name="🥩🥩")), "要有文字"),
    Case(
        "name-newline",
        lambda f: week(f, canvas_with(speaker__name="鲜\n姐")),
        "不能有换行",
    ),
    # --- numbers and dates -----------------------------------------------------------------
    Case("price-nan", lambda f: week(f, canvas_with(products__0__price="NaN")), "有限的数字"),
    Case(
        "price-infinity",
        lambda f: week(f, canvas_with(products__0__price="Infinity")),
        "有限的数字",
    ),
    Case(
        "price-too-many-digits",
        lambda f: week(f, canvas_with(products__0__price=12345678.9)),
        "商品「原切牛肉卷」.原价：数字太大",
    ),
    Case("stock-huge", lambda f: week(f, canvas_with(products__0__stock=10**30)), "不能大于"),
    Case(
        "date-is-datetime",
        lambda f: week(f, canvas_with(week_start="2026-11-30T10:00:00")),
        "不要带时间",
    ),
    Case(
        "date-year-9999",
        lambda f: week(f, canvas_with(week_start="9999-12-31")),
        "不在可用范围内",
    ),
    # --- files that are not canvases -------------------------------------------------------
    Case("deep-json", lambda f: nested(f, "json"), "嵌套太深"),
    Case("deep-toml", lambda f: nested(f, "toml"), "嵌套太深"),
    Case("canvas-fifo", fifo_canvas, "不是普通文件", isolated=True),
    Case(
        "canvas-dev-zero",
        lambda f: week(f, path=Path("/dev/zero")),
        "不是普通文件",
        isolated=True,
    ),
    Case("canvas-folder", folder_canvas, "是文件夹"),
    Case(
        "canvas-4gb",
        lambda f: week(f, path=sparse(f, "big.toml", HUGE)),
        "文件太大",
        isolated=True,
    ),
    Case("batch-one-bad-file", batch_with_one_bad, "嵌套太深", (1,), isolated=True),
    # --- poster sizes and lengths the posters cannot draw ----------------------------------
    *(
        Case(
            f"size-{size}", lambda f, s=size: poster(f, BASE, "--size", s), "海报尺寸", isolated=big
        )
        for size, big in (("0x0", 0), ("100000x100000", 1), ("20000x20000", 1), ("10x1920", 0))
    ),
    Case("size-not-a-size", lambda f: poster(f, BASE, "--size", "大号"), "尺寸应写成"),
    Case(
        "speaker-20-chars",
        lambda f: week(f, canvas_with(speaker__name="鲜" * 20)),
        "最多 10 个字",
    ),
    Case(
        "brand-30-chars",
        lambda f: poster(f, canvas_with(brand__name="邻" * 30)),
        "已写入",
        (0,),
    ),
    Case(
        "specs-120-chars",
        lambda f: poster(f, canvas_with(products__0__specs="五百克装" * 30)),
        "已写入",
        (0,),
    ),
]


@dataclass(frozen=True)
class Outcome:
    code: int
    output: str  # stdout, then stderr
    seconds: float
    folder: Path


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _run_isolated(case: Case, folder: Path) -> Outcome:
    folder.mkdir()
    argv = case.setup(folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CC_", "OPENAI_"))}
    env["CC_DATA_DIR"] = str(folder / "data")
    code = "import sys; from pipelines.cli import main; sys.exit(main())"
    start = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, *argv],
            capture_output=True,
            env=env,
            cwd=folder,
            timeout=TIME_LIMIT,
            preexec_fn=_cap_memory,
        )
    except subprocess.TimeoutExpired:
        return Outcome(-1, f"超时：超过 {TIME_LIMIT} 秒", TIME_LIMIT, folder)
    output = (done.stdout + done.stderr).decode("utf-8", errors="replace")
    return Outcome(done.returncode, output, time.monotonic() - start, folder)


def _run_here(case: Case, folder: Path) -> Outcome:
    """`main(argv)` in this process (the sandbox fixture has cleared settings and moved here)."""
    folder.mkdir()
    argv = case.setup(folder)
    captured = io.StringIO()
    start = time.monotonic()
    with redirect_stdout(captured), redirect_stderr(captured):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse refusing an argument
            code = exc.code
    return Outcome(code, captured.getvalue(), time.monotonic() - start, folder)


@pytest.fixture(scope="module")
def isolated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """The isolated cases, three processes at a time (most of each is the interpreter starting)."""
    root = tmp_path_factory.mktemp("hostile")
    chosen = [case for case in CASES if case.isolated]
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {case.id: pool.submit(_run_isolated, case, root / case.id) for case in chosen}
        return {name: future.result() for name, future in futures.items()}


@pytest.fixture
def outcome_of(isolated, tmp_path: Path) -> Callable[[str], Outcome]:
    by_id = {case.id: case for case in CASES}

    def outcome(case_id: str) -> Outcome:
        case = by_id[case_id]
        return isolated[case_id] if case.isolated else _run_here(case, tmp_path / case_id)

    return outcome


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_hostile_input_ends_in_time_with_a_chinese_message(case: Case, outcome_of) -> None:
    outcome = outcome_of(case.id)
    assert "Traceback" not in outcome.output, outcome.output[-3000:]
    assert outcome.code in case.codes, outcome.output[-3000:]
    assert case.says in outcome.output, outcome.output[-3000:]
    assert CHINESE.search(outcome.output)
    assert outcome.seconds < TIME_LIMIT


def test_a_refused_image_reads_like_a_missing_one(outcome_of) -> None:
    """Whether /etc/shadow exists must not show through the message."""

    def message(case_id: str) -> str:
        output = outcome_of(case_id).output
        line = next(x for x in output.splitlines() if MISSING_OR_REFUSED in x)
        return re.sub(r"「[^「」]*」，或不允许读取", "「…」，或不允许读取", line)

    assert message("image-etc-shadow") == message("image-missing") == message("image-dev-zero")


def test_the_good_canvas_of_a_batch_is_written_beside_the_bad_files(outcome_of) -> None:
    outcome = outcome_of("batch-one-bad-file")
    assert list((outcome.folder / "out").glob("*/package.json")), outcome.output[-3000:]
    assert "单元格太长" in outcome.output and "不是普通文件" in outcome.output


def test_a_16_bit_greyscale_photo_is_grey_on_the_poster(outcome_of) -> None:
    from pipelines.poster.layouts import load_layout

    outcome = outcome_of("image-16-bit")
    layout = re.search(r"版式 (\w+)", outcome.output)[1]
    x0, y0, x1, y1 = load_layout(layout).variant((1080, 1920)).box("image").rect
    with Image.open(outcome.folder / "out.png") as image:
        pixel = image.convert("RGB").getpixel(((x0 + x1) // 2, (y0 + y1) // 2))
    assert all(abs(channel - 20000 / 257) < 1.5 for channel in pixel)  # grey, not white
