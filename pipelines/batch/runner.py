"""Run many canvases: processes for the CPU-bound template engine, resumable, failure-isolated.

Each canvas is known by the content hash of the canvas. A worker writes `DIR/<name>/` (into a
temporary folder, renamed when complete), then saves the package to the store in one
transaction — that save is the commit point, and workers make it side by side (SQLite in WAL
mode lets them queue briefly). A re-run skips canvases the store already holds, so an
interrupted batch (Ctrl-C, SIGTERM, kill -9) redoes only unfinished canvases and duplicates
nothing.

Two batches into one output folder share the work: a worker first claims its canvas with an
exclusive `flock` on `DIR/.claims/<hash>.lock` (the kernel releases it when the process ends,
however it ends, so a killed batch leaves no stale claim). A canvas another batch holds is
tried again after the others; once claimed, a canvas the store already has is skipped.

Workers exit on their own when the batch process is gone (a thread compares `os.getppid()`
with the parent's pid), so a killed batch leaves no process behind.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no claims, one batch per output folder at a time
    fcntl = None

from pipelines.auth import User
from pipelines.batch.inputs import BatchInput
from pipelines.canvas import Canvas, normalise_name
from pipelines.content import WeekPackage
from pipelines.errors import CampaignCanvasError
from pipelines.settings import Settings
from pipelines.store import Store, canvas_hash, open_store

BATCH_USER = User(name="批量生成", role="operator")
PARENT_CHECK = 0.25  # seconds between a worker's looks at whether the batch process is alive
BUSY_RETRY = 0.5  # seconds before trying again the canvases another batch holds
BROKEN = "生成进程意外退出（可能内存不足或被结束），重跑即可"


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
    try:
        (part / "package.json").write_text(package.model_dump_json(indent=2), encoding="utf-8")
        (part / "package.md").write_text(package_markdown(package), encoding="utf-8")
        images: dict[str, bytes] = {}
        if posters and package.posters:
            from pipelines.poster import write_week_posters

            # One canvas per process already: no nested process pool.
            parts = write_week_posters(package, part / "posters", base_dir=base_dir, workers=1)
            for path in parts:
                images[path.stem] = path.read_bytes()
        shutil.rmtree(folder, ignore_errors=True)
        part.rename(folder)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)  # a failed canvas leaves no half-written folder
        raise
    return images


@contextmanager
def claim(out_dir: Path, digest: str) -> Iterator[bool]:
    """Hold one canvas of `out_dir` for this process while the block runs; yields False (and
    holds nothing) when another process holds it."""
    if fcntl is None:
        yield True
        return
    locks = out_dir / ".claims"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{digest}.lock", "ab") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True  # closing the file releases the lock


def restore_folder(
    store: Store, campaign_id: str, folder: Path, base_dir: Path, posters: bool
) -> None:
    """Rewrite a stored canvas's folder from the store when it is missing (no regeneration)."""
    if not (folder / "package.json").is_file():
        package = store.generated_package(campaign_id)
        write_outputs(package, folder, base_dir=base_dir, posters=posters)


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


def run_claimed(worker: Callable[[Job], tuple[str, str]], job: Job) -> tuple[str, str]:
    """Worker: `worker(job)` while holding the canvas's claim. ("busy", "") when another batch
    holds it; ("stored", campaign id) when, once claimed, the store already has it."""
    try:
        with claim(job.folder.parent, job.digest) as held:
            if not held:
                return "busy", ""
            store = worker_store(job.settings)
            existing = store.find_campaign(job.digest)
            if existing is not None:
                restore_folder(store, existing, job.folder, job.base_dir, job.posters)
                return "stored", existing
            return worker(job)
    except CampaignCanvasError as exc:
        return "failed", str(exc)
    except OSError as exc:
        return "failed", f"写入 {job.folder} 失败：{exc.strerror or exc}"


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
        return "failed", BROKEN


def _start_worker(parent_pid: int) -> None:
    # Ctrl-C reaches the whole process group; the parent alone decides how to stop. (SIGTERM
    # keeps its default: the pool itself terminates workers with it when one dies.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker must not use the connections it inherited; it opens its own.
    for inherited in _stores.values():
        inherited.engine.dispose(close=False)
    _stores.clear()
    threading.Thread(
        target=_exit_with_parent, args=(parent_pid,), name="exit-with-parent", daemon=True
    ).start()


def _exit_with_parent(parent_pid: int) -> None:
    """Once the batch process is gone (killed, even with -9) this worker is an orphan: stop at
    once. The canvas it was on is not stored (its transaction is rolled back) and is redone by
    the next run; its `.part` folder is replaced then."""
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK)
    os._exit(1)


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
        if digest in seen:
            settle(
                Outcome(entry.source, "skipped", "本批次里重复的画布", store.find_campaign(digest))
            )
            continue
        seen.add(digest)
        existing = store.find_campaign(digest)
        if existing is not None:
            try:
                with claim(out_dir, digest) as held:
                    if held:  # else another batch is rewriting it
                        restore_folder(store, existing, folder, entry.base_dir, posters)
            except (OSError, CampaignCanvasError) as exc:
                reason = getattr(exc, "strerror", None) or exc
                settle(Outcome(entry.source, "failed", f"写入 {folder} 失败：{reason}", existing))
                continue
            settle(Outcome(entry.source, "skipped", "已完成（上次运行）", existing))
            continue
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

    busy: list[Job] = []

    def take(job: Job, status: str, payload: str, *, hook: bool = True) -> None:
        if status == "busy":
            busy.append(job)
            return
        if status == "ok":
            result = Outcome(job.source, "done", str(job.folder), payload)
        elif status == "stored":
            result = Outcome(job.source, "skipped", "已由同时运行的另一批次完成", payload)
        else:
            result = Outcome(job.source, "failed", payload)
        if hook:
            settle(result)
        else:
            summary.outcomes.append(result)

    pool = None
    if concurrency > 1 and len(jobs) > 1:
        store.engine.dispose()  # no open database connection may be copied into a forked worker
        pool = cf.ProcessPoolExecutor(
            max_workers=min(concurrency, len(jobs)),
            mp_context=_context(),
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )
    futures: dict[cf.Future, Job] = {}
    settled: set[cf.Future] = set()
    try:
        pending = jobs
        while pending:
            busy.clear()
            if pool is None:
                for job in pending:
                    take(job, *run_claimed(worker, job))
            else:
                try:
                    futures = {pool.submit(run_claimed, worker, job): job for job in pending}
                except cf.process.BrokenProcessPool:  # a worker died in the last round
                    for job in pending:
                        take(job, "failed", BROKEN)
                    break
                settled = set()
                for future in cf.as_completed(futures):
                    settled.add(future)
                    take(futures[future], *_result(future))
            pending = list(busy)
            if pending:  # another batch is on these: see what became of them in a moment
                time.sleep(BUSY_RETRY)
    except BaseException:
        summary.interrupted = True
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            # Canvases already running were finished and stored by their workers: count them.
            for future, job in futures.items():
                if future not in settled and future.done() and not future.cancelled():
                    take(job, *_result(future), hook=False)
        raise
    if pool is not None:
        pool.shutdown()
    return summary
