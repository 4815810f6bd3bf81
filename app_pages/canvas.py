"""活动画布: fill in, load or import the campaign canvas; validation next to the field at fault."""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from app_pages import common
from app_pages._canvas_form import SECTION_OF, SECTIONS, CanvasForm, render_form, validate
from app_pages._canvas_io import (
    canvas_dict,
    canvas_json,
    canvas_toml,
    confine_images,
    empty_draft,
    list_examples,
    parse_raw,
    read_products,
)
from pipelines.canvas import Canvas, Product, normalise_name
from pipelines.errors import CampaignCanvasError
from pipelines.poster import load_image
from pipelines.poster.images import MAX_BYTES, find_image, image_store, read_image_file
from pipelines.textcheck import printable

common.init_state()
UPLOAD_MB = 20  # each uploader's limit (as .streamlit/config.toml's maxUploadSize), said in Chinese
KEPT = "canvas_form_kept"  # digest of the widgets' content last kept (None: just loaded)
if st.session_state[common.DRAFT] is None:
    canvas = common.current_canvas()
    st.session_state[common.DRAFT] = canvas_dict(canvas) if canvas else empty_draft()


def load_draft(data: dict) -> None:
    """Make `data` the form's content: fresh widgets keyed by its digest, validated at once."""
    canvas, errors = validate(data)
    if canvas is not None:
        data = canvas_dict(canvas)  # defaults filled in, ids assigned
        st.session_state[common.CANVAS] = canvas
    form_id = "f" + common.digest(data)
    for key in [k for k in st.session_state if str(k).startswith(form_id + ".")]:
        del st.session_state[key]
    st.session_state[common.DRAFT] = data
    st.session_state[common.DRAFT_ID] = form_id
    st.session_state[common.CANVAS_ERRORS] = errors
    st.session_state[KEPT] = None
    common.keep_draft()


def keep_changes(data: dict) -> None:
    """The form's current content as the draft: kept and validated, widgets left as they are."""
    canvas, errors = validate(data)
    st.session_state[common.DRAFT] = data
    if canvas is not None:  # with errors, the last valid canvas stays (the week page says so)
        st.session_state[common.CANVAS] = canvas
    st.session_state[common.CANVAS_ERRORS] = errors
    common.keep_draft()


def on_example() -> None:
    path = list_examples().get(st.session_state["example_choice"])
    if path is None:
        return
    st.session_state[common.DRAFT_OF] = None  # a canvas of its own: generating makes a campaign
    load_draft(parse_raw(path.read_bytes(), "toml"))
    common.carry_notice(f"已载入示例画布「{st.session_state[common.CANVAS].name}」")


def on_canvas_file() -> None:
    upload = st.session_state.get("canvas_upload")
    if upload is None:
        return
    name = printable(upload.name)
    try:
        data = parse_raw(upload.getvalue(), Path(upload.name).suffix, name)
    except CampaignCanvasError as exc:
        st.session_state["import_error"] = str(exc)
        return
    data, dropped = confine_images(data)
    st.session_state[common.DRAFT_OF] = None  # an imported canvas starts a campaign of its own
    load_draft(data)
    if st.session_state[common.CANVAS_ERRORS]:
        head = f"{name} 已导入，但有问题需要修改，见下方各栏红字。"
        st.session_state["import_error"] = "\n\n".join([head, *dropped])
    elif dropped:
        st.session_state["import_error"] = "\n\n".join([f"{name} 已导入，但：", *dropped])
    else:
        common.carry_notice(f"已导入画布文件 {name}")


def on_products_file() -> None:
    upload = st.session_state.get("products_upload")
    if upload is None:
        return
    name = printable(upload.name)
    try:
        products = read_products(upload.getvalue(), Path(upload.name).suffix)
    except CampaignCanvasError as exc:
        st.session_state["import_error"] = f"{name}：{exc}"
        return
    data, dropped = confine_images({**st.session_state[common.DRAFT], "products": products})
    load_draft(data)
    if dropped:
        st.session_state["import_error"] = "\n\n".join([f"{name} 已导入，但：", *dropped])
    else:
        common.carry_notice(f"已从 {name} 导入 {len(products)} 个商品（替换原商品表）")


def on_image(product_id: str) -> None:
    upload = st.session_state.get(f"image.{product_id}")
    if upload is None:
        return
    raw = upload.getvalue()
    try:
        image = load_image(raw, name=f"图片 {printable(upload.name)} ")
    except CampaignCanvasError as exc:
        st.session_state["import_error"] = str(exc)
        return
    folder = image_store()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(raw).hexdigest()[:16]}.png"
    image.save(path, "PNG")
    draft = st.session_state[common.DRAFT]
    products = [
        {**p, "image": str(path.resolve())} if p.get("id") == product_id else p
        for p in draft.get("products", [])
    ]
    load_draft({**draft, "products": products})
    common.carry_notice(f"已为商品 {product_id} 设置图片")


def stored_image(product: Product) -> bytes | None:
    """The product's image as the posters will read it (confined, size-bounded), if any."""
    if not product.image:
        return None
    what = f"商品「{product.name}」的图片"
    try:
        return read_image_file(find_image(product.image, base_dir=None, what=what), name=what)
    except CampaignCanvasError:
        return None


# --- page ------------------------------------------------------------------------------------

st.title("活动画布")
st.caption("一张画布写清六大要素：主题、人群、场景、商品、预热、引爆。一整周的内容都从这里生成。")
common.show_notice()
if st.session_state.get("import_error"):
    st.error(st.session_state.pop("import_error"), icon=":material/error:")

with st.container(border=True):
    left, middle, right = st.columns(3)
    with left:
        examples = list_examples()
        st.selectbox("示例画布", list(examples), key="example_choice", placeholder="选择示例")
        st.button(
            "载入示例", on_click=on_example, icon=":material/auto_awesome:", disabled=not examples
        )
    with middle:
        st.file_uploader(
            "导入画布文件（TOML / JSON）",
            type=["toml", "json"],
            key="canvas_upload",
            max_upload_size=UPLOAD_MB,
            on_change=on_canvas_file,
            help="活动画布的 TOML 或 JSON 文件，可以是从这里下载后改过的",
        )
        st.caption(f"拖入文件或点「选择文件」；支持 TOML、JSON，单个文件不超过 {UPLOAD_MB} MB")
    with right:
        st.file_uploader(
            "导入商品表（XLSX / CSV）",
            type=["xlsx", "csv"],
            key="products_upload",
            max_upload_size=UPLOAD_MB,
            on_change=on_products_file,
            help="第一行是列名，至少要有「商品名称」和「原价」两列",
        )
        st.caption(f"拖入文件或点「选择文件」；支持 XLSX、CSV，单个文件不超过 {UPLOAD_MB} MB")

draft = st.session_state[common.DRAFT]
form_id = st.session_state[common.DRAFT_ID]
errors = st.session_state[common.CANVAS_ERRORS]
bad_sections = {SECTION_OF.get(loc[0] if loc else "", -1) for loc in errors}
marks = [" ⚠" if index in bad_sections else "" for index in range(len(SECTIONS))]
if errors:
    st.error(
        f"画布有 {len(errors)} 处问题，已在对应栏目标出（带 ⚠ 的分页）。", icon=":material/error:"
    )
loose = st.container()

# No st.form: every change reaches the draft at once, is kept in the store (a page switch or a
# reload loses nothing) and is validated, so the week page never generates from a stale canvas.
form = CanvasForm(form_id, draft)
data = render_form(form, marks)
shown = common.digest(data)
if st.session_state.get(KEPT) is None:  # first run of freshly loaded widgets: nothing typed yet
    st.session_state[KEPT] = shown
elif shown != st.session_state[KEPT]:
    st.session_state[KEPT] = shown
    keep_changes(data)
    errors = st.session_state[common.CANVAS_ERRORS]
submitted = st.button("保存并校验画布", type="primary", icon=":material/check:", key="canvas.save")
unplaced = form.fill(errors)
with loose:
    for message in unplaced:
        st.error(message, icon=":material/error:")

if submitted:
    load_draft(data)
    if st.session_state[common.CANVAS_ERRORS]:
        st.rerun()
    common.carry_notice("画布已保存，校验通过。")
    st.rerun()

canvas: Canvas | None = common.current_canvas()
if canvas is None:
    st.stop()

st.subheader("商品图片", divider="gray")
st.caption(f"海报会用到商品图。支持 JPG / PNG / WebP，单张不超过 {MAX_BYTES // 1048576} MB。")
columns = st.columns(min(4, len(canvas.products)))
for index, product in enumerate(canvas.products):
    with columns[index % len(columns)], st.container(border=True):
        st.markdown(f"**{common.md_escape(product.name)}**")
        shown = stored_image(product)
        if shown is not None:
            st.image(shown, width=160)
        else:
            st.caption("还没有图片" if not product.image else "图片找不到或不允许读取，请重新上传")
        st.file_uploader(
            "上传图片",
            type=["jpg", "jpeg", "png", "webp"],
            key=f"image.{product.id}",
            on_change=on_image,
            args=(product.id,),
            label_visibility="collapsed",
        )

st.subheader("保存与下载", divider="gray")
package = common.current_package()
if package is not None and package.canvas != canvas:
    st.warning(
        "画布改过了：本周内容还是按旧画布生成的。到「一周日历」重新生成即可。",
        icon=":material/sync_problem:",
    )
slug = normalise_name(canvas.name)
left, right, _ = st.columns([1, 1, 2])
left.download_button(
    "下载画布 TOML",
    canvas_toml(canvas),
    file_name=f"{slug}.toml",
    mime="application/toml",
    on_click="ignore",
    icon=":material/download:",
)
right.download_button(
    "下载画布 JSON",
    canvas_json(canvas),
    file_name=f"{slug}.json",
    mime="application/json",
    on_click="ignore",
    icon=":material/download:",
)
