"""The week's posts as briefs for the model: the shared planner decides, the model only writes.

Which day, time, channel, activity type, goal, product and poster each post has, and on which
real dates the week's events fall, come from the same deterministic planner the template engine
uses (`plan_week`, with its honesty and date rules). A brief adds, in words, what its post is for
and which moments of the week it may mention.
"""

from __future__ import annotations

from pipelines.canvas import Canvas
from pipelines.engines.base import PostBrief
from pipelines.engines.template.plan import Planned, WeekPlan, plan_week
from pipelines.playbook import Playbook, load_playbook

_CHOICES = {
    "invite": "邀请新朋友进群：说清群里每天有什么",
    "launch": "活动正式开始：说清开始了什么、什么价格、怎么参与",
    "preview": "预告明天的直播：时间、主推商品、为什么值得来",
    "reminder": "今天直播前的提醒：几点开播、看什么",
}


def post_briefs(canvas: Canvas, seed: int = 0) -> list[PostBrief]:
    """One brief per planned post, in the week's order (ids `post-d<day>-<NN>`)."""
    playbook = load_playbook()
    plan = plan_week(canvas, playbook, seed)
    moments = tuple((p.day, p.time) for p in plan.posts)
    briefs = []
    for planned in plan.posts:
        schedule = _schedule(plan, playbook, planned.day)
        if planned.slot == "evening" and planned.day < 7:
            schedule += tuple(f"明天 {line}" for line in _schedule(plan, playbook, planned.day + 1))
        purpose = plan.purposes[planned.day]
        briefs.append(
            PostBrief(
                id=plan.post_id(planned),
                day=planned.day,
                date=canvas.days[planned.day - 1],
                time=planned.time,
                channel=planned.channel,
                activity_type=planned.activity_type,
                form=planned.form,
                goal=planned.goal,
                product_id=planned.product_id,
                poster_kind=planned.poster_kind,
                what=_what(planned, playbook),
                day_purpose=f"{purpose.name}：{purpose.description}",
                schedule=schedule,
                moments=moments,
            )
        )
    return briefs


def _what(planned: Planned, playbook: Playbook) -> str:
    """The slot's purpose, and what the planner chose for this post within it."""
    slot = playbook.calendar.slot(planned.slot)
    said = f"{slot.name}：{slot.purpose}"
    choice = planned.choice
    steps = {p.step: p for p in playbook.calendar.launch_timeline}
    if choice in steps:
        return f"{said}。这一条是开团时间线的「{choice}」：{steps[choice].purpose}"
    if choice in _CHOICES:
        return f"{said}。这一条：{_CHOICES[choice]}"
    if planned.slot == "warmup" and choice:
        return f"{said}。这一条讲预热方式「{choice}」怎么参与"
    if planned.slot == "moments" and choice.isdigit():
        kind = playbook.phrases.moments[int(choice)].kind
        share = next(m for m in playbook.calendar.moments_balance if m.kind == kind)
        return f"{said}。这一条是「{kind}」类：{share.description}"
    if planned.slot == "topic":
        return f"{said}。话题自己定，和本周其他天的话题不要重复"
    return said


def _schedule(plan: WeekPlan, playbook: Playbook, day: int) -> tuple[str, ...]:
    """`HH:MM 渠道 栏目（商品）` for each post of `day`: the moments a post may point to."""
    lines = []
    for other in plan.on_day(day):
        name = playbook.calendar.slot(other.slot).name
        product = plan.canvas.product(other.product_id).name if other.product_id else ""
        lines.append(f"{other.time} {other.channel} {name}{f'（{product}）' if product else ''}")
    return tuple(lines)
