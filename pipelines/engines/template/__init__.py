"""The embedded template engine: composes every task's output from the canvas and the playbook.

No network, no model: deterministic for a seed (each item draws from its own generator seeded by
seed, item id and rewrite variant), different seeds pick different phrasings, and every number it
writes is one the canvas gave (prices, stock, specs, evidence), a date or a clock time.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError

from pipelines.canvas import Canvas
from pipelines.content.honesty import check_generated
from pipelines.engines.base import Result, Task, TaskKind
from pipelines.engines.template.common import Facts, Writer, rng_for
from pipelines.engines.template.fabe import selling_points
from pipelines.engines.template.group import group_kit, launch_sequence
from pipelines.engines.template.livestream import livestream_script
from pipelines.engines.template.plan import plan_week
from pipelines.engines.template.poster import poster_copy
from pipelines.engines.template.posts import rewrite_post, write_calendar
from pipelines.errors import EngineError
from pipelines.playbook import load_playbook, playbook_digest

# Bump when the composition changes, so cached answers of an older engine are not reused.
VERSION = "template-4"
_NOT_TEXT = {"id", "product_id", "post_id", "time", "date", "start_time", "step"}


class TemplateEngine:
    """The default engine. `seed` chooses among the playbook's phrasings."""

    name = "template"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.playbook = load_playbook()
        self._facts: tuple[Canvas, Facts] | None = None  # the last canvas's, shared by its tasks

    def cache_key(self, task: Task) -> str:
        data = playbook_digest()
        return f"{self.name}/{VERSION}/playbook={data}/seed={self.seed}/{task.input_hash()}"

    async def generate(self, task: Task) -> Result:
        return Result(output=self.compose(task))

    def compose(self, task: Task) -> BaseModel:
        """The output of `task`, synchronously (the work is pure and fast)."""
        output = _without_avoided(self._compose(task), task.canvas.avoid_words)
        problems = check_generated(output, task.canvas)
        if problems:  # a bug in the phrase data or the planner, never the user's fault
            raise EngineError(
                f"模板引擎写出了画布没有的内容（{task.item_id}）：" + "；".join(problems[:5])
            )
        return output

    def _writer(self, task: Task, item_id: str | None = None, facts: Facts | None = None) -> Writer:
        rng = rng_for(self.seed, item_id or task.item_id, task.variant)
        return Writer(task.canvas, self.playbook, rng, facts or self._facts_for(task.canvas),
                      seed=self.seed)  # fmt: skip

    def _facts_for(self, canvas: Canvas) -> Facts:
        """The canvas facts, computed once for all the tasks of one week (same canvas object)."""
        if self._facts is None or self._facts[0] is not canvas:
            self._facts = (canvas, Facts(canvas))
        return self._facts[1]

    def _compose(self, task: Task) -> BaseModel:
        write = getattr(self, f"_write_{task.kind.value}", None)  # one method per TaskKind
        if write is None:
            raise EngineError(f"模板引擎不支持任务类型 {task.kind}")
        return write(task, {p.product_id: p for p in task.selling_points})

    def _write_fabe(self, task: Task, points) -> BaseModel:
        if task.product is None:
            raise EngineError(f"卖点任务 {task.item_id} 没有指定商品")
        return selling_points(self._writer(task), task.product, task.item_id)

    def _write_calendar(self, task: Task, points) -> BaseModel:
        return self._calendar(task, points, task.item_id)

    def _write_post(self, task: Task, points) -> BaseModel:
        if task.post is None:
            raise EngineError(f"帖子改写任务 {task.item_id} 没有附上原帖")
        if task.variant == 0:  # the post as the week wrote it (its title made unique there)
            week = self._calendar(task, points, "calendar")
            found = next((p for p in week.posts if p.id == task.post.id), None)
            if found is not None:
                return found
        plan = plan_week(task.canvas, self.playbook, self.seed)
        return rewrite_post(self._writer(task), plan, points, task.post, task.variant)

    def _write_poster_copy(self, task: Task, points) -> BaseModel:
        if task.post is None:
            raise EngineError(f"海报文案任务 {task.item_id} 没有附上帖子")
        return poster_copy(self._writer(task), task.post, task.item_id)

    def _write_livestream(self, task: Task, points) -> BaseModel:
        if task.canvas.burst.livestream_day is None:
            raise EngineError("画布没有安排直播（引爆里的直播日为空），不写直播脚本")
        return livestream_script(self._writer(task), points, task.item_id)

    def _write_group_kit(self, task: Task, points) -> BaseModel:
        return group_kit(self._writer(task), task.item_id)

    def _write_launch(self, task: Task, points) -> BaseModel:
        plan = plan_week(task.canvas, self.playbook, self.seed)
        return launch_sequence(self._writer(task), task.item_id, plan)

    def _calendar(self, task: Task, points, item_id: str) -> BaseModel:
        plan = plan_week(task.canvas, self.playbook, self.seed)
        facts = self._facts_for(task.canvas)  # shared by the posts: computed once per canvas
        # Each post draws from its own generator (seeded by its id, never the task's variant).
        calendar_task = Task(TaskKind.CALENDAR, item_id, task.canvas)
        return write_calendar(
            lambda post_id: self._writer(calendar_task, post_id, facts), plan, points, item_id
        )


def _without_avoided(output: BaseModel, avoid: list[str]) -> BaseModel:
    """Drop the canvas's avoided words from any text (they can only come from canvas fields)."""
    if not avoid or not any(word in output.model_dump_json() for word in avoid):
        return output

    def scrub(value: Any, key: str = "") -> Any:
        if isinstance(value, Enum):  # a channel or a poster kind is a value, not copy
            return value
        if isinstance(value, str) and key == "evidence" and any(w in value for w in avoid):
            return ""  # quoted canvas evidence cannot be cut: say nothing rather than misquote
        if isinstance(value, str) and key not in _NOT_TEXT:
            for word in avoid:
                value = value.replace(word, "")
            return value
        if isinstance(value, dict):
            return {k: scrub(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v, key) for v in value]
        return value

    original = output.model_dump()
    scrubbed = scrub(original)
    try:
        return type(output).model_validate(scrubbed)
    except ValidationError as exc:
        # A label from a fixed set or a field that would be left empty keeps its own words:
        # those are the engine's structure, not copy the avoided word was meant to keep out.
        for error in exc.errors():
            _put_back(scrubbed, original, error["loc"])
        return type(output).model_validate(scrubbed)


def _put_back(target: Any, source: Any, loc: tuple[Any, ...]) -> None:
    for step in loc[:-1]:
        target, source = target[step], source[step]
    if loc:
        target[loc[-1]] = source[loc[-1]]


__all__ = ["VERSION", "TemplateEngine"]
