"""The canvas form: every canvas field as a widget, grouped by the six elements.

`render_form` draws the widgets from a draft dict and returns the dict the widgets now hold;
each field leaves an empty slot under it so a validation message lands next to the field at fault.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args

import streamlit as st
from pydantic import ValidationError

from app_pages._canvas_io import next_monday, split_items, split_times
from app_pages._canvas_tables import personas_table, products_table
from pipelines.canvas import (
    BurstMethod,
    Canvas,
    Channel,
    IPType,
    Scene,
    ThemeKind,
    Trade,
    WarmUpMethod,
    describe_validation_error,
)

Loc = tuple[Any, ...]
# Our own words where Streamlit's would be English ("Choose options", a "Select all" entry).
MULTI: dict[str, Any] = {"placeholder": "请选择（可多选）", "select_all": False}
SECTIONS = [
    "① IP主题",
    "② 目标群体",
    "③ 场景架设",
    "④ 产品与服务",
    "⑤ 预热锁客",
    "⑥ 引爆与客服",
    "品牌与人设",
]
# Which top-level canvas field belongs to which section (for error marks on the tabs).
SECTION_OF = {
    "name": 0, "week_start": 0, "theme": 0,
    "personas": 1,
    "scenes": 2, "channels": 2, "group_rules": 2,
    "products": 3,
    "warmup": 4,
    "burst": 5,
    "brand": 6, "speaker": 6, "avoid_words": 6,
}  # fmt: skip


def validate(data: dict[str, Any]) -> tuple[Canvas | None, dict[Loc, str]]:
    """The canvas, or the Chinese message for each field location at fault."""
    try:
        return Canvas.model_validate(data), {}
    except ValidationError as exc:
        lines = describe_validation_error(Canvas, exc, data)
        errors: dict[Loc, str] = {}
        for error, line in zip(exc.errors(include_url=False), lines, strict=True):
            loc = tuple(error["loc"])
            errors[loc] = f"{errors[loc]}\n\n{line}" if loc in errors else line
        return None, errors


def _get(data: Any, key: str, default: Any = None) -> Any:
    value = data.get(key, default) if isinstance(data, dict) else default
    return default if value is None else value


def _date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return next_monday()


class CanvasForm:
    """Widgets keyed `<form id>.<field path>`, with an error slot after each field."""

    def __init__(self, form_id: str, draft: dict[str, Any]) -> None:
        self.prefix = form_id
        self.draft = draft
        self.slots: dict[Loc, Any] = {}

    def key(self, *path: Any) -> str:
        return ".".join([self.prefix, *map(str, path)])

    def slot(self, *path: Any) -> None:
        self.slots[path] = st.empty()

    def text(self, label: str, *path: str, area: bool = False, **kwargs: Any) -> str:
        value = str(_get(_section(self.draft, path[:-1]), path[-1], ""))
        widget = st.text_area if area else st.text_input
        result = widget(label, value=value, key=self.key(*path), **kwargs)
        self.slot(*path)
        return result

    def lines(self, label: str, *path: str, **kwargs: Any) -> list[str]:
        """A list of short texts as one text area, one item per line."""
        values = split_items(_get(_section(self.draft, path[:-1]), path[-1], []))
        raw = st.text_area(label, value="\n".join(values), key=self.key(*path), **kwargs)
        self.slot(*path)
        return [line.strip() for line in raw.splitlines() if line.strip()]

    def short_list(self, label: str, *path: str) -> list[str]:
        """Short items (times, ids) on one line, split at 、 , ; or spaces."""
        values = split_times(_get(_section(self.draft, path[:-1]), path[-1], []))
        raw = st.text_input(label, value="、".join(values), key=self.key(*path))
        self.slot(*path)
        return split_times(raw)

    def choice(self, label: str, options: list[str], *path: str, **kwargs: Any) -> str | None:
        value = _get(_section(self.draft, path[:-1]), path[-1])
        index = options.index(value) if value in options else None
        result = st.selectbox(
            label, options, index=index, key=self.key(*path), placeholder="请选择", **kwargs
        )
        self.slot(*path)
        return result

    def choices(self, label: str, options: list[str], *path: str, **kwargs: Any) -> list[str]:
        values = _get(_section(self.draft, path[:-1]), path[-1], [])
        default = [v for v in values if v in options] if isinstance(values, list) else []
        result = st.multiselect(
            label, options, default=default, key=self.key(*path), **(MULTI | kwargs)
        )
        self.slot(*path)
        return result

    def number(self, label: str, *path: str, default: int, **kwargs: Any) -> int:
        value = _get(_section(self.draft, path[:-1]), path[-1], default)
        value = value if isinstance(value, int) and not isinstance(value, bool) else default
        result = st.number_input(label, value=value, step=1, key=self.key(*path), **kwargs)
        self.slot(*path)
        return int(result)

    def fill(self, errors: dict[Loc, str]) -> list[str]:
        """Put each message in the slot of the longest matching field; return the unplaced ones."""
        placed: dict[Loc, list[str]] = {}
        loose: list[str] = []
        for loc, message in errors.items():
            owner = next((loc[:n] for n in range(len(loc), 0, -1) if loc[:n] in self.slots), None)
            if owner is None:
                loose.append(message)
            else:
                placed.setdefault(owner, []).append(message)
        for owner, messages in placed.items():
            self.slots[owner].error("\n\n".join(messages), icon=":material/error:")
        return loose


def _section(data: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        data = _get(data, step, {})
    return data


def _options(enum_or_literal: Any) -> list[str]:
    if isinstance(enum_or_literal, type):
        return [member.value for member in enum_or_literal]
    return list(get_args(enum_or_literal))


def render_form(form: CanvasForm, marks: list[str]) -> dict[str, Any]:
    """Draw all sections in tabs (labels carry `marks`) and return the data the widgets hold."""
    draft = form.draft
    tabs = st.tabs([f"{name}{mark}" for name, mark in zip(SECTIONS, marks, strict=True)])
    data: dict[str, Any] = {}
    with tabs[0]:
        left, right = st.columns([2, 1])
        with left:
            data["name"] = form.text(
                "活动名称", "name", max_chars=30, placeholder="如：邻里鲜周末团"
            )
        with right:
            data["week_start"] = st.date_input(
                "周开始日期",
                value=_date(_get(draft, "week_start")),
                key=form.key("week_start"),
                format="YYYY-MM-DD",
            ).isoformat()
            form.slot("week_start")
        left, right = st.columns([2, 1])
        with left:
            name = form.text(
                "主题名称", "theme", "name", max_chars=30, placeholder="如：冬日暖锅季"
            )
        with right:
            kind = form.choice("主题类型", _options(ThemeKind), "theme", "kind")
        description = form.text("主题说明", "theme", "description", area=True, height=90)
        data["theme"] = {"name": name, "kind": kind, "description": description}
    with tabs[1]:
        st.caption("每行一个人群；痛点用“；”分隔。")
        data["personas"] = personas_table(form)
    with tabs[2]:
        left, right = st.columns(2)
        with left:
            data["scenes"] = form.choices("场景", _options(Scene), "scenes")
        with right:
            data["channels"] = form.choices("渠道", _options(Channel), "channels")
        data["group_rules"] = form.lines("群规（每行一条）", "group_rules", height=110)
    with tabs[3]:
        st.caption(
            "每行一个商品；产品特点、证据用“；”分隔。证据只写真实可查的（证书、销量、评价）。"
        )
        data["products"] = products_table(form)
    with tabs[4]:
        data["warmup"] = {
            "methods": form.choices("预热方式", _options(WarmUpMethod), "warmup", "methods"),
            "days_before": form.number(
                "提前天数", "warmup", "days_before", default=1, min_value=0, max_value=7
            ),
            "notes": form.text("预热说明", "warmup", "notes", area=True, height=90),
        }
    with tabs[5]:
        data["burst"] = _burst(form)
    with tabs[6]:
        data["brand"], data["speaker"] = _brand_and_speaker(form)
        data["avoid_words"] = form.lines("避免用词（每行一个）", "avoid_words", height=90)
    return data


def _burst(form: CanvasForm) -> dict[str, Any]:
    burst: dict[str, Any] = {
        "methods": form.choices("引爆方式", _options(BurstMethod), "burst", "methods")
    }
    section = _get(form.draft, "burst", {})
    burst["flash_sale_times"] = form.short_list(
        "秒杀时间（用“、”分隔，如 10:00、12:00）", "burst", "flash_sale_times"
    )
    day_names = [f"第 {d} 天" for d in range(1, 8)]
    chosen = [d for d in _get(section, "flash_sale_days", []) if isinstance(d, int) and 1 <= d <= 7]
    picked_days = st.multiselect(
        "秒杀日（不选表示每天）",
        day_names,
        default=[day_names[d - 1] for d in chosen],
        key=form.key("burst", "flash_sale_days"),
        **(MULTI | {"placeholder": "不选表示每天"}),
    )
    form.slot("burst", "flash_sale_days")
    burst["flash_sale_days"] = [day_names.index(name) + 1 for name in picked_days]
    burst["flash_sale_products"] = form.short_list(
        "秒杀商品编号（用“、”分隔；不填表示有活动价的商品轮流）", "burst", "flash_sale_products"
    )
    left, middle, right = st.columns(3)
    with left:
        burst["group_buy"] = st.toggle(
            "开团（团购）",
            value=bool(_get(section, "group_buy", False)),
            key=form.key("burst", "group_buy"),
        )
        burst["launch_day"] = form.number(
            "开团/引爆日（第几天）", "burst", "launch_day", default=3, min_value=1, max_value=7
        )
    with middle:
        live = _get(section, "livestream_day")
        options = ["不直播", *[f"第 {d} 天" for d in range(1, 8)]]
        picked = st.selectbox(
            "直播日",
            options,
            index=live if isinstance(live, int) and 1 <= live <= 7 else 0,
            key=form.key("burst", "livestream_day"),
            placeholder="请选择",
        )
        form.slot("burst", "livestream_day")
        burst["livestream_day"] = None if picked == options[0] else options.index(picked)
        burst["livestream_time"] = form.text("直播开始时间", "burst", "livestream_time")
    with right:
        burst["livestream_minutes"] = form.number(
            "直播时长（分钟）",
            "burst",
            "livestream_minutes",
            default=90,
            min_value=30,
            max_value=240,
        )
    burst["launch_time"] = (
        form.text("开团/引爆时间（如 20:00；留空用第一个秒杀时间或 10:00）", "burst", "launch_time")
        or None
    )
    burst["service"] = form.text("客服准备", "burst", "service")
    burst["notes"] = form.text("引爆说明", "burst", "notes", area=True, height=90)
    return burst


def _brand_and_speaker(form: CanvasForm) -> tuple[dict[str, Any], dict[str, Any]]:
    section = _get(form.draft, "brand", {})
    colors = [c for c in _get(section, "colors", []) if isinstance(c, str)] or [
        "#E4393C",
        "#FFF4E0",
    ]
    brand: dict[str, Any] = {"name": form.text("品牌/门店名称", "brand", "name", max_chars=30)}
    auto = "按商品品类自动判断"
    trades = [auto, *_options(Trade)]
    current = _get(section, "trade")
    trade = st.selectbox(
        "行业",
        trades,
        index=trades.index(current) if current in trades else 0,
        key=form.key("brand", "trade"),
        placeholder="请选择",
        help="决定卖点用哪个行业的属性知识、发帖节奏和说法",
    )
    form.slot("brand", "trade")
    brand["trade"] = None if trade == auto else trade
    columns = st.columns(4)
    picked = []
    for index, column in enumerate(columns[: max(2, len(colors))]):
        with column:
            default = colors[index] if index < len(colors) else "#FFFFFF"
            label = ["主色", "辅色", "点缀色", "点缀色 2"][index]
            picked.append(
                st.color_picker(
                    label,
                    value=default.upper() if len(default) == 7 else "#FFFFFF",
                    key=form.key("brand", "colors", index),
                )
            )
    form.slot("brand", "colors")
    brand["colors"] = picked
    brand["qr_link"] = form.text("二维码链接（海报上的扫码进群）", "brand", "qr_link") or None
    brand["trademarks"] = form.lines(
        "注册商标（每行一个，合规检查据此放行）", "brand", "trademarks", height=70
    )
    logo = _get(section, "logo")
    if logo:
        brand["logo"] = logo
    st.divider()
    left, right = st.columns(2)
    with left:
        name = form.text("人设昵称", "speaker", "name", max_chars=20, placeholder="如：鲜姐")
    with right:
        ip_type = form.choice("IP类型", _options(IPType), "speaker", "ip_type")
    tone = form.text("品牌语气", "speaker", "tone")
    return brand, {"name": name, "ip_type": ip_type, "tone": tone}
