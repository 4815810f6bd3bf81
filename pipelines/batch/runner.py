"""Run many canvases: processes for the CPU-bound template engine, resumable, failure-isolated.

Each canvas is known by the content hash of the canvas. A worker writes `DIR/<name>/` (into a
temporary folder, renamed when complete), then saves the package to the store in one
transaction — that save is the commit point, and workers make it side by side (SQLite in WAL
mode lets them queue briefly). A re-run skips canvases the store already holds, so an
interrupted batch (Ctrl-C, kill) redoes only unfinished canvases and duplicates nothing.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import shutil
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.auth import User
from pipelines.batch.inputs import BatchInput
from pipelines.canvas import Canvas, normalise_name
from pipelines.content import WeekPackage
from pipelines.errors import CampaignCanvasError
from pipelines.settings import Settings
from pipelines.store import Store, canvas_hash, open_store

BATCH_USER = User(name="批量生成", role="operator")


@dataclass(frozen=True)
class Job:
    """What a worker needs: plain data, so it crosses a process boundary."""

    source: str
    canvas_json: str
    digest: str
    folder: Path
    base_dir: Path
    settings: Settings
    posters: bool


@dataclass
class Outcome:
    source: str
    status: str  # done | skipped | failed
    detail: str = ""
    campaign_id: str | None = None


@dataclass
class BatchSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False

    def of(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def done(self) -> int:
        return len(self.of("done"))

    @property
    def skipped(self) -> int:
        return len(self.of("skipped"))

    @property
    def failed(self) -> int:
        return len(self.of("failed"))


Hook = Callable[[Outcome, BatchSummary], None]


def output_folder(out_dir: Path, canvas: Canvas, digest: str) -> Path:
    """`DIR/<活动名>-<hash8>`: readable, and two canvases with one name never collide."""
    return out_dir / f"{normalise_name(canvas.name.replace('.', '-'))}-{digest[:8]}"


def write_outputs(
    package: WeekPackage, folder: Path, *, base_dir: Path, posters: bool
) -> dict[str, bytes]:
    """package.json, package.md and posters, all-or-nothing (written aside, then renamed).
    Returns the posters' PNG bytes by poster id, for the store."""
    from pipelines.render_md import package_markdown

    part = folder.with_name(folder.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    (part / "package.json").write_text(package.model_dump_json(indent=2), encoding="utf-8")
    (part / "package.md").write_text(package_markdown(package), encoding="utf-8")
    images: dict[str, bytes] = {}
    if posters and package.posters:
        from pipelines.poster import write_week_posters

        # One canvas per process already: no nested process pool.
        for path in write_week_posters(package, part / "posters", base_dir=base_dir, workers=1):
            images[path.stem] = path.read_bytes()
    shutil.rmtree(folder, ignore_errors=True)
    part.rename(folder)
    return images


_stores: dict[str, Store] = {}


def worker_store(settings: Settings) -> Store:
    """This process's own connection pool to the batch's database, opened once."""
    if settings.database_url not in _stores:
        _stores[settings.database_url] = open_store(settings)
    return _stores[settings.database_url]


def generate_one(job: Job) -> tuple[str, str]:
    """Worker: generate one week, write its folder, store it. Returns ("ok", campaign id) or
    ("failed", Chinese reason); never raises, so one canvas cannot stop the others."""
    try:
        from pipelines.engines.factory import make_engine
        from pipelines.tasks import DiskCache, generate_week

        settings = job.settings
        canvas = Canvas.model_validate_json(job.canvas_json)
        engine = make_engine(settings, engine=settings.cc_engine, seed=settings.cc_seed)
        package = generate_week(
            canvas,
            engine,
            cache=DiskCache(settings.cc_data_dir / "cache"),
            concurrency=settings.cc_max_concurrency,
        )
        if package.failures:
            causes = sorted(package.failures, key=lambda f: f.skipped)  # root causes first
            reasons = "；".join(f"{f.task_id}：{f.message}" for f in causes[:3])
            return "failed", f"有 {len(package.failures)} 个任务未完成（{reasons}）"
        images = write_outputs(package, job.folder, base_dir=job.base_dir, posters=job.posters)
        store = worker_store(settings)
        return "ok", store.save_package(package, user=BATCH_USER, posters=images)
    except CampaignCanvasError as exc:
        return "failed", str(exc)
    except OSError as exc:
        return "failed", f"写入 {job.folder} 失败：{exc.strerror or exc}"
    except Exception as exc:  # a bug in one canvas's run must not stop the batch
        return "failed", f"内部错误（{type(exc).__name__}）：{exc}"


def _context() -> multiprocessing.context.BaseContext:
    """Fork when it is safe (POSIX, no other threads): workers start warm, with the engine and
    poster code already imported. Otherwise spawn, which re-imports everything per worker."""
    if os.name == "posix" and threading.active_count() == 1:
        import pipelines.engines.factory
        import pipelines.engines.template
        import pipelines.poster
        import pipelines.render_md
        import pipelines.tasks  # noqa: F401

        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _result(future: cf.Future) -> tuple[str, str]:
    try:
        return future.result()
    except cf.process.BrokenProcessPool:
        return "failed", "生成进程意外退出（可能内存不足或被结束），重跑即可"


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group; the parent alone decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_batch(
    inputs: list[BatchInput],
    out_dir: Path,
    store: Store,
    settings: Settings,
    *,
    concurrency: int = 1,
    posters: bool = True,
    on_outcome: Hook | None = None,
    worker: Callable[[Job], tuple[str, str]] = generate_one,
    summary: BatchSummary | None = None,
) -> BatchSummary:
    """Generate every input not already in the store; returns what happened to each.

    `worker(job)` returns ("ok", campaign id) or ("failed", reason).
    `on_outcome` is called in this process after each canvas is settled (progress bars; tests
    use it to interrupt). KeyboardInterrupt stops scheduling, lets running canvases finish and
    counts them, then re-raises; pass your own `summary` to read it afterwards.
    """
    summary = summary if summary is not None else BatchSummary()

    def settle(outcome: Outcome) -> None:
        summary.outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome, summary)

    jobs: list[Job] = []
    seen: set[str] = set()
    for entry in inputs:
        if entry.canvas is None:
            settle(Outcome(entry.source, "failed", entry.error or "无法读取"))
            continue
        digest = canvas_hash(entry.canvas)
        folder = output_folder(out_dir, entry.canvas, digest)
        existing = store.find_campaign(digest)
        if digest in seen or existing is not None:
            if existing is not None and not (folder / "package.json").is_file():
                package = store.generated_package(existing)
                write_outputs(package, folder, base_dir=entry.base_dir, posters=posters)
            reason = "本批次里重复的画布" if digest in seen else "已完成（上次运行）"
            settle(Outcome(entry.source, "skipped", reason, existing))
            continue
        seen.add(digest)
        job = Job(
            entry.source,
            entry.canvas.model_dump_json(),
            digest,
            folder,
            entry.base_dir,
            settings,
            posters,
        )
        jobs.append(job)

    def outcome(job: Job, status: str, payload: str) -> Outcome:
        if status == "ok":
            return Outcome(job.source, "done", str(job.folder), payload)
        return Outcome(job.source, "failed", payload)

    if concurrency <= 1 or len(jobs) <= 1:
        for job in jobs:
            settle(outcome(job, *worker(job)))
        return summary
    store.engine.dispose()  # no open database connection may be copied into a forked worker
    pool = cf.ProcessPoolExecutor(
        max_workers=min(concurrency, len(jobs)),
        mp_context=_context(),
        initializer=_ignore_sigint,
    )
    futures: dict[cf.Future, Job] = {}
    settled: set[cf.Future] = set()
    try:
        futures = {pool.submit(worker, job): job for job in jobs}
        for future in cf.as_completed(futures):
            settled.add(future)
            settle(outcome(futures[future], *_result(future)))
    except BaseException:
        summary.interrupted = True
        pool.shutdown(wait=True, cancel_futures=True)
        # Canvases already running were finished and stored by their workers: count them too.
        for future, job in futures.items():
            if future not in settled and future.done() and not future.cancelled():
                summary.outcomes.append(outcome(job, *_result(future)))
        raise
    pool.shutdown()
    return summary
