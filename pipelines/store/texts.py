"""Items as text: readable lines, diffs between versions, and edits addressed by field path."""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from pipelines.canvas import describe_validation_error
from pipelines.content import Item, iter_texts
from pipelines.errors import StoreError

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def item_lines(item: BaseModel) -> list[str]:
    """`field.path: text` per human-readable string, in model order."""
    return [f"{path}: {value}" for path, value in iter_texts(item)]


def diff_versions(old: Item, new: Item, *, old_label: str, new_label: str) -> str:
    """A unified diff of two versions' texts (empty when the words did not change)."""
    return "\n".join(
        difflib.unified_diff(
            item_lines(old), item_lines(new), old_label, new_label, lineterm="", n=1
        )
    )


def with_texts(item: Item, changes: dict[str, str]) -> Item:
    """A copy of `item` with the texts at the given paths (as from `iter_texts`) replaced.

    Raises StoreError (Chinese) when a text breaks its field's rules, e.g. is too long.
    """
    data = item.model_dump(mode="json")
    for path, value in changes.items():
        *parents, last = _steps(path)
        target: Any = data
        for step in parents:
            target = target[step]
        target[last] = value
    model = type(item)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = describe_validation_error(model, exc)
        raise StoreError("修改未保存：\n" + "\n".join(f"- {x}" for x in lines)) from None


def _steps(path: str) -> list[str | int]:
    return [name if name else int(index) for name, index in _STEP.findall(path)]


FIELD_LABELS: dict[str, str] = {
    "activity_type": "活动类型", "form": "形式", "goal": "目标", "title": "标题", "body": "文案",
    "headline": "主标题", "subheadline": "副标题", "bullets": "卖点", "price": "价格",
    "unit": "单位", "note": "价格备注", "urgency": "紧迫感", "cta": "行动号召",
    "product": "商品", "fabe": "FABE", "feature": "属性", "advantage": "作用",
    "benefit": "益处", "evidence": "证据", "scene_line": "场景还原", "variants": "渠道文案",
    "persona": "人群", "acts": "幕", "name": "名称", "blocks": "环节", "on_screen": "画面",
    "interaction": "互动", "lines": "台词", "speaker": "说话人", "words": "话术",
    "segments": "单品段落", "steps": "步骤", "contingencies": "应急预案", "situation": "情况",
    "response": "应对", "review_metrics": "复盘指标", "names": "群名", "rules": "群规",
    "welcome": "欢迎语", "announcement": "群公告", "keyword_replies": "关键词回复",
    "keyword": "关键词", "reply": "回复", "private_scripts": "私聊话术", "topic": "主题",
    "messages": "消息", "step": "步骤", "when": "时间",
}  # fmt: skip


def field_label(path: str) -> str:
    """A field path in words a reviewer reads: `fabe[0].feature` → `FABE 1 · 属性`."""
    parts: list[str] = []
    for name, index in _STEP.findall(path):
        if name:
            parts.append(FIELD_LABELS.get(name, name))
        elif parts:
            parts[-1] = f"{parts[-1]} {int(index) + 1}"
    return " · ".join(parts)


def labelled_lines(item: BaseModel) -> list[str]:
    """`字段名：text` per human-readable string, the field named in Chinese."""
    return [f"{field_label(path)}：{value}" for path, value in iter_texts(item)]


def readable_diff(old: Item, new: Item, *, old_label: str, new_label: str) -> str:
    """Like `diff_versions`, with the fields named in Chinese (文案、标题…), not by path."""
    return "\n".join(
        difflib.unified_diff(
            labelled_lines(old), labelled_lines(new), old_label, new_label, lineterm="", n=1
        )
    )


def changed_fields(old: BaseModel, new: BaseModel) -> list[tuple[str, str, str]]:
    """(field in Chinese, old text, new text) for every text that differs, in model order;
    a text only one side has shows as "" on the other."""
    before, after = dict(iter_texts(old)), dict(iter_texts(new))
    paths = list(before) + [p for p in after if p not in before]
    return [
        (field_label(p), before.get(p, ""), after.get(p, ""))
        for p in paths
        if before.get(p) != after.get(p)
    ]
