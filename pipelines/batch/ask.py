"""The asker's side of the queue: enqueue a batch, follow it, write its folders from the store.

Output folders are written by whoever asks for them (`batch --queue --wait`), from what the
store holds (package.json, package.md, the stored posters), never by the workers, which may be
on other machines.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.batch import jobs
from pipelines.batch.inputs import BatchInput
from pipelines.batch.runner import Outcome, output_folder
from pipelines.batch.work import prepare
from pipelines.canvas import Canvas
from pipelines.store import Store

POLL = 0.5  # seconds between looks at the batch's rows while waiting


@dataclass
class Enqueued:
    batch_id: str
    sent: list[jobs.CanvasJob] = field(default_factory=list)
    stored: list[Outcome] = field(default_factory=list)  # already in the store: not sent
    unreadable: list[Outcome] = field(default_factory=list)
    repeated: list[Outcome] = field(default_factory=list)  # the same canvas twice in the inputs

    @property
    def digests(self) -> list[str]:
        return [job.digest for job in self.sent]


def enqueue(
    inputs: list[BatchInput],
    store: Store,
    send: Callable[[jobs.CanvasJob], None],
    *,
    engine: str | None = None,
    seed: int | None = None,
    posters: bool = True,
    batch_id: str | None = None,
) -> Enqueued:
    """Record every readable input in `batch_jobs` and send the ones the store lacks."""
    result = Enqueued(batch_id or jobs.new_batch_id())
    prepared: list[jobs.CanvasJob] = []
    seen: set[str] = set()
    for entry in inputs:
        if entry.canvas is None:
            result.unreadable.append(Outcome(entry.source, "failed", entry.error or "无法读取"))
            continue
        job = prepare(
            entry, store, batch_id=result.batch_id, engine=engine, seed=seed, posters=posters
        )
        if job.digest in seen:
            result.repeated.append(Outcome(entry.source, "skipped", "本批次里重复的画布"))
            continue
        seen.add(job.digest)
        prepared.append(job)
    decided = jobs.record(store, prepared)
    for job in prepared:
        if decided[job.digest] == "send":
            send(job)
            result.sent.append(job)
        else:
            result.stored.append(
                Outcome(job.source, "skipped", "已完成（上次运行）", decided[job.digest])
            )
    return result


def resend(store: Store, digests: list[str], send: Callable[[jobs.CanvasJob], None]) -> int:
    """Failed canvases to the queue again, from their recorded jobs."""
    again = jobs.payloads(store, digests)
    jobs.requeue(store, [job.digest for job in again])
    for job in again:
        send(job)
    return len(again)


def follow(
    store: Store,
    digests: list[str],
    on_settled: Callable[[jobs.JobRow], None],
    *,
    poll: float = POLL,
    timeout: float | None = None,
) -> list[jobs.JobRow]:
    """Wait until every canvas is done or failed, calling `on_settled` once for each."""
    settled: set[str] = set()
    wanted = set(digests)
    started = time.monotonic()
    while True:
        current = jobs.rows(store, digests=wanted)
        for row in current:
            if row.state in ("done", "failed") and row.digest not in settled:
                settled.add(row.digest)
                on_settled(row)
        if settled >= wanted:
            return current
        if timeout is not None and time.monotonic() - started > timeout:
            return current
        time.sleep(poll)


def write_folder(store: Store, campaign_id: str, folder: Path) -> Path:
    """`folder` from the store: package.json, package.md and the stored poster PNGs, written
    aside and renamed, so it is whole or absent."""
    from pipelines.render_md import package_markdown

    package = store.generated_package(campaign_id)
    part = folder.with_name(folder.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    try:
        (part / "package.json").write_text(package.model_dump_json(indent=2), encoding="utf-8")
        (part / "package.md").write_text(package_markdown(package), encoding="utf-8")
        for poster in store.items(campaign_id, kind="poster_copy"):
            png = store.poster_png(poster.key)
            if png:
                (part / "posters").mkdir(exist_ok=True)
                (part / "posters" / f"{poster.item_id}.png").write_bytes(png)
        shutil.rmtree(folder, ignore_errors=True)
        part.rename(folder)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    return folder


def folder_for(out_dir: Path, canvas_json: str, digest: str) -> Path:
    return output_folder(out_dir, Canvas.model_validate_json(canvas_json), digest)
