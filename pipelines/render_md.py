"""The week as Markdown a person reads: calendar table, FABE per product, livestream script.

Every value from the canvas or a model goes through `md`: it is shown as the text it is, never
read as HTML (tags are escaped) or as a link (brackets are escaped, and `<` with them, so no
inline, reference or autolink can form — a `javascript:` link included).
"""

from __future__ import annotations

import html

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


def md(value: object) -> str:
    """Canvas or model text as literal Markdown text: no HTML, no links."""
    text = html.escape(str(value), quote=False)
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _cell(value: str) -> str:
    """Table-safe text: no pipes or line breaks inside a Markdown table cell."""
    return md(value).replace("|", "｜").replace("\r", "").replace("\n", "<br>")


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
            f"#### {post.date:%m-%d} {md(post.time)} {post.channel.value}｜{md(post.title)}",
            "",
            md(post.body),
            "",
        ]
    return "\n".join(lines)


def selling_points_markdown(points: SellingPoints) -> str:
    lines = [f"### {md(points.product)}", "", f"> {md(points.scene_line)}", ""]
    for index, fabe in enumerate(points.fabe, start=1):
        lines += [
            f"**卖点 {index}**",
            f"- F 属性：{md(fabe.feature)}",
            f"- A 作用：{md(fabe.advantage)}",
            f"- B 益处：{md(fabe.benefit)}",
            f"- E 证据：{md(fabe.evidence) or '（画布未提供）'}",
            "",
        ]
    lines += [f"> 运营提醒（不对外发）：{md(note)}" for note in points.operator_notes]
    for variant in points.variants:
        lines += [f"- **{variant.channel.value}·{md(variant.persona)}**：{md(variant.body)}"]
    return "\n".join(lines) + "\n"


def livestream_markdown(script: LivestreamScript) -> str:
    lines = [
        f"## {md(script.title)}",
        "",
        f"开播 {md(script.start_time)}，共约 {script.total_minutes} 分钟",
        "",
    ]
    for act in script.acts:
        lines += [f"### {md(act.name)}（{act.minutes} 分钟）", ""]
        for block in act.blocks:
            lines += [
                f"#### {md(block.title)}（{block.minutes} 分钟）",
                f"- 画面：{md(block.on_screen)}",
            ]
            if block.interaction:
                lines.append(f"- 互动：{md(block.interaction)}")
            lines += [f"- **{md(line.speaker)}**：{md(line.words)}" for line in block.lines]
            lines.append("")
    lines += ["### 单品脚本", ""]
    for segment in script.segments:
        lines += [f"#### {md(segment.product)}（{segment.minutes} 分钟）", ""]
        for step in segment.steps:
            lines.append(f"**{md(step.title)}**（{step.minutes} 分钟，画面：{md(step.on_screen)}）")
            lines += [f"- **{md(line.speaker)}**：{md(line.words)}" for line in step.lines]
            lines.append("")
    lines += ["### 应急预案", ""]
    lines += [f"- **{md(c.situation)}**：{md(c.response)}" for c in script.contingencies]
    lines += ["", "### 复盘指标", "", "、".join(map(md, script.review_metrics)), ""]
    return "\n".join(lines)


def group_kit_markdown(kit: GroupKit) -> str:
    lines = ["### 群名备选", "", "、".join(map(md, kit.names)), "", "### 群规", ""]
    lines += [f"{i}. {md(rule)}" for i, rule in enumerate(kit.rules, start=1)]
    lines += ["", "### 入群欢迎语", "", md(kit.welcome), "", "### 群公告", ""]
    lines += [md(kit.announcement), "", "### 关键词回复", ""]
    lines += [f"- **{md(r.keyword)}**：{md(r.reply)}" for r in kit.keyword_replies]
    lines += ["", "### 私聊话术", ""]
    lines += [f"- **{md(s.topic)}**：{md(s.words)}" for s in kit.private_scripts]
    return "\n".join(lines) + "\n"


def launch_markdown(launch: LaunchSequence) -> str:
    lines = [f"第 {launch.launch_day} 天开团", ""]
    for message in launch.messages:
        lines += [f"#### {md(message.step)}（{md(message.when)}）", "", md(message.words), ""]
    return "\n".join(lines)


def package_markdown(package: WeekPackage) -> str:
    canvas = package.canvas
    end = canvas.days[-1]
    parts = [
        f"# {md(canvas.name)}｜{md(canvas.theme.name)}",
        "",
        f"{md(canvas.brand.name)} · {canvas.week_start:%Y-%m-%d} 至 {end:%Y-%m-%d}"
        f" · 引擎：{md(package.engine)}",
        "",
    ]
    if package.failures:
        parts += ["> **未完成的任务：**", ""]
        parts += [f"> - {md(f.task_id)}：{md(f.message)}" for f in package.failures]
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
                label = poster.price.note or "活动价"  # 到手价 when the product has no promo price
                price = f"｜{original}{label} {format_price(poster.price.promo)}{poster.price.unit}"
            parts += [
                f"- **{md(poster.headline)}**（{poster.kind.value}，{md(poster.post_id)}）"
                f"{md(poster.subheadline)}｜{'／'.join(map(md, poster.bullets))}{md(price)}"
                f"｜{md(poster.urgency)}｜{md(poster.cta)}"
            ]
        parts.append("")
    if package.livestream is not None:
        parts += [livestream_markdown(package.livestream)]
    if package.launch is not None:
        parts += ["## 开团消息序列", "", launch_markdown(package.launch)]
    if package.group_kit is not None:
        parts += ["## 社群基础物料", "", group_kit_markdown(package.group_kit)]
    return "\n".join(parts).rstrip() + "\n"
