"""卖点 FABE: a card per product (F/A/B/E, scene line, channel variants) and the working table."""

from __future__ import annotations

import csv
import io

import streamlit as st

from app_pages import common
from pipelines.canvas import normalise_name
from pipelines.content import SellingPoints, WeekPackage, format_price

common.init_state()
LETTERS = [
    ("F 属性", "feature"),
    ("A 作用", "advantage"),
    ("B 益处", "benefit"),
    ("E 证据", "evidence"),
]


def card(package: WeekPackage, points: SellingPoints) -> None:
    product = package.canvas.product(points.product_id)
    price = format_price(product.offer_price)
    with st.container(border=True):
        st.markdown(f"### {common.md_escape(points.product)}")
        st.caption(
            common.md_escape(
                f"{product.category or '商品'} · {product.specs or ''} · 活动价 ¥{price}"
            )
        )
        scene = [f for f in points.findings if f.field == "scene_line"]
        st.markdown(f"> {common.highlighted(points.scene_line, scene)}")
        for column, (label, _) in zip(st.columns(4), LETTERS, strict=True):
            column.markdown(f"**{label}**")
        for index, fabe in enumerate(points.fabe):
            if index:
                st.divider()
            for column, (_, name) in zip(st.columns(4), LETTERS, strict=True):
                field = f"fabe[{index}].{name}"
                with column:
                    common.show_text(
                        getattr(fabe, name), [f for f in points.findings if f.field == field]
                    )
        if points.variants:
            labels = [f"{v.channel.value}·{v.persona}" for v in points.variants]
            for index, (tab, variant) in enumerate(
                zip(st.tabs(labels), points.variants, strict=True)
            ):
                with tab:
                    field = f"variants[{index}].body"
                    common.show_text(variant.body, [f for f in points.findings if f.field == field])
        common.show_findings(points)


def matrix(package: WeekPackage) -> list[dict[str, str]]:
    """商品 × 人群 × 场景 × 痛点 × 卖点: the operator's working table."""
    canvas = package.canvas
    by_product = {p.product_id: p for p in package.selling_points}
    rows = []
    for product in canvas.products:
        points = by_product.get(product.id)
        for persona in canvas.personas:
            variant = None
            if points is not None:
                variant = next((v for v in points.variants if v.persona == persona.name), None)
            if variant is not None:
                selling = variant.body
            elif points is not None:
                selling = points.fabe[0].benefit
            else:
                selling = "（卖点未生成）"
            for scene in canvas.scenes:
                rows.append(
                    {
                        "商品": product.name,
                        "人群": persona.name,
                        "场景": scene.value,
                        "痛点": "；".join(persona.pain_points) or "—",
                        "卖点": selling,
                    }
                )
    return rows


def matrix_csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")  # BOM: Excel opens it as UTF-8


package = common.require_package()
st.title("卖点 FABE")
st.caption("属性 → 作用 → 益处 → 证据。证据只来自画布；同一商品按渠道和人群写不同说法。")
if not package.selling_points:
    st.warning("卖点没有生成成功，请回到「一周日历」查看失败原因并重新生成。")
    st.stop()

for points in package.selling_points:
    card(package, points)

st.subheader("商品 × 人群 × 场景 对照表", divider="gray")
rows = matrix(package)
st.dataframe(rows, hide_index=True, width="stretch")
st.download_button(
    "下载对照表 CSV",
    matrix_csv(rows),
    file_name=f"{normalise_name(package.canvas.name)}-fabe.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
)
