"""The week as Markdown a person reads: calendar table, FABE per product, livestream script."""

from __future__ import annotations

from pipelines.content import (
    GroupKit,
    LaunchSequence,
    LivestreamScript,
    SellingPoints,
    WeekCalendar,
    WeekPackage,
    format_price,
)

WEEKDAYS = "一二三四五六日"


def _cell(value: str) -> str:
    """Table-safe text: no pipes or line breaks inside a Markdown table cell."""
    return value.replace("|", "｜").replace("\r", "").replace("\n", "<br>")


def calendar_markdown(calendar: WeekCalendar) -> str:
    lines = [
        "| 日期 | 时间 | 渠道 | 活动类型 | 形式 | 目标 | 标题 | 海报 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for post in sorted(calendar.posts, key=lambda p: (p.day, p.time)):
        day = f"{post.date:%m-%d} 周{WEEKDAYS[post.date.weekday()]}"
        poster = post.poster_kind.value if post.poster_kind else ""
        row = [day, post.time, post.channel.value, post.activity_type, post.form, post.goal]
        lines.append("| " + " | ".join(_cell(v) for v in [*row, post.title, poster]) + " |")
    lines.append("")
    for post in sorted(calendar.posts, key=lambda p: (p.day, p.time)):
        lines += [
            f"#### {post.date:%m-%d} {post.time} {post.channel.value}｜{post.title}",
            "",
            post.body,
            "",
        ]
    return "\n".join(lines)


def selling_points_markdown(points: SellingPoints) -> str:
    lines = [f"### {points.product}", "", f"> {points.scene_line}", ""]
    for index, fabe in enumerate(points.fabe, start=1):
        lines += [
            f"**卖点 {index}**",
            f"- F 属性：{fabe.feature}",
            f"- A 作用：{fabe.advantage}",
            f"- B 益处：{fabe.benefit}",
            f"- E 证据：{fabe.evidence or '（画布未提供）'}",
            "",
        ]
    lines += [f"> 运营提醒（不对外发）：{note}" for note in points.operator_notes]
    for variant in points.variants:
        lines += [f"- **{variant.channel.value}·{variant.persona}**：{variant.body}"]
    return "\n".join(lines) + "\n"


def livestream_markdown(script: LivestreamScript) -> str:
    lines = [
        f"## {script.title}",
        "",
        f"开播 {script.start_time}，共约 {script.total_minutes} 分钟",
        "",
    ]
    for act in script.acts:
        lines += [f"### {act.name}（{act.minutes} 分钟）", ""]
        for block in act.blocks:
            lines += [f"#### {block.title}（{block.minutes} 分钟）", f"- 画面：{block.on_screen}"]
            if block.interaction:
                lines.append(f"- 互动：{block.interaction}")
            lines += [f"- **{line.speaker}**：{line.words}" for line in block.lines]
            lines.append("")
    lines += ["### 单品脚本", ""]
    for segment in script.segments:
        lines += [f"#### {segment.product}（{segment.minutes} 分钟）", ""]
        for step in segment.steps:
            lines.append(f"**{step.title}**（{step.minutes} 分钟，画面：{step.on_screen}）")
            lines += [f"- **{line.speaker}**：{line.words}" for line in step.lines]
            lines.append("")
    lines += ["### 应急预案", ""]
    lines += [f"- **{c.situation}**：{c.response}" for c in script.contingencies]
    lines += ["", "### 复盘指标", "", "、".join(script.review_metrics), ""]
    return "\n".join(lines)


def group_kit_markdown(kit: GroupKit) -> str:
    lines = ["### 群名备选", "", "、".join(kit.names), "", "### 群规", ""]
    lines += [f"{i}. {rule}" for i, rule in enumerate(kit.rules, start=1)]
    lines += ["", "### 入群欢迎语", "", kit.welcome, "", "### 群公告", "", kit.announcement, ""]
    lines += ["### 关键词回复", ""] + [f"- **{r.keyword}**：{r.reply}" for r in kit.keyword_replies]
    lines += ["", "### 私聊话术", ""] + [f"- **{s.topic}**：{s.words}" for s in kit.private_scripts]
    return "\n".join(lines) + "\n"


def launch_markdown(launch: LaunchSequence) -> str:
    lines = [f"第 {launch.launch_day} 天开团", ""]
    for message in launch.messages:
        lines += [f"#### {message.step}（{message.when}）", "", message.words, ""]
    return "\n".join(lines)


def package_markdown(package: WeekPackage) -> str:
    canvas = package.canvas
    end = canvas.days[-1]
    parts = [
        f"# {canvas.name}｜{canvas.theme.name}",
        "",
        f"{canvas.brand.name} · {canvas.week_start:%Y-%m-%d} 至 {end:%Y-%m-%d} · 引擎：{package.engine}",
        "",
    ]
    if package.failures:
        parts += ["> **未完成的任务：**", ""]
        parts += [f"> - {f.task_id}：{f.message}" for f in package.failures]
        parts.append("")
    if package.calendar is not None:
        parts += ["## 一周社群内容日历", "", calendar_markdown(package.calendar), ""]
    if package.selling_points:
        parts += ["## FABE 卖点", ""] + [selling_points_markdown(p) for p in package.selling_points]
    if package.posters:
        parts += ["## 海报文案", ""]
        for poster in package.posters:
            price = ""
            if poster.price is not None:
                original = (
                    f"原价 {format_price(poster.price.original)} " if poster.price.original else ""
                )
                price = f"｜{original}活动价 {format_price(poster.price.promo)}{poster.price.unit}"
            parts += [
                f"- **{poster.headline}**（{poster.kind.value}，{poster.post_id}）{poster.subheadline}"
                f"｜{'／'.join(poster.bullets)}{price}｜{poster.urgency}｜{poster.cta}"
            ]
        parts.append("")
    if package.livestream is not None:
        parts += [livestream_markdown(package.livestream)]
    if package.launch is not None:
        parts += ["## 开团消息序列", "", launch_markdown(package.launch)]
    if package.group_kit is not None:
        parts += ["## 社群基础物料", "", group_kit_markdown(package.group_kit)]
    return "\n".join(parts).rstrip() + "\n"
