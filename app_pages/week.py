"""一周日历: generate the week with visible progress, see it as a 7-day grid and a table, open a post."""

from __future__ import annotations

import time

import streamlit as st

from app_pages import common
from app_pages._cards import CHANNEL_COLOURS, short_title
from app_pages._drag_calendar import drag_calendar
from app_pages._post_detail import post_detail
from app_pages._progress import writing_grid
from pipelines.canvas import Canvas, normalise_name
from pipelines.content import Post, WeekCalendar, WeekPackage
from pipelines.errors import CampaignCanvasError
from pipelines.render_md import package_markdown
from pipelines.settings import Settings
from pipelines.store.models import Decisions
from pipelines.tasks import TaskEvent, generate_week

common.init_state()
MARKS = {"done": "✓", "cached": "↺", "failed": "✗", "skipped": "–"}
EDITABLE = ["title", "body"]


def generate(canvas: Canvas, settings: Settings) -> WeekPackage | None:
    """Run the week plan with a live status: a progress bar, the week grid filling in post by
    post as the runner reports each finished one, and one line per finished task."""
    seen: set[str] = set()
    finished: set[str] = set()
    started = time.monotonic()
    with st.status(f"正在生成「{canvas.name}」的一周内容…", expanded=True) as status:
        bar = st.progress(0.0, text="准备任务…")
        shown = st.empty()  # the week grid, re-rendered as each post is written
        log = st.empty()  # one element rewritten per event: a long week stays one block
        lines: list[str] = []
        written: dict[str, Post] = {}

        def on_event(event: TaskEvent) -> None:
            seen.add(event.task_id)
            if event.state == "started":
                return
            finished.add(event.task_id)
            label = common.KIND_LABELS.get(event.kind.value, event.kind.value)
            detail = f"：{event.message}" if event.message else ""
            lines.append(f"{MARKS[event.state]} {label} {event.task_id}{detail}")
            log.text("\n".join(lines))
            posts = [event.output] if isinstance(event.output, Post) else []
            posts += event.output.posts if isinstance(event.output, WeekCalendar) else []
            if posts:
                written.update((post.id, post) for post in posts)
                with shown.container():
                    writing_grid(canvas, written.values())
            done, total = len(finished), max(len(seen), event.planned)
            left = ""
            if done < total:  # time per finished task so far, times the tasks still to go
                left = f"，约剩 {(time.monotonic() - started) / done * (total - done):.0f} 秒"
            bar.progress(done / total, text=f"已完成 {done} / {total} 个任务{left}")

        try:
            package = generate_week(
                canvas,
                common.get_engine(settings),
                cache=common.result_cache(settings),
                concurrency=settings.cc_max_concurrency,
                on_event=on_event,
            )
        except CampaignCanvasError as exc:
            status.update(label="生成失败", state="error", expanded=True)
            common.show_error(exc)
            return None
        counts = "，".join(f"{k} {v}" for k, v in package.counts().items() if v)
        state = "error" if package.failures else "complete"
        status.update(label=f"生成完成：{counts}", state=state, expanded=False)
    return package


def open_post(post_id: str) -> None:
    st.session_state[common.SELECTED_POST] = post_id
    st.query_params["post"] = post_id  # a link to this very post (?campaign=…&post=…)


STATE_BADGES = {
    "draft": ("gray", "草稿"),
    "in_review": ("blue", "审核中"),
    "approved": ("green", "已通过"),
    "rejected": ("red", "已驳回"),
}


def review_states(campaign: str | None) -> dict[str, str]:
    """Each post's review state, read from the store on every run."""
    if campaign is None:
        return {}
    return {s.item_id: s.state for s in common.open_store().items(campaign, kind="post")}


def post_badges(package: WeekPackage, post: Post, states: dict[str, str]) -> str:
    colour = CHANNEL_COLOURS.get(post.channel.value, "gray")
    parts = [f":{colour}-badge[{post.time} {post.channel.value}]"]
    state = states.get(post.id)
    if state in STATE_BADGES:
        tone, label = STATE_BADGES[state]
        parts.append(f":{tone}-badge[{label}]")
    if package.poster_for(post.id):
        parts.append(":material/image:")
    if post.findings:
        parts.append(":orange[:material/report:]")
    return " ".join(parts)


def shown_channels(package: WeekPackage) -> list[str]:
    channels = [c.value for c in package.canvas.channels]
    shown = st.pills(
        "渠道", channels, selection_mode="multi", default=channels, key="week_channels"
    )
    st.caption(
        "颜色是渠道（"
        + "、".join(f":{CHANNEL_COLOURS.get(c, 'gray')}[{c}]" for c in channels)
        + "），第二个标记是审核状态；:material/image: 配海报，:orange[:material/report:] 有合规提示。"
        "点一条打开详情，可改日期和时间；也可以在「拖动改期」里直接拖动。"
    )
    return shown


def calendar_grid(package: WeekPackage, states: dict[str, str]) -> None:
    """The week as seven day columns on the page itself (no inner scroll box)."""
    selected = st.session_state[common.SELECTED_POST]
    shown = shown_channels(package)
    columns = st.columns(len(package.canvas.days), gap="small")
    for day, column in enumerate(columns, start=1):
        with column:
            st.markdown(f"**{common.day_label(package, day)}**")
            for post in package.calendar.day(day):
                if post.channel.value not in shown:
                    continue
                with st.container(border=True, key=f"card-{post.id}", gap="small"):
                    st.markdown(post_badges(package, post, states))
                    st.button(
                        common.md_escape(short_title(post.title)),
                        key=f"open.{post.id}",
                        help=common.md_escape(post.title),
                        on_click=open_post,
                        args=(post.id,),
                        type="primary" if post.id == selected else "tertiary",
                        width="stretch",
                    )


def day_view(package: WeekPackage, states: dict[str, str]) -> None:
    """One day in full width: every post with its title, state and the start of its copy."""
    days = list(range(1, len(package.canvas.days) + 1))
    day = st.segmented_control(
        "哪一天", days, default=1, format_func=lambda d: common.day_label(package, d),
        key="week_day",
    ) or 1  # fmt: skip
    for post in package.calendar.day(day):
        with st.container(border=True, key=f"dayrow-{post.id}"):
            text, action = st.columns([5, 1], vertical_alignment="center")
            text.markdown(
                f"{post_badges(package, post, states)} **{common.md_escape(post.title)}**"
            )
            text.caption(common.md_escape(post.body[:80] + ("…" if len(post.body) > 80 else "")))
            action.button(
                "打开", key=f"day.open.{post.id}", on_click=open_post, args=(post.id,),
                icon=":material/open_in_full:", width="stretch",
            )  # fmt: skip


def list_view(package: WeekPackage, states: dict[str, str]) -> None:
    """The week as one column, day by day: for a phone."""
    for day in range(1, len(package.canvas.days) + 1):
        st.markdown(f"**{common.day_label(package, day)}**")
        for post in package.calendar.day(day):
            with st.container(border=True, key=f"listrow-{post.id}"):
                st.markdown(post_badges(package, post, states))
                st.button(
                    common.md_escape(post.title), key=f"list.open.{post.id}",
                    on_click=open_post, args=(post.id,), type="tertiary", width="stretch",
                )  # fmt: skip


def posts_table(package: WeekPackage) -> None:
    """All posts in one table; titles and copy are editable in place."""
    posts = sorted(package.calendar.posts, key=lambda p: (p.day, p.time))
    rows = [
        {
            "id": p.id,
            "day": common.day_label(package, p.day),
            "time": p.time,
            "channel": p.channel.value,
            "activity_type": p.activity_type,
            "form": p.form,
            "goal": p.goal,
            "title": p.title,
            "body": p.body,
            "findings": len(p.findings),
        }
        for p in posts
    ]
    key = "posts." + common.digest([r["title"] + r["body"] for r in rows])
    edited = st.data_editor(
        rows,
        key=key,
        hide_index=True,
        width="stretch",
        disabled=[c for c in rows[0] if c not in EDITABLE],
        column_config={
            "id": st.column_config.TextColumn("编号", width="small"),
            "day": "日期",
            "time": "时间",
            "channel": "渠道",
            "activity_type": "活动类型",
            "form": "形式",
            "goal": "目标",
            "title": st.column_config.TextColumn("标题", max_chars=40, width="medium"),
            "body": st.column_config.TextColumn("文案", width="large"),
            "findings": st.column_config.NumberColumn("合规提示", width="small"),
        },
    )
    by_id = {p.id: p for p in posts}
    for row in edited:
        post = by_id[row["id"]]
        if row["title"] != post.title or row["body"] != post.body:
            save_post(package, post, title=row["title"], body=row["body"])
            st.rerun()


def save_post(package: WeekPackage, post: Post, *, title: str, body: str) -> None:
    try:
        data = post.model_dump() | {"title": title, "body": body, "findings": []}
        common.update_item(Post.model_validate(data))
    except (CampaignCanvasError, ValueError) as exc:
        common.show_error(exc)
        st.stop()
    common.carry_notice(f"已保存「{title}」")


def target_campaign(canvas: Canvas) -> str | None:
    """Where this canvas's week lives: the campaign holding exactly this canvas, else the one
    the draft was opened from (its next canvas version), else none yet (a new campaign)."""
    twin = common.workspace().campaign_for(canvas)
    if twin is not None:
        return twin
    origin = st.session_state[common.DRAFT_OF]
    return origin if origin and common.open_store().has_campaign(origin) else None


def store_week(fresh: WeekPackage, campaign: str | None, *, replace: bool) -> None:
    try:
        saved = common.workspace().save_week(fresh, campaign, replace_decided=replace)
    except CampaignCanvasError as exc:
        common.show_error(exc)
        st.stop()
    common.open_campaign(saved)
    kept = "" if replace or campaign is None else "已通过和手改过的条目都保留了。"
    counts = "，".join(f"{k} {v}" for k, v in fresh.counts().items() if v)
    common.carry_notice(f"生成完成：{counts}。已保存到活动「{fresh.canvas.name}」。{kept}")
    st.rerun()


@st.dialog("重新生成本周内容", on_dismiss=common.clear_confirm)
def confirm_regenerate(canvas: Canvas, campaign: str, decisions: Decisions) -> None:
    st.write(
        f"这个活动里有 {decisions.approved} 条已通过、{decisions.edited} 条手改过的内容。"
        "默认保留它们，只重写其余条目；选择替换会把它们也重写并退回草稿（旧版本留在历史里，可恢复）。"
    )
    keep, replace = st.columns(2)
    if keep.button("保留并重新生成", type="primary", key="regen.keep"):
        common.clear_confirm()
        run_and_store(canvas, campaign, replace=False)
    if replace.button(
        f"全部替换（影响 {decisions.approved + decisions.edited} 条）", key="regen.replace"
    ):
        common.clear_confirm()
        run_and_store(canvas, campaign, replace=True)


def run_and_store(canvas: Canvas, campaign: str | None, *, replace: bool) -> None:
    fresh = generate(canvas, settings)
    if fresh is not None:
        st.session_state[common.SELECTED_POST] = None
        store_week(fresh, campaign, replace=replace)


# --- page ------------------------------------------------------------------------------------

canvas = common.require_canvas()
settings = common.current_settings()
problems = common.draft_problems()
campaign = target_campaign(canvas)
if campaign is not None and campaign != st.session_state[common.CAMPAIGN]:
    st.session_state[common.CAMPAIGN] = campaign
    st.query_params["campaign"] = campaign
package = common.current_package() if campaign is not None else None

st.title("一周日历")
head, action = st.columns([3, 1], vertical_alignment="bottom")
with head:
    end = canvas.days[-1]
    st.markdown(
        f"**{common.md_escape(canvas.name)}** · {common.md_escape(canvas.theme.name)} · "
        f"{canvas.week_start:%Y-%m-%d} 至 {end:%Y-%m-%d}"
    )
    engine_label = (
        "内置模板引擎（离线）"
        if settings.cc_engine == "template"
        else f"大模型：{settings.cc_model or '未设置模型'}"
    )
    st.caption(f"生成引擎：{engine_label}（在「设置」页更换）")
with action:
    clicked = st.button(
        "生成本周内容" if package is None else "重新生成本周内容",
        key="generate",
        type="primary",
        icon=":material/auto_awesome:",
        width="stretch",
    )
if clicked and problems:
    st.error(
        f"画布草稿有 {len(problems)} 处问题，没有生成："
        + "；".join(problems[:5])
        + ("……" if len(problems) > 5 else ""),
        icon=":material/error:",
    )
    st.page_link("app_pages/canvas.py", label="去活动画布修改", icon=":material/edit_note:")
elif clicked:
    decisions = common.workspace().decisions(campaign) if campaign else None
    if decisions is not None and decisions.any:
        st.session_state[common.CONFIRM] = ("week", campaign)  # asked until answered
    else:
        run_and_store(canvas, campaign, replace=False)
elif problems:
    st.warning(
        f"画布草稿有 {len(problems)} 处问题，下面是上次校验通过的画布的内容；改好后再生成。",
        icon=":material/sync_problem:",
    )
if st.session_state[common.CONFIRM] == ("week", campaign):
    confirm_regenerate(canvas, campaign, common.workspace().decisions(campaign))

common.show_notice()
if package is None:
    st.info("点击右上角「生成本周内容」：先写卖点，再排一周日历、海报文案和直播脚本。")
    st.stop()
if package.canvas != canvas:
    st.warning(
        "画布改过了：下面是按旧画布生成的内容。点「重新生成本周内容」更新。",
        icon=":material/sync_problem:",
    )
for failure in package.failures:
    label = "未生成（依赖的任务失败）" if failure.skipped else "生成失败"
    st.error(f"{label}：{failure.task_id}：{failure.message}", icon=":material/error:")
if package.calendar is None:
    st.stop()

metrics = st.columns([1, 1, 1, 1, 2], vertical_alignment="bottom")
metrics[0].metric("帖子", len(package.calendar.posts))
metrics[1].metric("海报", len(package.posters))
metrics[2].metric("合规提示", sum(len(item.findings) for item in package.items()))
metrics[3].metric("失败任务", len(package.failures))
metrics[4].download_button(
    "下载本周内容 Markdown",
    lambda: package_markdown(package),
    file_name=f"{normalise_name(canvas.name)}-week.md",
    mime="text/markdown",
    on_click="ignore",
    icon=":material/download:",
    width="stretch",
)

# Only the open view runs: the 7-day grid first, the editable table when asked for.
views = ["一周日历", "拖动改期", "单日", "列表（手机）", "表格视图（可编辑）"]
grid_tab, drag_tab, day_tab, list_tab, table_tab = st.tabs(
    views, key="week_view", on_change="rerun"
)
states = review_states(campaign)
if grid_tab.open:
    with grid_tab:
        calendar_grid(package, states)
if drag_tab.open:
    with drag_tab:
        drag_calendar(package, states, shown_channels(package))
if day_tab.open:
    with day_tab:
        day_view(package, states)
if list_tab.open:
    with list_tab:
        list_view(package, states)
if table_tab.open:
    with table_tab:
        posts_table(package)

selected = st.session_state[common.SELECTED_POST]
if selected is not None:
    try:
        post = package.item(selected)
    except KeyError:
        post = None
    if isinstance(post, Post):
        post_detail(package, post)
