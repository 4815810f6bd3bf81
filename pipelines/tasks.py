"""The week plan: tasks with dependencies, run concurrently (bounded), answers cached by content.

    fabe[product] ──► calendar ──► poster_copy[post needing a poster]
         │     └────► livestream
         └──────────► launch (group-buy only)
    group_kit (independent)

An engine that writes post by post (`plan_posts`, the LLM engine) gets the week's plan from the
shared planner instead, and the calendar is assembled from one task per post:

    fabe[product] ──► post[planned post of that product] ──► poster_copy[that post]
    post[planned post without a product] ──► poster_copy[that post]

so the critical path is FABE → post → poster copy, and each post is reported as it is written.

A failed task fails only what depends on it: the package keeps everything else and lists the
failures, root causes first, and a re-run with the same cache redoes only what failed. Every
exception a task raises becomes a named failure, so no task can vanish from the package.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from pipelines import compliance
from pipelines.canvas import Canvas
from pipelines.content import (
    Item,
    Post,
    PosterCopy,
    SellingPoints,
    TaskFailure,
    Usage,
    WeekCalendar,
    WeekPackage,
    kind_of,
    reviewable_items,
)
from pipelines.content.kinds import at_place
from pipelines.engines.base import Engine, PostBrief, Task, TaskKind
from pipelines.errors import CampaignCanvasError, ContentError
from pipelines.textsafe import excerpt, redact

log = logging.getLogger(__name__)

T = TypeVar("T")
EventState = Literal["started", "done", "cached", "failed", "skipped"]
Annotator = Callable[[Item, Canvas], object]


@dataclass(frozen=True)
class TaskEvent:
    """Progress of one task, for progress bars and logs.

    `output` is the finished item ("done" and "cached"): a page can show each post as soon as it
    is written. `planned` is how many tasks the runner knows of so far (it grows when the
    calendar's posters become known), for a progress bar's total.
    """

    task_id: str
    kind: TaskKind
    state: EventState
    message: str = ""
    error: Exception | None = None  # what a failed task raised (a provider's note, an answer)
    output: BaseModel | None = None
    planned: int = 0


class ResultCache(Protocol):
    def get(self, key: str) -> str | None: ...
    def put(self, key: str, value: str) -> None: ...


class MemoryCache:
    """A process-local answer cache (JSON text by content key)."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self._data.get(key)

    def put(self, key: str, value: str) -> None:
        self._data[key] = value

    def __len__(self) -> int:
        return len(self._data)


class DiskCache:
    """Answers as JSON files under a folder, so a re-run in a new process is free too."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.folder / digest[:2] / f"{digest}.json"

    def get(self, key: str) -> str | None:
        try:
            return self._path(key).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def put(self, key: str, value: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a killed run never leaves half a file behind.
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value)
        os.replace(tmp, path)


class _Failed(Exception):
    """A task failed or was skipped; already recorded."""


class _Runner:
    def __init__(
        self,
        canvas: Canvas,
        engine: Engine,
        *,
        cache: ResultCache | None,
        concurrency: int,
        on_event: Callable[[TaskEvent], None] | None,
        annotate: Annotator | None,
    ) -> None:
        self.canvas = canvas
        self.engine = engine
        self.cache = cache
        self.limit = asyncio.Semaphore(concurrency)
        self.on_event = on_event
        self.annotate = annotate
        self.usage: dict[str, Usage] = {}
        self.failures: list[TaskFailure] = []
        self.planned = 0

    def _emit(
        self,
        task: Task,
        state: EventState,
        message: str = "",
        error: Exception | None = None,
        output: BaseModel | None = None,
    ) -> None:
        if self.on_event is not None:
            event = TaskEvent(task.item_id, task.kind, state, message, error, output, self.planned)
            self.on_event(event)

    def _fail(
        self,
        task: Task,
        message: str,
        *,
        skipped: bool = False,
        error: Exception | None = None,
    ) -> _Failed:
        message = redact(message)  # failures are written into packages: nothing key-shaped
        self.failures.append(
            TaskFailure(
                task_id=task.item_id, kind=task.kind.value, message=message, skipped=skipped
            )
        )
        self._emit(task, "skipped" if skipped else "failed", message, error)
        return _Failed(message)

    async def run(self, task: Task, *, use_cache: bool = True) -> BaseModel:
        """The task's output; any exception it raises is recorded as its failure (`_Failed`)."""
        try:
            return await self._run(task, use_cache=use_cache)
        except _Failed:
            raise
        except Exception as exc:
            spent = getattr(exc, "usage", None)  # attempts that failed still cost tokens
            if isinstance(spent, Usage) and spent.calls:
                self.usage[task.item_id] = spent
            raise self._recorded(task, exc) from None

    def _recorded(self, task: Task, exc: Exception) -> _Failed:
        """Record what `task` raised as its failure."""
        if isinstance(exc, CampaignCanvasError):
            return self._fail(task, str(exc), error=exc)
        if isinstance(exc, ValidationError):
            return self._fail(task, f"生成内容未通过校验：{exc.error_count()} 处问题", error=exc)
        log.debug("task %s raised", task.item_id, exc_info=exc)
        return self._fail(task, unexpected(exc), error=exc)

    async def _run(self, task: Task, *, use_cache: bool) -> BaseModel:
        key = self.engine.cache_key(task)
        cached = self.cache.get(key) if (self.cache is not None and use_cache) else None
        if cached is not None:
            try:
                output = task.output_model.model_validate_json(cached)
            except ValidationError:  # written by an older version: generate it again
                log.debug("cached answer for %s no longer validates", task.item_id)
            else:
                self._emit(task, "cached", output=output)
                return output
        async with self.limit:
            self._emit(task, "started")
            result = await self.engine.generate(task)
            output = result.output
            if not isinstance(output, task.output_model):
                raise ContentError(f"引擎返回了错误的类型：{type(output).__name__}")
            if getattr(output, "id", task.item_id) != task.item_id:
                raise ContentError(f"引擎返回的编号 {output.id} 与任务 {task.item_id} 不符")
        if result.usage.calls:
            self.usage[task.item_id] = result.usage
        if self.annotate is not None:
            for item in reviewable_items(output):
                self.annotate(item, self.canvas)
        if self.cache is not None:
            self.cache.put(key, output.model_dump_json())
        self._emit(task, "done", output=output)
        return output

    async def after(self, task: Task, deps: dict[str, Awaitable[BaseModel]]) -> list[BaseModel]:
        """Wait for dependencies (by task id); a failed one skips `task`, naming the ones that
        failed (recorded once)."""
        results = await asyncio.gather(*deps.values(), return_exceptions=True)
        failed = [
            name for name, r in zip(deps, results, strict=True) if isinstance(r, BaseException)
        ]
        if failed:
            raise self._fail(task, f"依赖的任务 {'、'.join(failed)} 失败，未生成", skipped=True)
        return list(results)


def unexpected(exc: BaseException) -> str:
    """The failure message for an exception that is not one of ours (a bug, an odd input)."""
    detail = excerpt(redact(str(exc)), 200)
    return f"内部错误（{type(exc).__name__}{'：' + detail if detail else ''}）"


def plan_roots(canvas: Canvas) -> list[Task]:
    """The tasks that depend on nothing: FABE per product and the group kit."""
    tasks = [Task(TaskKind.FABE, f"fabe-{p.id}", canvas, product=p) for p in canvas.products]
    tasks.append(Task(TaskKind.GROUP_KIT, "group-kit", canvas))
    return tasks


async def build_week(
    canvas: Canvas,
    engine: Engine,
    *,
    cache: ResultCache | None = None,
    concurrency: int = 8,
    on_event: Callable[[TaskEvent], None] | None = None,
    annotate: Annotator | None = None,
    generated_at: dt.datetime | None = None,
) -> WeekPackage:
    """Run the whole week plan and assemble the package (partial, with failures, if any failed)."""
    runner = _Runner(
        canvas,
        engine,
        cache=cache,
        concurrency=concurrency,
        on_event=on_event,
        annotate=annotate if annotate is not None else compliance.annotate,
    )
    jobs: dict[str, tuple[TaskKind, asyncio.Task]] = {}

    def spawn(
        kind: TaskKind, task_id: str, work: Coroutine[object, object, T], *, counted: bool = True
    ) -> asyncio.Task:
        runner.planned += counted
        job = jobs[task_id] = (kind, asyncio.create_task(work))
        return job[1]

    roots = plan_roots(canvas)
    fabe = {t.item_id: spawn(t.kind, t.item_id, runner.run(t)) for t in roots[:-1]}
    kit = spawn(TaskKind.GROUP_KIT, roots[-1].item_id, runner.run(roots[-1]))

    async def with_points(kind: TaskKind, item_id: str) -> BaseModel:
        task = Task(kind, item_id, canvas)
        points = await runner.after(task, fabe)
        return await runner.run(Task(kind, item_id, canvas, selling_points=tuple(points)))

    def planned(kind: TaskKind, item_id: str) -> asyncio.Task:
        return spawn(kind, item_id, with_points(kind, item_id))

    plan_posts = getattr(engine, "plan_posts", None)
    if plan_posts is None:
        calendar = planned(TaskKind.CALENDAR, "calendar")
    else:
        calendar, poster_job = _post_by_post(runner, canvas, plan_posts, fabe, spawn)
    # A run-of-show only for a canvas that plans a live.
    has_live = canvas.burst.livestream_day is not None
    livestream = planned(TaskKind.LIVESTREAM, "livestream") if has_live else None
    launch = planned(TaskKind.LAUNCH, "launch") if canvas.burst.group_buy else None

    async def posters() -> list[PosterCopy]:
        (week,) = await runner.after(
            Task(TaskKind.POSTER_COPY, "posters", canvas), {"calendar": calendar}
        )
        points = {p.product_id: p for p in await asyncio.gather(*fabe.values())}
        needing = [post for post in week.posts if post.needs_poster]
        runner.planned += len(needing)
        jobs = [
            runner.run(
                Task(
                    TaskKind.POSTER_COPY,
                    f"poster-{post.id}",
                    canvas,
                    post=post,
                    selling_points=(points[post.product_id],) if post.product_id else (),
                )
            )
            for post in needing
        ]
        done = await asyncio.gather(*jobs, return_exceptions=True)
        return [p for p in done if isinstance(p, PosterCopy)]

    if plan_posts is None:
        poster_job = spawn(TaskKind.POSTER_COPY, "posters", posters(), counted=False)
    await asyncio.gather(*(job for _, job in jobs.values()), return_exceptions=True)
    for task_id, (kind, job) in jobs.items():  # raised outside `runner.run`: still a failure
        error = job.exception()
        if error is not None and not isinstance(error, _Failed):
            runner.failures.append(
                TaskFailure(task_id=task_id, kind=kind.value, message=unexpected(error))
            )

    def value(job: asyncio.Task | None) -> BaseModel | None:
        if job is None or job.exception() is not None:
            return None
        return job.result()

    try:
        return WeekPackage(
            canvas=canvas,
            engine=engine.name,
            generated_at=generated_at or dt.datetime.now(dt.UTC).replace(microsecond=0),
            selling_points=[p for p in map(value, fabe.values()) if isinstance(p, SellingPoints)],
            calendar=value(calendar),
            posters=value(poster_job) or [],
            livestream=value(livestream),
            group_kit=value(kit),
            launch=value(launch),
            task_usage=runner.usage,
            failures=sorted(runner.failures, key=lambda f: f.skipped),  # root causes first
        )
    except ValidationError as exc:
        problems = "；".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise ContentError(f"生成的一周内容未通过校验：{problems}") from None


def _post_by_post(runner: _Runner, canvas: Canvas, plan_posts, fabe, spawn):
    """The calendar written one planned post at a time, each poster as soon as its post is.

    Returns the jobs of the assembled calendar and of the week's posters. Each post waits only
    for its own product's selling points. A post that fails is listed and costs only itself
    (and its poster) when the rest still make a valid week.
    """
    task = Task(TaskKind.CALENDAR, "calendar", canvas)
    try:
        briefs: list[PostBrief] = plan_posts(canvas)
    except CampaignCanvasError as exc:  # the planner refuses this canvas (e.g. no home channel)
        failed = runner._fail(task, str(exc), error=exc)

        async def fail() -> BaseModel:
            raise failed

        return spawn(TaskKind.CALENDAR, "calendar", fail()), None

    async def write(brief: PostBrief) -> BaseModel:
        own = f"fabe-{brief.product_id}"
        post_task = Task(TaskKind.POST, brief.id, canvas, brief=brief)
        points = await runner.after(post_task, {own: fabe[own]} if brief.product_id else {})
        return await runner.run(
            Task(TaskKind.POST, brief.id, canvas, brief=brief, selling_points=tuple(points))
        )

    posts = {b.id: spawn(TaskKind.POST, b.id, write(b)) for b in briefs}

    async def poster(brief: PostBrief) -> BaseModel:
        poster_task = Task(TaskKind.POSTER_COPY, f"poster-{brief.id}", canvas)
        (post,) = await runner.after(poster_task, {brief.id: posts[brief.id]})
        points = await fabe[f"fabe-{post.product_id}"] if post.product_id else None
        return await runner.run(
            Task(
                TaskKind.POSTER_COPY,
                poster_task.item_id,
                canvas,
                post=post,
                selling_points=(points,) if points is not None else (),
            )
        )

    poster_jobs = [
        spawn(TaskKind.POSTER_COPY, f"poster-{b.id}", poster(b))
        for b in briefs
        if b.poster_kind is not None
    ]

    async def assemble() -> BaseModel:
        results = await asyncio.gather(*posts.values(), return_exceptions=True)
        failed = [i for i, r in zip(posts, results, strict=True) if isinstance(r, BaseException)]
        written = [r for r in results if isinstance(r, Post)]
        try:
            week = week_calendar(canvas, written)
        except ValidationError as exc:
            problems = "；".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
            if failed:
                message = f"依赖的任务 {'、'.join(failed)} 失败，其余帖子排不成一周：{problems}"
            else:
                message = f"按计划写好的帖子未通过整周校验：{problems}"
            raise runner._fail(task, message, skipped=bool(failed)) from None
        runner._emit(task, "done", output=week)
        return week

    calendar = spawn(TaskKind.CALENDAR, "calendar", assemble(), counted=False)

    async def posters() -> list[PosterCopy]:
        done = await asyncio.gather(*poster_jobs, return_exceptions=True)
        try:
            week = await calendar
        except Exception:
            return []
        ids = {p.id for p in week.posts}
        return [p for p in done if isinstance(p, PosterCopy) and p.post_id in ids]

    return calendar, spawn(TaskKind.POSTER_COPY, "posters", posters(), counted=False)


def week_calendar(canvas: Canvas, posts: list[Post]) -> WeekCalendar:
    """The week's calendar from its written posts, in time order, validated with the canvas.

    Posts written one at a time cannot see each other's titles: a repeated title gets its
    weekday and time added, as the template engine does.
    """
    seen: set[str] = set()
    unique = []
    for post in sorted(posts, key=lambda p: (p.day, p.time, p.id)):
        title = post.title
        if title in seen:
            stamp = f"·周{'一二三四五六日'[post.date.weekday()]}{post.time}"
            title = title[: 40 - len(stamp)] + stamp
            post = post.model_copy(update={"title": title})
        seen.add(title)
        unique.append(post)
    data = {"id": "calendar", "posts": [p.model_dump(mode="json") for p in unique]}
    return WeekCalendar.model_validate(data, context={"canvas": canvas})


def generate_week(
    canvas: Canvas,
    engine: Engine | None = None,
    *,
    seed: int = 0,
    cache: ResultCache | None = None,
    concurrency: int = 8,
    on_event: Callable[[TaskEvent], None] | None = None,
) -> WeekPackage:
    """Synchronous `build_week`; with no engine, the embedded template engine with `seed`."""
    if engine is None:
        from pipelines.engines.template import TemplateEngine

        engine = TemplateEngine(seed=seed)
    return run_sync(
        build_week(canvas, engine, cache=cache, concurrency=concurrency, on_event=on_event)
    )


def run_sync(work: Coroutine[object, object, T]) -> T:
    """`asyncio.run` that keeps the result off the main task.

    On Python 3.11, `asyncio.run` ends by formatting the repr of its SIGINT handler, which holds
    the main task and so the repr of its result: a whole WeekPackage, about 15 ms of wasted work.
    """
    box: list[T] = []

    async def main() -> None:
        box.append(await work)

    asyncio.run(main())
    return box[0]


# --- regenerating one item -------------------------------------------------------------------


def regeneration_task(package: WeekPackage, item_id: str, variant: int) -> Task:
    """The task that rewrites one item of `package`, with the package's outputs as context."""
    canvas = package.canvas
    points = {p.product_id: p for p in package.selling_points}
    item = package.item(item_id)
    if isinstance(item, SellingPoints):
        return Task(
            TaskKind.FABE, item_id, canvas, product=canvas.product(item.product_id), variant=variant
        )
    if isinstance(item, Post):
        related = (points[item.product_id],) if item.product_id in points else ()
        return Task(
            TaskKind.POST, item_id, canvas, post=item, selling_points=related, variant=variant
        )
    if isinstance(item, PosterCopy):
        post = package.item(item.post_id)
        related = (points[item.product_id],) if item.product_id in points else ()
        return Task(
            TaskKind.POSTER_COPY,
            item_id,
            canvas,
            post=post,
            selling_points=related,
            variant=variant,
        )
    return Task(
        kind_of(item).kind,
        item_id,
        canvas,
        selling_points=tuple(package.selling_points),
        variant=variant,
    )


def replace_item(package: WeekPackage, new: Item) -> WeekPackage:
    """A copy of `package` with the item of the same id replaced (validated as a whole again)."""
    data = package.model_copy(deep=True)
    where, _, name = kind_of(new).place.rpartition(".")
    owner = at_place(data, where) if where else data
    if owner is not None:
        current = getattr(owner, name)
        if isinstance(current, list):
            setattr(owner, name, [new if p.id == new.id else p for p in current])
        else:
            setattr(owner, name, new)
    try:
        return WeekPackage.model_validate(data.model_dump())
    except ValidationError as exc:
        problems = "；".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise ContentError(f"修改后的内容未通过校验：{problems}") from None


async def aregenerate_item(
    package: WeekPackage, item_id: str, engine: Engine, *, variant: int = 1
) -> WeekPackage:
    """Rewrite one item with exactly one engine task (never from cache) and put it in place."""
    try:
        task = regeneration_task(package, item_id, variant)
    except KeyError:
        raise ContentError(f"找不到条目「{item_id}」") from None
    runner = _Runner(
        package.canvas,
        engine,
        cache=None,
        concurrency=1,
        on_event=None,
        annotate=compliance.annotate,
    )
    try:
        output = await runner.run(task, use_cache=False)
    except _Failed as exc:
        raise ContentError(f"重新生成「{item_id}」失败：{exc}") from None
    updated = replace_item(package, output)
    for task_id, usage in runner.usage.items():
        updated.task_usage[task_id] = updated.task_usage.get(task_id, Usage()) + usage
    return updated


def regenerate_item(
    package: WeekPackage, item_id: str, engine: Engine, *, variant: int = 1
) -> WeekPackage:
    """Synchronous `aregenerate_item`."""
    return run_sync(aregenerate_item(package, item_id, engine, variant=variant))
