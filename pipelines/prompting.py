"""Prompts are files in prompts/, rendered by one sandboxed, strict Jinja environment.

A missing variable fails loudly (StrictUndefined). User text from the canvas reaches a prompt only
through the `data` macro, as JSON inside a named tag; the system prompt tells the model that
whatever sits inside those tags is data, never instructions. That includes the values a task
fixes (its id, the product's id and name, dates, prices): they travel in the `<task>` block
(`task_facts`), and the instructions refer to its fields instead of quoting them.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel

from pipelines.content.honesty import backed_mechanics
from pipelines.engines.base import Task, TaskKind
from pipelines.errors import ConfigError
from pipelines.knowledge import attributes_in, tone_for, trade_for
from pipelines.playbook import load_playbook
from pipelines.resources import PROMPTS_DIR


def data_json(value: Any) -> str:
    """JSON for a data block; `</` is escaped so text can never close the tag around it."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude={"findings"})
    elif isinstance(value, (list, tuple)):
        value = [
            v.model_dump(mode="json", exclude={"findings"}) if isinstance(v, BaseModel) else v
            for v in value
        ]
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("</", "<\\/")


@cache
def environment() -> SandboxedEnvironment:
    """The one environment every prompt is rendered with."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(PROMPTS_DIR),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,  # prompts are plain text, not HTML
    )
    env.filters["data_json"] = data_json
    return env


def render(template: str, **context: Any) -> str:
    """Render one prompt template; a missing template or variable is a ConfigError."""
    try:
        return environment().get_template(template).render(**context).strip()
    except TemplateNotFound:
        raise ConfigError(f"找不到提示词模板 prompts/{template}") from None


@cache
def compliance_rules() -> tuple[str, ...]:
    """One line per compliance category, from the checker's lexicon (never retyped here)."""
    from pipelines.compliance import load_lexicon

    grouped: dict[str, list[Any]] = {}
    for rule in load_lexicon().rules:
        if rule.kind in ("error", "warning"):
            grouped.setdefault(rule.category, []).append(rule)
    lines = []
    for category, rules in grouped.items():
        laws = "；".join(dict.fromkeys(law for r in rules for law in r.law.split("；")))
        whys = "；".join(dict.fromkeys(r.why.rstrip("。") for r in rules))
        terms = list(dict.fromkeys(t for r in rules for t in r.terms))[:12]
        only = sorted({c for r in rules for c in r.channels})
        where = f"（只针对{'、'.join(only)}）" if only else ""
        example = f" 不要写：{'、'.join(terms)} 等。" if terms else ""
        lines.append(f"{category}{where}（{laws}）：{whys}。{example}")
    return tuple(lines)


def task_facts(task: Task) -> dict[str, Any]:
    """What this task fixes, for the `<task>` data block: ids, names, dates, times and prices."""
    canvas = task.canvas
    burst = canvas.burst
    facts: dict[str, Any] = {"item_id": task.item_id}
    if task.kind is TaskKind.FABE and task.product is not None:
        facts |= {"product_id": task.product.id, "product": task.product.name}
    elif task.kind is TaskKind.POST and task.brief is not None:
        facts |= task.brief.facts()
        if task.brief.product_id:
            product = canvas.product(task.brief.product_id)
            facts["product"] = product.name
    elif task.kind is TaskKind.POSTER_COPY and task.post is not None:
        facts["post_id"] = task.post.id
        if task.post.product_id:
            product = canvas.product(task.post.product_id)
            original = product.price if product.promo_price else None
            facts |= {
                "product_id": product.id,
                "price": {"promo": product.offer_price, "original": original, "unit": "元"},
            }
    elif task.kind is TaskKind.LIVESTREAM:
        facts |= {"start_time": burst.livestream_time, "minutes": burst.livestream_minutes}
    elif task.kind is TaskKind.LAUNCH:
        launch_date = canvas.days[burst.launch_day - 1].isoformat()
        facts |= {"launch_day": burst.launch_day, "launch_date": launch_date}
    return facts


def task_messages(
    task: Task, *, json_mode: str, schema: str, part: Any = None
) -> list[dict[str, str]]:
    """System and user messages for one task (or one `part` of it: a planned live-script block,
    given as its `facts()`). `schema` is shown in the prompt in object mode.

    Every call about one canvas starts with the same system prompt and `<canvas>` block, so a
    provider's prefix cache serves the rest of the week's calls.
    """
    playbook = load_playbook()
    canvas = task.canvas
    trade = trade_for(canvas, playbook)
    features = [f for p in canvas.products for f in p.features]
    attributes = list(
        {id(a): a for f in features for a in attributes_in(f, trade)}.values()
    )  # fmt: skip
    backed = backed_mechanics(canvas, playbook.honesty.mechanics)
    facts = task_facts(task)
    if part is not None:
        facts["part"] = part.facts()
    context = {
        "task": task,
        "part": part,
        "facts": facts,
        "canvas": canvas,
        "playbook": playbook,
        "tone": tone_for(canvas, playbook),
        "trade": trade,
        "attributes": attributes[:20],
        "unbacked": [(m.key, m.words) for m in playbook.honesty.mechanics if m.key not in backed],
        "json_mode": json_mode,
        "schema": schema,
        "compliance": compliance_rules(),
    }
    return [
        {"role": "system", "content": render("system.j2", **context)},
        {"role": "user", "content": render(f"{task.kind.value}.j2", **context)},
    ]


def reask_message(feedback: str) -> str:
    """The user turn that sends a rejected answer's problems back to the model."""
    return render("reask.j2", feedback=feedback)
