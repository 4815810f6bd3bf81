"""Chinese validation messages: one line per pydantic error, `字段路径：问题与改法`.

Field paths use the models' Chinese titles and, when the validated data is given, the names of
the products and personas (`商品「精品肥牛卷」.活动价`, `第2个商品` before it has a name) rather
than list positions; pydantic's own English wording is never shown. Shared by the canvas, the poster layouts, the store and the LLM engine.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from pipelines.textcheck import printable, unsafe_reason

NAME_SHOWN = 30  # a longer "name" is not shown: the item is called by its position instead
_NO_DATA: Any = object()  # `data` not given (None is a value someone may validate)

_MESSAGES: dict[str, str] = {
    "missing": "缺少必填项，请补上",
    "extra_forbidden": "是未知字段，请检查拼写或删除",
    "string_too_long": "太长：最多 {max_length} 个字",
    "string_too_short": "不能为空",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_type": "应为文字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "decimal_parsing": "应为数字（如 39.9）",
    "decimal_type": "应为数字（如 39.9）",
    "decimal_max_places": "最多保留 {decimal_places} 位小数",
    "decimal_max_digits": "数字太大",
    "decimal_whole_digits": "数字太大",
    "finite_number": "应为有限的数字（不能是 NaN 或无穷大）",
    "int_parsing_size": "数字太大",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_type": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期（YYYY-MM-DD），不要带时间",
    "string_unicode": "有无效的 Unicode 字符（孤立的代理字符）：请删除后重新输入",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "list_type": '应为列表（如 ["a", "b"]）',
    "model_type": "应为一组字段（表）",
    "model_attributes_type": "应为一组字段（表）",
    "enum": "只能是：{expected}",
    "literal_error": "只能是：{expected}",
    "string_pattern_mismatch": "格式不对",
}

_UNKNOWN = "取值不对，请按字段说明填写"  # pydantic's own wording is English: never shown

_PATTERN_HINTS = {
    "HH:MM": "时间格式应为 HH:MM（如 10:00）",
    "#[0-9A-Fa-f]{6}": "颜色格式应为 #RRGGBB（如 #E4393C）",
    "[a-z0-9]": "编号只能用小写字母、数字、- 和 _，最长 32 位",
}


def _field_label(
    model: type[BaseModel],
    loc: tuple[int | str, ...],
    data: Any = _NO_DATA,
    bad_names: frozenset[tuple[int | str, ...]] = frozenset(),
) -> str:
    """Turn a pydantic location into a Chinese path such as `商品「精品肥牛卷」.活动价`.

    An item of a list of named things (商品, 目标人群) is called by its name, read from `data`
    (what was validated); `第2个商品` when it has no usable name yet or its name is what is
    wrong (an item's location in `bad_names`); the position is added when two items share the
    name. Without `data`, the position only (`商品[2]`).
    """
    parts: list[str] = []
    current: Any = model
    node: Any = data
    for index, step in enumerate(loc):
        if isinstance(step, int):
            element = _child(node, step)
            named = isinstance(current, type) and "name" in current.model_fields
            if parts and named and data is not _NO_DATA:
                at_fault = loc[: index + 1] in bad_names
                name = None if at_fault else _usable_name(element)
                if name is None:
                    parts[-1] = f"第{step + 1}个{parts[-1]}"
                elif _names(node).count(name) > 1:
                    parts[-1] = f"第{step + 1}个{parts[-1]}「{name}」"
                else:
                    parts[-1] = f"{parts[-1]}「{name}」"
            else:
                parts[-1:] = [f"{parts[-1]}[{step + 1}]"] if parts else [f"[{step + 1}]"]
            node = element
            continue
        node = _child(node, step)
        field = current.model_fields.get(step) if isinstance(current, type) else None
        if field is None:
            parts.append(str(step))
            current = None
            continue
        parts.append(field.title or str(step))
        current = _inner_model(field.annotation)
    return ".".join(parts) or "画布"


def _child(node: Any, step: int | str) -> Any:
    if isinstance(step, int) and isinstance(node, list | tuple) and 0 <= step < len(node):
        return node[step]
    if isinstance(step, str) and isinstance(node, dict):
        return node.get(step)
    return None


def _usable_name(element: Any) -> str | None:
    """The item's name when it can be shown in a message as it is, else None."""
    name = element.get("name") if isinstance(element, dict) else getattr(element, "name", None)
    if not isinstance(name, str):
        return None
    name = name.strip()
    if not name or len(name) > NAME_SHOWN or unsafe_reason(name, multiline=False) is not None:
        return None
    return name


def _names(items: Any) -> list[str | None]:
    return [_usable_name(item) for item in items] if isinstance(items, list | tuple) else []


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _describe(error: dict[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        for key, hint in _PATTERN_HINTS.items():
            if key in pattern or (key == "HH:MM" and "[0-5]" in pattern):
                return hint
    if kind == "string_too_long" and isinstance(error.get("input"), str):
        return f"太长：最多 {ctx.get('max_length')} 个字（现在 {len(error['input'])} 个字），请精简"
    template = _MESSAGES.get(kind, _UNKNOWN)
    return template.format(**{k: v for k, v in ctx.items()}) if ctx else template


def describe_validation_error(
    model: type[BaseModel], exc: ValidationError, data: Any = _NO_DATA
) -> list[str]:
    """One Chinese line per problem: `字段路径：问题与改法`.

    With `data` (what was validated), a product or persona is named in the path
    (`商品「精品肥牛卷」.原价`, else `第2个商品`) instead of by its position (`商品[2]`).
    """
    errors = exc.errors(include_url=False)
    bad_names = frozenset(tuple(e["loc"][:-1]) for e in errors if e["loc"][-1:] == ("name",))
    lines = []
    for error in errors:
        label = _field_label(model, tuple(error["loc"]), data, bad_names)
        if error["type"] == "extra_forbidden":
            key = printable(str(error["loc"][-1]))
            lines.append(f"「{key}」{_MESSAGES['extra_forbidden']}（位置：{printable(label)}）")
        else:
            lines.append(f"{label}：{_describe(error)}")
    return lines
