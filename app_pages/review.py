"""审核: the queue as a list (state, channel, day, findings, poster), filters that keep the
campaign, many items approved / rejected / submitted at once, then one item opened in full."""

from __future__ import annotations

from collections import Counter

import streamlit as st

from app_pages import _review_actions as actions
from app_pages import common
from app_pages._review_detail import detail, poster_image, poster_key_of, title_of
from pipelines.auth import ROLE_LABELS, User, can
from pipelines.store import KIND_LABELS, STATE_LABELS, Store, StoredItem

PAGE_SIZE = 12  # a day's items fit on one page; a short page draws fast
STATES = ["in_review", "draft", "rejected", "approved", "all"]
BADGE = {"draft": "gray", "in_review": "blue", "approved": "green", "rejected": "red"}
REASON = "review.bulk_reason"

common.init_state()
actions.init()
user: User = st.session_state[common.USER]
store: Store = common.open_store()


def first_view(counts: Counter[str]) -> str:
    """What waits for this person: a reviewer's queue, an operator's drafts (or rejections)."""
    if can(user, "approve") and counts["in_review"]:
        return "in_review"
    if can(user, "submit") and counts["draft"]:
        return "draft"
    if can(user, "submit") and counts["rejected"]:
        return "rejected"
    return "in_review" if can(user, "approve") else "draft"


def switch_campaign() -> None:
    chosen = st.session_state["review.campaign"]
    if chosen != st.session_state.get(common.CAMPAIGN):
        common.open_campaign(chosen)
        st.session_state[actions.OPEN] = None


def badge(state: str) -> str:
    return f":{BADGE.get(state, 'gray')}-badge[{STATE_LABELS[state]}]"


def where(stored: StoredItem, days: dict[int, str]) -> str:
    parts = [days.get(stored.day or 0, ""), getattr(stored.item, "time", ""), stored.channel or ""]
    return " ".join(p for p in parts if p)


def findings_note(stored: StoredItem) -> str:
    findings = stored.item.findings
    if not findings:
        return ":green[:material/verified: 无合规提示]"
    errors = sum(f.severity == "error" for f in findings)
    colour = "red" if errors else "orange"
    return f":{colour}[:material/report: 合规提示 {len(findings)} 条（需修改 {errors}）]"


def thumbnail(stored: StoredItem, by_key: dict[str, StoredItem]) -> None:
    poster = by_key.get(poster_key_of(stored) or "")
    if poster is None:
        st.caption("—")
        return
    image = small_poster(poster.key, poster.version, str(store.engine.url))
    if image is not None:
        st.image(image, width=72)
    else:
        st.caption(":material/image: 海报")


@st.cache_data(show_spinner=False, max_entries=256)
def small_poster(key: str, version: int, database_url: str) -> bytes | None:
    """A thumbnail of the poster (a few KB instead of the full image on every rerun)."""
    import io

    from PIL import Image

    image = poster_image(key, version, database_url)
    if not isinstance(image, bytes):
        return None
    with Image.open(io.BytesIO(image)) as full:
        full.thumbnail((144, 256))
        out = io.BytesIO()
        full.convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()


def row(stored: StoredItem, days: dict[int, str], by_key: dict[str, StoredItem], opened: str):
    key, version = stored.key, stored.version
    with st.container(border=True, key=f"row-{stored.item_id}"):
        pick, image, text, buttons = st.columns([0.3, 0.8, 4.4, 3.4], vertical_alignment="center")
        pick.checkbox(
            f"选择 {stored.item_id}", key=actions.pick_key(key), label_visibility="collapsed"
        )
        with image:
            thumbnail(stored, by_key)
        text.markdown(f"**{common.md_escape(title_of(stored))}**")
        text.markdown(
            f"{badge(stored.state)} :violet-badge[{KIND_LABELS[stored.kind]}] "
            f"{common.md_escape(where(stored, days))} · {findings_note(stored)} · 第 {version} 版"
        )
        left = middle = right = buttons.container(horizontal=True, gap="small")
        if stored.state == "in_review" and can(user, "approve"):
            left.button(
                "通过这条", key=f"review.row.approve.{key}", type="primary",
                on_click=actions.act, args=("approve", key, version, REASON),
            )  # fmt: skip
        if stored.state == "in_review" and can(user, "reject"):
            middle.button(
                "驳回这条", key=f"review.row.reject.{key}",
                on_click=actions.act, args=("reject", key, version, REASON),
            )  # fmt: skip
        if stored.state in {"draft", "rejected"} and can(user, "submit"):
            left.button(
                "提交这条", key=f"review.row.submit.{key}",
                on_click=actions.act, args=("submit", key, version),
            )  # fmt: skip
        right.button(
            "详情", key=f"review.row.open.{key}", icon=":material/open_in_full:",
            type="primary" if key == opened else "tertiary",
            on_click=actions.open_item, args=(key,),
        )  # fmt: skip


# --- the page ----------------------------------------------------------------------------------

st.title("审核")
common.show_notice()
if st.session_state[actions.ERROR]:
    st.error(common.md_escape(st.session_state[actions.ERROR]), icon=":material/error:")
    st.session_state[actions.ERROR] = None

campaigns = store.campaigns()
if not campaigns:
    st.info("还没有保存的活动。生成一周内容后，条目会进入这里等待审核。")
    st.stop()
ids = [c.id for c in campaigns]
names = {c.id: f"{c.name}（{c.id}）" for c in campaigns}
campaign_id = common.current_campaign()
if campaign_id not in ids:
    campaign_id = ids[0]
    common.open_campaign(campaign_id)
# The widget follows the open campaign (a link, another page), and sets it when changed here.
st.session_state["review.campaign"] = campaign_id
st.selectbox(
    "活动", ids, format_func=names.__getitem__, key="review.campaign", on_change=switch_campaign,
    placeholder="选择活动",
)  # fmt: skip
canvas = store.canvas(campaign_id)
days = {d: common.day_label(canvas, d) for d in range(1, len(canvas.days) + 1)}
everything = store.items(campaign_id)  # one read after every action: counts are current
by_key = {s.key: s for s in everything}
counts = Counter(s.state for s in everything)
if not can(user, "approve"):
    st.caption(
        f"你的角色是{ROLE_LABELS[user.role]}：可以修改和提交审核，通过与驳回由审核同事处理。"
    )
st.markdown(
    " · ".join(f"{badge(s)} **{counts[s]}**" for s in STATES[:-1]),
    help="每次操作后重新读取数据库，数字总是最新的",
)
actions.conflict_panels(store)

columns = st.columns(4)
# Filter keys carry the user, so whoever signs in next on this browser starts from their view.
state_key = f"review.state.{user.name}"
if state_key not in st.session_state:
    st.session_state[state_key] = first_view(counts)
state = columns[0].selectbox(
    "状态", STATES, format_func=lambda s: STATE_LABELS.get(s, "全部"), key=state_key,
    placeholder="选择状态",
)  # fmt: skip
day = columns[1].selectbox(
    "日期", [0, *days], format_func=lambda d: days.get(d, "整周"), key=f"review.day.{user.name}",
    placeholder="选择日期",
)  # fmt: skip
channel = columns[2].selectbox(
    "渠道", ["all", *(c.value for c in canvas.channels)],
    format_func=lambda c: "全部渠道" if c == "all" else c, key=f"review.channel.{user.name}",
    placeholder="选择渠道",
)  # fmt: skip
kind = columns[3].selectbox(
    "类型", ["all", *KIND_LABELS], format_func=lambda k: KIND_LABELS.get(k, "全部类型"),
    key=f"review.kind.{user.name}", placeholder="选择类型",
)  # fmt: skip
queue = [
    s
    for s in everything
    if (state == "all" or s.state == state)
    and (not day or s.day == day)
    and (channel == "all" or s.channel == channel)
    and (kind == "all" or s.kind == kind)
]

shortcuts = st.columns(2)
if day and can(user, "approve"):
    clean = [s for s in everything if s.state == "in_review" and s.day == day and s.clean]
    shortcuts[0].button(
        f"一键通过{days[day]}无合规提示的 {len(clean)} 个条目",
        key=f"review.approve_day.{campaign_id}.{day}",
        icon=":material/done_all:",
        disabled=not clean,
        on_click=actions.approve_day,
        args=(campaign_id, day),
    )
drafts = [s.key for s in queue if s.state in {"draft", "rejected"}]
if drafts and can(user, "submit"):
    shortcuts[1].button(
        f"把筛选出的 {len(drafts)} 个草稿提交审核",
        key=f"review.submit_all.{campaign_id}",
        icon=":material/send:",
        on_click=actions.submit_all,
        args=(drafts,),
    )

if not queue:
    waiting = {s: counts[s] for s in ("in_review", "draft", "rejected") if counts[s]}
    hint = "，".join(f"{STATE_LABELS[s]} {n} 条" for s, n in waiting.items())
    st.info(
        "没有符合筛选条件的条目。"
        + (f"这个活动里还有：{hint}（换个「状态」看看）。" if hint else "")
    )
    st.stop()

flagged = sum(bool(s.item.findings) for s in queue)
pages = (len(queue) + PAGE_SIZE - 1) // PAGE_SIZE
page = 1
if pages > 1:
    page = st.segmented_control(
        "页", list(range(1, pages + 1)), default=1, format_func=lambda p: f"第 {p} 页",
        key=f"review.page.{campaign_id}.{state}.{day}.{channel}.{kind}",
    ) or 1  # fmt: skip
shown = queue[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
st.caption(
    f"共 {len(queue)} 个条目，其中 {flagged} 个有合规提示（⚠）"
    + (f"；这一页 {len(shown)} 个" if pages > 1 else "")
)

# --- many at once ---
picked = [s for s in queue if st.session_state.get(actions.pick_key(s.key))]
with st.container(border=True, key="review-bulk"):
    choose, clear, reason = st.columns([1.3, 1, 3.2], vertical_alignment="bottom")
    choose.button(
        f"全选这一页 {len(shown)} 条", key="review.pick_all", icon=":material/select_all:",
        on_click=actions.set_picks, args=([s.key for s in shown], True), width="stretch",
    )  # fmt: skip
    clear.button(
        "清除选择", key="review.pick_none", disabled=not picked, width="stretch",
        on_click=actions.set_picks, args=([s.key for s in queue], False),
    )  # fmt: skip
    reason.text_input("理由（驳回必填；通过有需修改的合规问题时必填；单条和批量共用）", key=REASON)
    targets = {
        action: [(s.key, s.version) for s in picked if s.state in allowed]
        for action, allowed in {
            "approve": {"in_review"},
            "reject": {"in_review"},
            "submit": {"draft", "rejected"},
        }.items()
    }
    go = st.columns(3)
    if can(user, "approve"):
        go[0].button(
            f"通过选中的 {len(targets['approve'])} 条", key="review.bulk.approve",
            type="primary", icon=":material/done_all:", disabled=not targets["approve"],
            on_click=actions.bulk, args=("approve", targets["approve"], REASON), width="stretch",
        )  # fmt: skip
    if can(user, "reject"):
        go[1].button(
            f"驳回选中的 {len(targets['reject'])} 条", key="review.bulk.reject",
            icon=":material/block:", disabled=not targets["reject"],
            on_click=actions.bulk, args=("reject", targets["reject"], REASON), width="stretch",
        )  # fmt: skip
    if can(user, "submit"):
        go[2].button(
            f"提交选中的 {len(targets['submit'])} 条", key="review.bulk.submit",
            icon=":material/send:", disabled=not targets["submit"],
            on_click=actions.bulk, args=("submit", targets["submit"], REASON), width="stretch",
        )  # fmt: skip

opened = st.session_state[actions.OPEN]
if opened not in by_key:
    opened = queue[0].key
for stored in shown:
    row(stored, days, by_key, opened)

order = [s.key for s in queue]
following = order[order.index(opened) + 1] if opened in order[:-1] else None
detail(store, user, by_key[opened], following)

with st.expander("审计日志"):
    st.dataframe(
        [
            {
                "时间": common.local_time(e.at),
                "人": e.actor,
                "角色": ROLE_LABELS.get(e.role, e.role),
                "操作": e.action,
                "条目": e.item_id or "",
                "版本": e.version,
                "说明": e.detail,
            }
            for e in store.audit(campaign_id)
        ],
        hide_index=True,
    )
