"""Batch: inputs from files, folders and tables; resume after interruption; failures isolated."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook
from week_factory import make_week

from pipelines.batch import BatchSummary, Job, Outcome, collect, generate_one, run_batch
from pipelines.batch.runner import BATCH_USER, worker_store, write_outputs
from pipelines.canvas import Canvas
from pipelines.cli.batch import Progress
from pipelines.settings import load_settings
from pipelines.store import open_store


def week_worker(job: Job) -> tuple[str, str]:
    """A fast stand-in for the engine run; a canvas named 坏… fails like a broken engine would."""
    canvas = Canvas.model_validate_json(job.canvas_json)
    if canvas.name.startswith("坏"):
        return "failed", "生成失败：引擎没有回答"
    package = make_week(canvas)
    write_outputs(package, job.folder, base_dir=job.base_dir, posters=False)
    return "ok", worker_store(job.settings).save_package(package, user=BATCH_USER)


@pytest.fixture
def settings(tmp_path):
    return load_settings(env={}, cc_data_dir=tmp_path / "data")


@pytest.fixture
def store(settings):
    opened = open_store(settings)
    yield opened
    opened.close()


def write_canvases(folder: Path, canvas: Canvas, names: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, name in enumerate(names):
        path = folder / f"{index:02d}.json"
        path.write_text(canvas.model_copy(update={"name": name}).model_dump_json(), "utf-8")
        paths.append(path)
    return paths


class StopAfter:
    """Raises KeyboardInterrupt once `n` canvases are done, like Ctrl-C at a known moment."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, outcome, summary) -> None:
        if summary.done == self.n:
            raise KeyboardInterrupt


def test_an_interrupted_batch_resumes_without_redoing_or_duplicating(
    tmp_path, canvas, store, settings
):
    paths = write_canvases(tmp_path / "in", canvas, [f"门店{i}暖锅周" for i in range(5)])
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_batch(collect(paths), out, store, settings, worker=week_worker, on_outcome=StopAfter(2))
    assert len(store.campaigns()) == 2

    summary = run_batch(collect(paths), out, store, settings, worker=week_worker)
    assert (summary.done, summary.skipped, summary.failed) == (3, 2, 0)
    assert len(store.campaigns()) == 5
    folders = sorted(p.name for p in out.iterdir() if p.name != ".claims")
    assert len(folders) == 5 and not [f for f in folders if f.endswith(".part")]

    again = run_batch(collect(paths), out, store, settings, worker=week_worker)
    assert (again.done, again.skipped, again.failed) == (0, 5, 0)
    assert len(store.campaigns()) == 5


def test_a_failing_canvas_does_not_stop_the_others(tmp_path, canvas, store, settings):
    paths = write_canvases(tmp_path / "in", canvas, ["门店A暖锅周", "坏掉的画布", "门店B暖锅周"])
    broken = tmp_path / "in" / "99.toml"
    broken.write_text('name = "缺字段"\n', "utf-8")
    summary = run_batch(
        collect([*paths, broken]), tmp_path / "out", store, settings, worker=week_worker
    )
    assert (summary.done, summary.skipped, summary.failed) == (2, 0, 2)
    reasons = " ".join(o.detail for o in summary.of("failed"))
    assert "引擎没有回答" in reasons
    assert "缺少必填项" in reasons
    assert len(store.campaigns()) == 2


def test_the_failed_canvas_is_retried_on_the_next_run(tmp_path, canvas, store, settings):
    paths = write_canvases(tmp_path / "in", canvas, ["门店A暖锅周", "坏掉的画布"])
    run_batch(collect(paths), tmp_path / "out", store, settings, worker=week_worker)
    paths[1].write_text(canvas.model_copy(update={"name": "修好的画布"}).model_dump_json(), "utf-8")
    summary = run_batch(collect(paths), tmp_path / "out", store, settings, worker=week_worker)
    assert (summary.done, summary.skipped, summary.failed) == (1, 1, 0)


def test_the_same_canvas_twice_is_generated_once(tmp_path, canvas, store, settings):
    paths = write_canvases(tmp_path / "in", canvas, ["同一个活动", "同一个活动"])
    summary = run_batch(collect(paths), tmp_path / "out", store, settings, worker=week_worker)
    assert (summary.done, summary.skipped) == (1, 1)
    assert len(store.campaigns()) == 1


def test_a_lost_output_folder_is_rewritten_from_the_store_without_regenerating(
    tmp_path, canvas, store, settings
):
    paths = write_canvases(tmp_path / "in", canvas, ["门店A暖锅周"])
    out = tmp_path / "out"
    (first,) = run_batch(collect(paths), out, store, settings, worker=week_worker).outcomes
    folder = Path(first.detail)
    (folder / "package.json").unlink()

    def must_not_run(job):
        raise AssertionError("regenerated a finished canvas")

    summary = run_batch(collect(paths), out, store, settings, worker=must_not_run, posters=False)
    assert summary.skipped == 1
    assert (
        json.loads((folder / "package.json").read_text("utf-8"))["canvas"]["name"] == "门店A暖锅周"
    )


def test_an_output_folder_that_cannot_be_written_fails_its_canvas_alone(
    tmp_path, canvas, store, settings
):
    paths = write_canvases(tmp_path / "in", canvas, ["门店A暖锅周", "门店B暖锅周"])
    out = tmp_path / "out"
    first = run_batch(collect(paths), out, store, settings, worker=week_worker).outcomes
    blocked = Path(first[0].detail)
    shutil.rmtree(blocked)
    blocked.write_text("不是文件夹", "utf-8")  # the stored canvas's folder cannot be rewritten

    summary = run_batch(collect(paths), out, store, settings, worker=week_worker)
    assert (summary.done, summary.skipped, summary.failed) == (0, 1, 1)
    assert "写入" in summary.of("failed")[0].detail
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]


def test_outputs_go_to_a_folder_per_canvas(tmp_path, canvas, store, settings):
    paths = write_canvases(tmp_path / "in", canvas, ["邻里鲜/周末团"])
    (outcome,) = run_batch(
        collect(paths), tmp_path / "out", store, settings, worker=week_worker
    ).outcomes
    folder = Path(outcome.detail)
    assert folder.parent == tmp_path / "out"
    assert folder.name.startswith("邻里鲜-周末团-")
    assert {p.name for p in folder.iterdir()} == {"package.json", "package.md"}


def test_processes_run_canvases_side_by_side(tmp_path, canvas, store, settings):
    paths = write_canvases(tmp_path / "in", canvas, [f"门店{i}暖锅周" for i in range(4)])
    summary = run_batch(
        collect(paths), tmp_path / "out", store, settings, concurrency=2, worker=week_worker
    )
    assert summary.done == 4
    assert len(store.campaigns()) == 4


def test_an_engine_that_cannot_start_fails_its_canvas_in_chinese(tmp_path, canvas):
    settings = load_settings(env={}, cc_engine="openai", cc_data_dir=tmp_path)
    job = Job("x", canvas.model_dump_json(), "0" * 64, tmp_path / "x", tmp_path, settings, False)
    status, reason = generate_one(job)
    assert status == "failed"
    assert reason and not reason.isascii()


def test_the_batch_keeps_its_posters_in_the_store_as_written(tmp_path, canvas, store, settings):
    job = Job("x", canvas.model_dump_json(), "0" * 64, tmp_path / "x", tmp_path, settings, True)
    status, campaign = generate_one(job)
    assert status == "ok"
    posters = store.items(campaign, kind="poster_copy")
    assert posters and all(p.has_poster_png for p in posters)
    first = posters[0]
    assert (
        store.poster_png(first.key)
        == (tmp_path / "x" / "posters" / f"{first.item_id}.png").read_bytes()
    )


# --- inputs -----------------------------------------------------------------------------------

HEADER = [
    "门店", "活动名称", "周开始日期", "主题", "人群", "渠道", "商品名称", "原价", "活动价",
    "产品特点", "证据", "开团",
]  # fmt: skip
ROWS = [
    ["东门店", "暖锅周", "2026-11-30", "冬日暖锅", "宝妈、白领", "社群、朋友圈", "牛肉卷", "59.9", "39.9",
     "原切；冷链", "检疫合格", "是"],
    ["东门店", "暖锅周", "2026-11-30", "冬日暖锅", "宝妈", "社群", "蔬菜拼盘", "19.9", "",
     "当天采摘", "", ""],
    ["西门店", "暖锅周", "2026-11-30", "冬日暖锅", "银发", "社群", "菌菇汤底", "12.8", "", "五种菌菇",
     "", "否"],
    ["南门店", "暖锅周", "2026-13-01", "冬日暖锅", "宝妈", "社群", "牛肉卷", "59.9", "", "原切", "", ""],
]  # fmt: skip


def test_a_csv_becomes_one_canvas_per_store_and_campaign(tmp_path):
    path = tmp_path / "stores.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *ROWS])
    east, west, south = collect([path])
    assert east.canvas is not None and west.canvas is not None
    assert [p.name for p in east.canvas.products] == ["牛肉卷", "蔬菜拼盘"]
    assert [p.name for p in east.canvas.personas] == ["宝妈", "白领"]
    assert east.canvas.burst.group_buy is True
    assert east.canvas.brand.name == "东门店"
    assert west.canvas.burst.group_buy is False
    assert south.canvas is None
    assert "第 5 行" in south.source and "周开始日期" in south.error


def test_a_sheet_chooses_flash_sales_and_the_group_buy_by_filling_them_in(tmp_path):
    path = tmp_path / "stores.csv"
    rows = [[*HEADER, "秒杀时间"], [*ROWS[0], "10:00、18:00"], [*ROWS[2], ""]]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    east, west = collect([path])
    assert east.canvas.burst.methods == ["开团", "秒杀"]
    assert east.canvas.burst.flash_sale_times == ["10:00", "18:00"]
    assert west.canvas.burst.methods == []  # nothing filled in, no mechanic invented


def test_an_xlsx_reads_like_the_csv(tmp_path):
    book = Workbook()
    for row in [HEADER, *ROWS[:3]]:
        book.active.append(row)
    book.save(tmp_path / "stores.xlsx")
    inputs = collect([tmp_path / "stores.xlsx"])
    assert [i.canvas.brand.name for i in inputs] == ["东门店", "西门店"]


def test_a_folder_is_read_in_a_stable_order_and_unknown_paths_fail_in_chinese(tmp_path, canvas):
    write_canvases(tmp_path / "in", canvas, ["甲", "乙"])
    inputs = collect([tmp_path / "in", tmp_path / "nowhere.toml"])
    assert [i.canvas.name for i in inputs[:2]] == ["甲", "乙"]
    assert "找不到" in inputs[2].error


def test_an_interrupted_parallel_batch_counts_every_canvas_it_stored(
    tmp_path, canvas, store, settings
):
    paths = write_canvases(tmp_path / "in", canvas, [f"门店{i}暖锅周" for i in range(6)])
    summary = BatchSummary()
    with pytest.raises(KeyboardInterrupt):
        run_batch(
            collect(paths), tmp_path / "out", store, settings,
            concurrency=2, worker=week_worker, on_outcome=StopAfter(1), summary=summary,
        )  # fmt: skip
    assert summary.interrupted
    assert summary.done == len(store.campaigns()) >= 1
    again = run_batch(collect(paths), tmp_path / "out", store, settings, worker=week_worker)
    assert (again.skipped, again.done) == (summary.done, 6 - summary.done)
    assert len(store.campaigns()) == 6


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (
            io.StringIO(),
            "[1/3] ✓ a.toml，预计还需 20 秒\n[2/3] ↺ c.toml，预计还需 10 秒\n[3/3] ✗ b.toml\n",
        ),
        (Terminal(), "完成 1 跳过 1 失败 1\n"),
    ],
)
def test_progress_is_one_redrawn_line_on_a_terminal_and_one_line_per_canvas_otherwise(
    stream, expected
):
    now = [0.0]
    progress = Progress(3, stream, clock=lambda: now[0])
    summary = BatchSummary()
    outcomes = (
        Outcome("a.toml", "done"),
        Outcome("c.toml", "skipped"),
        Outcome("b.toml", "failed", "坏"),
    )
    for outcome in outcomes:
        now[0] += 10.0 if outcome.status != "skipped" else 0.0
        summary.outcomes.append(outcome)
        progress(outcome, summary)
    # (a shorter line on a terminal is padded over the longer one before it)
    assert re.sub(" +\n", "\n", stream.getvalue()).endswith(expected)
    assert stream.getvalue().count("\r") == (3 if isinstance(stream, Terminal) else 0)


def test_the_time_left_on_a_terminal_counts_generated_canvases_only():
    now = [0.0]
    stream = Terminal()
    progress = Progress(4, stream, clock=lambda: now[0])
    summary = BatchSummary()
    summary.outcomes.append(Outcome("a.toml", "skipped"))
    progress(summary.outcomes[-1], summary)
    assert "预计" not in stream.getvalue()  # nothing generated yet: no estimate
    now[0] = 30.0
    summary.outcomes.append(Outcome("b.toml", "done"))
    progress(summary.outcomes[-1], summary)
    assert stream.getvalue().endswith("2/4 完成 1 跳过 1 失败 0，预计还需 60 秒")
