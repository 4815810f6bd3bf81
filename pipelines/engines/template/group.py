"""Group basics (群名, 群规, 欢迎语, 群公告, 关键词回复, 私聊话术) and the group-buy launch messages."""

from __future__ import annotations

from pipelines.content import (
    GroupKit,
    KeywordReply,
    LaunchMessage,
    LaunchSequence,
    PrivateScript,
)
from pipelines.engines.template.common import Writer, clip, date_label, shift, weekday
from pipelines.engines.template.plan import WeekPlan
from pipelines.errors import EngineError


def _values(writer: Writer, index: int = 0) -> dict[str, str]:
    facts = writer.facts
    product = writer.canvas.products[index % len(writer.canvas.products)]
    persona = facts.persona_for(index)
    return (
        facts.base()
        | facts.product_vars(product, index)
        | {"persona": persona.name, "pain": writer.pick(facts.pains(persona))}
    )


def group_kit(writer: Writer, item_id: str) -> GroupKit:
    canvas, guide = writer.canvas, writer.playbook.group_kit
    values = _values(writer)
    names = list(dict.fromkeys(clip(writer.fill(n, values), 20) for n in guide.names))
    # The canvas's own rules come first; the playbook's fill in only when it gives too few.
    missing = max(0, 5 - len(canvas.group_rules)) if len(canvas.group_rules) < 3 else 0
    rules = list(canvas.group_rules) + [
        writer.fill(r, values) for r in guide.default_rules[:missing]
    ]
    rules = list(dict.fromkeys(clip(r, 80) for r in rules))[:12]
    lines = [writer.say(guide.announcement_intro, values)]
    lines.append(f"本周主题：{values['theme_desc']}。")
    flash = f"{values['flash_schedule']}秒杀、" if "秒杀" in canvas.burst.methods else ""
    lines.append(f"每日安排：早报、互动话题、{flash}晚间预告。")
    lines.append("本周商品：" + writer.facts.price_summary() + "。")
    lines += [f"活动方式：{line}。" for line in writer.facts.burst_lines()[:3]]
    lines.append(f"服务保障：{writer.facts.service()}。有问题请私聊{canvas.speaker.name}。")
    replies = [
        KeywordReply(keyword=k.keyword, reply=clip(writer.say(k.reply, values), 300))
        for k in guide.keyword_replies
    ]
    for index, product in enumerate(canvas.products[:6]):
        product_values = _values(writer, index)
        replies.append(
            KeywordReply(
                keyword=product.name if len(product.name) <= 12 else clip(product.name, 12),
                reply=clip(writer.say(guide.product_reply, product_values), 300),
            )
        )
    scripts = [
        PrivateScript(topic=topic, words=clip(writer.say(options, values), 400))
        for topic, options in guide.private_scripts.items()
    ]
    return GroupKit(
        id=item_id,
        names=writer.sample(names, min(len(names), 5)),
        rules=rules,
        welcome=clip(writer.say(guide.welcome, values), 300),
        announcement=clip("\n".join(lines), 500),
        keyword_replies=replies,
        private_scripts=scripts,
    )


def launch_sequence(writer: Writer, item_id: str, plan: WeekPlan) -> LaunchSequence:
    canvas, facts = writer.canvas, writer.facts
    if not canvas.burst.group_buy:
        raise EngineError("画布没有设置开团（引爆方式里的“是否开团”），不生成开团消息序列")
    launch_day = canvas.burst.launch_day
    start = facts.launch_time
    # Clock times come from the week plan, so the sequence and the calendar agree.
    timed = {p.choice: (p.day, p.time) for p in plan.posts if p.slot == "launch"}
    timed.setdefault("T-0开团", (launch_day, start))
    timed.setdefault("T-10分钟倒计时", (launch_day, shift(start, -10)))
    timed.setdefault("T+30分钟播报", (launch_day, shift(start, 30)))

    def at(step: str, fallback: str) -> str:
        if step not in timed:
            return fallback
        day, time = timed[step]
        return f"{date_label(facts.day_date(day))}{weekday(facts.day_date(day))} {time}"

    when = {
        "T-1天预告": at("T-1天预告", "开团前一天晚上"),
        "T-10分钟倒计时": at("T-10分钟倒计时", ""),
        "T-0开团": at("T-0开团", ""),
        "T+30分钟播报": at("T+30分钟播报", ""),
        "结束战绩": at("结束战绩", "团购结束时"),
        "售后跟进": at("售后跟进", "收货后"),
    }
    values = _values(writer)
    messages = [
        LaunchMessage(
            step=point.step,
            when=when[point.step],
            words=clip(writer.say(writer.playbook.phrases.launch[point.step], values), 500),
        )
        for point in writer.playbook.calendar.launch_timeline
    ]
    return LaunchSequence(id=item_id, launch_day=launch_day, messages=messages)
