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
