"""The canvas form's two tables: personas and products in st.data_editor, back to plain dicts."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, get_args

import pandas as pd
import streamlit as st

from app_pages._canvas_io import join_aligned, join_items, split_aligned, split_items
from pipelines.canvas import CustomerState, MemberTier

if TYPE_CHECKING:
    from app_pages._canvas_form import CanvasForm


def _get(data: Any, key: str, default: Any = None) -> Any:
    value = data.get(key, default) if isinstance(data, dict) else default
    return default if value is None else value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _clean(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def personas_table(form: CanvasForm) -> list[dict[str, Any]]:
    rows = [
        {
            "name": _get(p, "name", ""),
            "description": _get(p, "description", ""),
            "pain_points": join_items(_get(p, "pain_points", [])),
            "tier": _get(p, "tier", "会员"),
            "state": _get(p, "state"),
        }
        for p in _get(form.draft, "personas", [])
        if isinstance(p, dict)
    ]
    frame = pd.DataFrame(rows, columns=["name", "description", "pain_points", "tier", "state"])
    edited = st.data_editor(
        frame,
        key=form.key("personas"),
        num_rows="dynamic",
        width="stretch",
        hide_index=True,
        column_config={
            "name": st.column_config.TextColumn("人群名称", required=True, max_chars=20),
            "description": st.column_config.TextColumn("人群描述", width="medium"),
            "pain_points": st.column_config.TextColumn("痛点（；分隔）", width="large"),
            "tier": st.column_config.SelectboxColumn(
                "会员层级", options=list(get_args(MemberTier)), default="会员"
            ),
            "state": st.column_config.SelectboxColumn(
                "客户状态", options=list(get_args(CustomerState))
            ),
        },
    )
    form.slot("personas")
    personas = []
    for row in edited.to_dict("records"):
        if all(_blank(v) for v in row.values()):
            continue
        persona = {
            "name": _clean(row["name"]) or "",
            "description": _clean(row["description"]) or "",
            "pain_points": split_items(_clean(row["pain_points"])),
            "tier": _clean(row["tier"]) or "会员",
        }
        if not _blank(row["state"]):
            persona["state"] = row["state"]
        personas.append(persona)
    return personas


PRODUCT_COLUMNS = [
    "id",
    "name",
    "category",
    "price",
    "promo_price",
    "specs",
    "features",
    "benefits",
    "evidence",
    "stock",
    "service",
]


def products_table(form: CanvasForm) -> list[dict[str, Any]]:
    source = [p for p in _get(form.draft, "products", []) if isinstance(p, dict)]
    rows = []
    for p in source:
        row = {c: _get(p, c) for c in PRODUCT_COLUMNS}
        row["features"] = join_items(row["features"])
        row["benefits"] = join_aligned(row["benefits"])
        row["evidence"] = join_items(row["evidence"])
        rows.append(row)
    frame = pd.DataFrame(rows, columns=PRODUCT_COLUMNS)
    for column in ("price", "promo_price", "stock"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    edited = st.data_editor(
        frame,
        key=form.key("products"),
        num_rows="dynamic",
        width="stretch",
        hide_index=True,
        column_config={
            "id": st.column_config.TextColumn(
                "编号", help="小写字母/数字，如 beef；留空自动编号", max_chars=32
            ),
            "name": st.column_config.TextColumn("商品名称", required=True, max_chars=30),
            "category": st.column_config.TextColumn("品类", max_chars=20),
            "price": st.column_config.NumberColumn(
                "原价", min_value=0.01, format="¥%.2f", required=True
            ),
            "promo_price": st.column_config.NumberColumn("活动价", min_value=0.01, format="¥%.2f"),
            "specs": st.column_config.TextColumn("规格"),
            "features": st.column_config.TextColumn("产品特点（；分隔）", width="large"),
            "benefits": st.column_config.TextColumn(
                "益处（；分隔，与特点逐条对应，可留空）",
                help="运营自己写的益处，会优先用在卖点里；某条特点没有就留空，如：不闷热；；好打理",
                width="medium",
            ),
            "evidence": st.column_config.TextColumn("证据（；分隔）", width="medium"),
            "stock": st.column_config.NumberColumn("库存", min_value=0, step=1, format="%d"),
            "service": st.column_config.TextColumn("服务承诺"),
        },
    )
    form.slot("products")
    images = {p.get("id"): p.get("image") for p in source if p.get("image")}
    products = []
    for row in edited.to_dict("records"):
        if all(_blank(v) for v in row.values()):
            continue
        product = {c: _clean(row[c]) for c in PRODUCT_COLUMNS}
        product["features"] = split_items(product["features"])
        product["benefits"] = split_aligned(product["benefits"])
        product["evidence"] = split_items(product["evidence"])
        for text_field in ("name", "category", "specs", "service"):
            product[text_field] = "" if product[text_field] is None else str(product[text_field])
        if product["id"] in images:
            product["image"] = images[product["id"]]
        products.append({k: v for k, v in product.items() if v is not None})
    return products
