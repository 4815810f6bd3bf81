"""One queued canvas, start to finish: preparing its job (asker) and running it (worker).

`run_job` raises on failure, so a queue can tell: `Transient` (429, 5xx, timeouts, a lost
database connection: worth retrying later, after `retry_after` seconds when the provider said)
or `Permanent` (a canvas or configuration problem, recorded with its Chinese reason, not
retried). A canvas already stored, or being run by another live worker, is not run again.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path, PurePath

from sqlalchemy.exc import OperationalError

from pipelines.batch import jobs
from pipelines.batch.inputs import BatchInput
from pipelines.batch.runner import BATCH_USER
from pipelines.canvas import Canvas
from pipelines.content import WeekPackage
from pipelines.errors import CampaignCanvasError
from pipelines.settings import Settings
from pipelines.store import Store, canvas_hash


class JobFailed(Exception):
    """A canvas did not finish; `str()` is the Chinese reason."""


class Transient(JobFailed):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Permanent(JobFailed):
    pass


class Busy(Transient):
    """Another live worker holds the canvas; look again when its lease would run out."""


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


# --- the asker's side -------------------------------------------------------------------------


def _references(canvas: Canvas) -> list[str]:
    found = [p.image for p in canvas.products if p.image]
    if canvas.brand.logo:
        found.append(canvas.brand.logo)
    return found


def prepare(
    entry: BatchInput,
    store: Store,
    *,
    batch_id: str,
    engine: str | None = None,
    seed: int | None = None,
    posters: bool = True,
) -> jobs.CanvasJob:
    """The job for one readable input; the images it names go into the store as bytes (an
    image that cannot be found stays out, and its poster fails on the worker with the same
    message as locally)."""
    from pipelines.errors import PosterError
    from pipelines.poster.images import find_image, read_image_file

    assert entry.canvas is not None
    canvas = entry.canvas
    images: dict[str, str] = {}
    if posters:
        for reference in _references(canvas):
            try:
                path = find_image(reference, base_dir=entry.base_dir, what="图片")
                data = read_image_file(path)
            except PosterError:
                continue
            (images[reference],) = jobs.put_blobs(store, [data])
    return jobs.CanvasJob(
        digest=canvas_hash(canvas),
        canvas_json=canvas.model_dump_json(),
        source=entry.source,
        batch_id=batch_id,
        engine=engine,
        seed=seed,
        posters=posters,
        images=images,
    )


# --- the worker's side ------------------------------------------------------------------------


@contextlib.contextmanager
def _lease(store: Store, digest: str, worker: str, lease: float) -> Iterator[None]:
    """Renew the claim every third of its lease while the block runs."""
    stop = threading.Event()

    def keep() -> None:
        while not stop.wait(lease / 3):
            with contextlib.suppress(Exception):  # a missed renewal: the next one may land
                jobs.renew(store, digest, worker, lease)

    thread = threading.Thread(target=keep, name=f"lease-{digest[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _failure(package: WeekPackage, errors: list[Exception]) -> JobFailed:
    causes = sorted(package.failures, key=lambda f: f.skipped)  # root causes first
    reasons = "；".join(f"{f.task_id}：{f.message}" for f in causes[:3])
    reason = f"有 {len(package.failures)} 个任务未完成（{reasons}）"
    transient = [e for e in errors if _is_transient(e)]
    if transient:
        waits = [w for e in transient if (w := getattr(e, "retry_after", None)) is not None]
        return Transient(reason, max(waits) if waits else None)
    return Permanent(reason)


def _is_transient(error: Exception) -> bool:
    marked = getattr(error, "transient", None)
    if marked is not None:
        return bool(marked)
    # The engine's own overall deadline (CC_DEADLINE) is a timeout too.
    return "CC_DEADLINE" in str(error)


def _render_posters(
    package: WeekPackage, job: jobs.CanvasJob, store: Store, folder: Path
) -> dict[str, bytes]:
    """The week's posters as PNG bytes by poster id, drawn with the images that travelled with
    the job (written into `folder`, the references pointed at them for drawing only)."""
    from pipelines.poster import write_week_posters

    files = jobs.get_blobs(store, job.images.values())
    local: dict[str, str] = {}
    for reference, sha in job.images.items():
        if sha in files:
            name = f"{sha[:32]}{PurePath(reference).suffix.lower()}"
            (folder / name).write_bytes(files[sha])
            local[reference] = name
    canvas = package.canvas
    drawn = canvas.model_copy(
        update={
            "products": [
                p.model_copy(update={"image": local.get(p.image, p.image)}) if p.image else p
                for p in canvas.products
            ],
            "brand": canvas.brand.model_copy(
                update={"logo": local.get(canvas.brand.logo, canvas.brand.logo)}
            )
            if canvas.brand.logo
            else canvas.brand,
        }
    )
    paths = write_week_posters(
        package.model_copy(update={"canvas": drawn}), folder / "posters", base_dir=folder, workers=1
    )
    return {path.stem: path.read_bytes() for path in paths}


def run_job(
    job: jobs.CanvasJob, settings: Settings, store: Store, *, worker: str | None = None
) -> str:
    """Generate and store one canvas unless it is stored already; returns its campaign id.
    Raises `Transient` (the canvas is queued again) or `Permanent` (recorded as failed)."""
    worker = worker or worker_id()
    lease = settings.cc_queue_heartbeat
    try:
        taken = jobs.claim(store, job, worker, lease)
    except OperationalError as exc:
        raise Transient(f"数据库暂时连不上：{type(exc.orig).__name__}") from None
    if taken.outcome == "done":
        return taken.campaign_id or ""
    if taken.outcome == "failed":
        raise Permanent("这个画布已记为失败；请用 campaign-canvas batch --retry-failed 重试")
    if taken.outcome == "busy":
        raise Busy("另一个工作进程正在生成这个画布", taken.wait + 0.5)
    try:
        with _lease(store, job.digest, worker, lease):
            campaign_id = _generate(job, settings, store)
    except Transient as exc:
        with contextlib.suppress(Exception):
            jobs.release(store, job.digest, worker, str(exc))
        raise
    except Permanent as exc:
        jobs.fail(store, job.digest, str(exc))
        raise
    jobs.finish(store, job.digest, campaign_id)
    return campaign_id


def _generate(job: jobs.CanvasJob, settings: Settings, store: Store) -> str:
    from pipelines.engines.factory import make_engine
    from pipelines.tasks import generate_week

    try:
        canvas = Canvas.model_validate_json(job.canvas_json)
        engine = make_engine(
            settings,
            engine=job.engine or settings.cc_engine,
            seed=job.seed if job.seed is not None else settings.cc_seed,
        )
        errors: list[Exception] = []

        def noted(event) -> None:  # type: ignore[no-untyped-def]
            if event.state == "failed" and event.error is not None:
                errors.append(event.error)

        # Model answers are shared through the database; the template engine's cost nothing.
        llm = (job.engine or settings.cc_engine) != "template"
        package = generate_week(
            canvas,
            engine,
            cache=jobs.StoreCache(store) if llm else None,
            concurrency=settings.cc_max_concurrency,
            on_event=noted,
        )
        if package.failures:
            raise _failure(package, errors)
        posters: dict[str, bytes] = {}
        if job.posters and package.posters:
            with tempfile.TemporaryDirectory(prefix="cc-job-") as folder:
                posters = _render_posters(package, job, store, Path(folder))
        return store.save_package(package, user=BATCH_USER, posters=posters)
    except JobFailed:
        raise
    except OperationalError as exc:
        raise Transient(f"数据库暂时连不上：{type(exc.orig).__name__}") from None
    except CampaignCanvasError as exc:
        raise Permanent(str(exc)) from None
    except OSError as exc:
        raise Transient(f"临时文件读写失败：{exc.strerror or exc}") from None
    except Exception as exc:  # a bug in one canvas's run must not loop on the queue
        raise Permanent(f"内部错误（{type(exc).__name__}）：{exc}") from None
