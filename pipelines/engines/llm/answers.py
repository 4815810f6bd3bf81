"""What the model is asked to write (a strict JSON schema) and how its answer becomes an item.

Fields the system knows better than the model — item ids, dates, the facts a task fixes — are
left out of the schema or overwritten after parsing, deterministically, before validation. The
output model then validates with the canvas in its context, so its business rules apply.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from pipelines.canvas import describe_validation_error
from pipelines.content import KINDS, Post
from pipelines.content.base import text as text_field
from pipelines.content.honesty import check_generated, date_problems
from pipelines.engines.base import Task, TaskKind

# Filled in by the system, never written by the model.
_SYSTEM_FIELDS = ("id", "findings")
_POST_SYSTEM_FIELDS = (*_SYSTEM_FIELDS, "date")
# What a rewrite of one post keeps from the original (see `Task`).
_POST_KEPT = {"day", "date", "time", "channel", "product_id", "activity_type", "form", "goal"}
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


class BadAnswer(Exception):
    """The model's answer cannot become the task's item; `str()` is the feedback for a reask."""


class PostWords(BaseModel):
    """What the model writes for a planned post: the rest comes from the plan."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: text_field(40)
    body: text_field(1200)


@cache
def _schema_of(model: type[BaseModel]) -> str:
    schema = model.model_json_schema()
    for name, definition in [(model.__name__, schema), *schema.get("$defs", {}).items()]:
        props = definition.get("properties", {})
        if "id" in props and "findings" in props:  # an Item
            for field in _POST_SYSTEM_FIELDS if name == "Post" else _SYSTEM_FIELDS:
                props.pop(field, None)
    _strict(schema)
    used = set(re.findall(r'"#/\$defs/([^"]+)"', json.dumps(schema)))
    defs = {k: v for k, v in schema.pop("$defs", {}).items() if k in used}
    if defs:
        schema["$defs"] = defs
    return json.dumps(schema, ensure_ascii=False, sort_keys=True)


def answer_model(task: Task) -> type[BaseModel]:
    """What the model answers for `task`: a planned post's words, else the task's output."""
    if task.kind is TaskKind.POST and task.brief is not None:
        return PostWords
    return KINDS[task.kind].model


def answer_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The strict JSON schema of an answer (a fresh copy)."""
    return json.loads(_schema_of(model))


def _strict(node: Any) -> None:
    """Strict structured-output form: closed objects, every property required, no defaults.

    String lengths move into the description: OpenAI's strict mode rejects `minLength` and
    `maxLength`; the output model still enforces them and a violation is fed back.
    """
    if isinstance(node, dict):
        node.pop("default", None)
        node.pop("title", None)
        node.pop("minLength", None)
        if "maxLength" in node:
            limit = f"不超过 {node.pop('maxLength')} 字"
            node["description"] = (
                f"{node['description']}（{limit}）" if "description" in node else limit
            )
        if node.get("type") == "object" or "properties" in node:
            node["additionalProperties"] = False
            node["required"] = list(node.get("properties", {}))
        for key, value in node.items():
            if key == "properties":
                for prop in value.values():
                    _strict(prop)
            else:
                _strict(value)
    elif isinstance(node, list):
        for value in node:
            _strict(value)


def parse_answer(task: Task, raw: str | None, model: type[BaseModel] | None = None) -> BaseModel:
    """Turn the raw answer text into the task's validated item (or into `model`, the answer of
    one part of the task), or raise BadAnswer."""
    data = read_json(raw)
    _fill_system_fields(task, data)
    output = validate_answer(model or task.output_model, data, task)
    if task.brief is not None:
        _reject(_moment_problems(output, task))
    return output


def validate_answer(model: type[BaseModel], data: dict[str, Any], task: Task) -> BaseModel:
    """`data` as `model`, validated with the canvas and the honesty rules, or BadAnswer."""
    try:
        output = model.model_validate_json(
            json.dumps(data, ensure_ascii=False), context={"canvas": task.canvas}
        )
    except ValidationError as exc:
        _reject(describe_validation_error(model, exc))
    _reject(check_generated(output, task.canvas))
    return output


def read_json(raw: str | None) -> dict[str, Any]:
    """The JSON object in an answer (a code fence around it is fine), or BadAnswer."""
    if raw is None or not raw.strip():
        raise BadAnswer("回答是空的：请输出完整的 JSON 对象。")
    text = raw.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadAnswer(
            f"回答不是合法的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）："
            "请只输出一个 JSON 对象，不要加说明文字。"
        ) from None
    if not isinstance(data, dict):
        raise BadAnswer("回答应是一个 JSON 对象（{...}），不是列表或单个值。")
    return data


def _moment_problems(post: Post, task: Task) -> list[str]:
    """A planned post's relative dates must point at moments of the week that have a post."""
    others = [
        Post.model_construct(day=day, time=time, title="", body="")
        for day, time in task.brief.moments
        if (day, time) != (post.day, post.time)
    ]
    return date_problems([post, *others], task.canvas)


def _reject(lines: list[str]) -> None:
    """Raise BadAnswer listing the problems, if there are any."""
    if not lines:
        return
    problems = "\n".join(f"- {line}" for line in lines[:20])
    more = f"\n（另有 {len(lines) - 20} 处）" if len(lines) > 20 else ""
    raise BadAnswer(f"回答未通过校验，共 {len(lines)} 处问题：\n{problems}{more}")


def _fill_system_fields(task: Task, data: dict[str, Any]) -> None:
    canvas = task.canvas
    data["id"] = task.item_id
    data["findings"] = []
    if task.kind is TaskKind.FABE and task.product is not None:
        data["product_id"] = task.product.id
        data["product"] = task.product.name
    elif task.kind is TaskKind.POST and task.brief is not None:
        data.update(task.brief.facts())
        data["date"] = task.brief.date.isoformat()
        for key in ("what", "day_purpose", "schedule"):
            del data[key]
        data["id"] = task.item_id
        data["needs_poster"] = task.brief.poster_kind is not None
    elif task.kind is TaskKind.POST and task.post is not None:
        data.update(task.post.model_dump(mode="json", include=_POST_KEPT))
    elif task.kind is TaskKind.POSTER_COPY and task.post is not None:
        data["post_id"] = task.post.id
        data["product_id"] = task.post.product_id
    elif task.kind is TaskKind.LIVESTREAM:
        data["start_time"] = canvas.burst.livestream_time
    elif task.kind is TaskKind.LAUNCH:
        data["launch_day"] = canvas.burst.launch_day


@cache
def schema_for_prompt(kind: TaskKind | type[BaseModel]) -> str:
    """The answer schema (of a task kind's output or of an answer model) as compact JSON text,
    for the prompt in json_object mode."""
    model = KINDS[kind].model if isinstance(kind, TaskKind) else kind
    return json.dumps(answer_schema(model), ensure_ascii=False)
