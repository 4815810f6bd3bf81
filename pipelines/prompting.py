"""Prompts are files in prompts/, rendered by one sandboxed, strict Jinja environment.

A missing variable fails loudly (StrictUndefined). User text from the canvas reaches a prompt only
through the `data` macro, as JSON inside a named tag; the system prompt tells the model that
whatever sits inside those tags is data, never instructions.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel

from pipelines.content.honesty import backed_mechanics
from pipelines.engines.base import Task
from pipelines.errors import ConfigError
from pipelines.knowledge import attributes_in, tone_for, trade_for
from pipelines.playbook import load_playbook

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


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


def task_messages(task: Task, *, json_mode: str, schema: str) -> list[dict[str, str]]:
    """System and user messages for one task. `schema` is shown in the prompt in object mode."""
    playbook = load_playbook()
    canvas = task.canvas
    trade = trade_for(canvas, playbook)
    features = [f for p in canvas.products for f in p.features]
    attributes = list(
        {id(a): a for f in features for a in attributes_in(f, trade)}.values()
    )  # fmt: skip
    backed = backed_mechanics(canvas, playbook.honesty.mechanics)
    context = {
        "task": task,
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
