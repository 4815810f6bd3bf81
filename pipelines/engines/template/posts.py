"""Words for the planned posts: one writer per slot kind, all drawing on canvas facts."""

from __future__ import annotations

import re

from pipelines.content import Fabe, Post, SellingPoints, WeekCalendar
from pipelines.engines.template.common import Writer, clip, date_label, rng_for, weekday
from pipelines.engines.template.fabe import benefit_for, neutral_advantage
from pipelines.engines.template.plan import Planned, WeekPlan
from pipelines.playbook.models import PhraseBank

_NOT_IN_TAG = re.compile(r"[\s#，,。.、·・｜|/：:！!？?（）()「」]+")
# Warm-up methods whose playbook wording states rules (amounts, what is locked, when it is
# deducted): when the operator's notes spell them out, only the notes are said.
_RULED = {"订金", "定金膨胀", "1元付", "订金抽奖"}
_SCHEDULE_LABEL = {
    "flash": "{product}秒杀",
    "launch": "{choice}",
    "live": "直播开播",
    "live_preview": "直播提醒",
    "seeding": "{product}种草",
    "topic": "互动话题",
    "warmup": "{choice}",
}


class PostWriter:
    """Renders one planned post. `points` are the FABE outputs by product id."""

    def __init__(self, writer: Writer, plan: WeekPlan, points: dict[str, SellingPoints]) -> None:
        self.w = writer
        self.plan = plan
        self.points = points
        self.phrases = writer.playbook.phrases
        self.base = writer.facts.base()

    def values(self, post: Planned) -> dict[str, str]:
        facts, canvas = self.w.facts, self.w.canvas
        date = facts.day_date(post.day)
        purpose = self.plan.purposes[post.day]
        product = canvas.product(post.product_id) if post.product_id else None
        if product is not None:
            persona = facts.persona_of(product, post.day - 1)
        else:
            persona = facts.persona_for(post.day - 1)
        trade = facts.trade or self.phrases.generic
        live_day = canvas.burst.livestream_day
        values = (
            self.base
            | {
                "weekday": weekday(date),
                "date": date_label(date),
                "time": post.time,
                "purpose": purpose.name,
                "purpose_desc": self.w.fill(purpose.announce, self.base),
                "persona": persona.name,
                "persona_scene": facts.persona_scene(persona),
                "pain": self.w.pick(facts.pains(persona)),
                "launch_when": facts.when(canvas.burst.launch_day, post.day),
                "launch_line": facts.launch_line(said_on=post.day, at=post.time),
                "live_when": facts.when(live_day, post.day) if live_day else "",
            }
            | facts.product_vars(canvas.products[0])
        )
        if post.product_id:
            product = canvas.product(post.product_id)
            values |= facts.product_vars(product, post.day - 1)
            chain = self._chain(post)
            if chain is not None:
                advantage = chain.advantage
                if neutral_advantage(self.w, product, advantage):
                    advantage = values["feature_b"]  # a neutral frame says nothing: next feature
                values |= {
                    "advantage": advantage,
                    "benefit": self._benefit(post, chain) or advantage,
                    "evidence": chain.evidence,
                }
        values.setdefault("advantage", values["feature"])
        values.setdefault("benefit", f"适合{persona.name}")
        values.setdefault("evidence", "")
        # Week-long rotations: two posts of one slot never get the same usage, care or photo line.
        turn = self._turn(post)
        for key, options in (
            ("usage", trade.usage),
            ("care", trade.care),
            ("photo_brief", trade.photo_briefs),
        ):
            values[key] = self.w.say_turn(options, values, turn, f"{post.slot}:{key}", product)
        values["product_bullets"] = "\n".join(
            f"· {p.name}：{clip(min(p.features, key=len), 30)}" for p in canvas.products[:4]
        )
        return values

    def _chain(self, post: Planned) -> Fabe | None:
        points = self.points.get(post.product_id or "")
        if points is None:
            return None
        # FABE chain i speaks to persona i (see fabe.py); match the persona of the day.
        personas = len(self.w.canvas.personas)
        matching = [
            c for i, c in enumerate(points.fabe) if i % personas == (post.day - 1) % personas
        ]
        return (matching or points.fabe)[post.day % len(matching or points.fabe)]

    def render(self, post: Planned, post_id: str) -> Post:
        values = self.values(post)
        title, body = getattr(self, f"_{post.slot}")(post, values)
        if post.slot != "note":  # a note is voiced as it is built (its tags stay last)
            body = self.w.facts.voice(body, post.day)
        return Post(
            id=post_id,
            day=post.day,
            date=self.w.facts.day_date(post.day),
            time=post.time,
            channel=post.channel,
            activity_type=post.activity_type,
            form=post.form,
            goal=post.goal,
            product_id=post.product_id,
            title=clip(title, 40),
            body=clip(body, 1200),
            needs_poster=post.poster_kind is not None,
            poster_kind=post.poster_kind,
        )

    # --- one method per slot kind ---------------------------------------------------------

    def _schedule(self, day: int, skip: set[str]) -> list[str]:
        lines = []
        for other in self.plan.on_day(day):
            label = _SCHEDULE_LABEL.get(other.slot)
            if other.slot == "flash" and other.choice == "launch":
                label = "活动开始·{product}"
            away = other.channel != self.plan.home and other.slot != "live"
            if label is None or other.slot in skip or away:
                continue
            product = self.w.canvas.product(other.product_id).name if other.product_id else ""
            text = label.format(product=product, choice=self._label(other.choice))
            lines.append(f"· {other.time} {text}")
        return lines

    def _label(self, choice: str) -> str:
        """A short, customer-facing name for a launch step or a warm-up method."""
        for point in self.w.playbook.calendar.launch_timeline:
            if point.step == choice:
                return point.title
        labels = self.w.playbook.phrases.warmup_labels
        if choice in labels:
            return labels[choice].format(method=choice)
        return {"invite": "新朋友进群指南", "launch": "活动开始"}.get(choice, choice)

    def _pool(self, name: str, generic: list[str]) -> list[str]:
        """The trade's own wordings for `name` when it has them, else the generic ones."""
        voice = self.w.facts.trade.voice if self.w.facts.trade else None
        return list(getattr(voice, name)) if voice is not None else list(generic)

    def _turn(self, post: Planned) -> int:
        """This post's place among the week's posts of its slot (for week-long rotations)."""
        same = [p for p in self.plan.posts if p.slot == post.slot]
        return next((i for i, p in enumerate(same) if p is post), post.day)

    def _say(self, post: Planned, name: str, generic: list[str], v: dict[str, str]) -> str:
        return self.w.say_turn(self._pool(name, generic), v, self._turn(post), name)

    def _morning(self, post: Planned, v: dict[str, str]) -> tuple[str, str]:
        m = self.phrases.morning
        schedule = self._schedule(post.day, {"morning"})
        parts = [
            self._say(post, "morning_openers", m.openers, v),
            self.w.say_turn(m.purpose_lines, v, self._turn(post), "purpose"),
        ]
        if schedule:
            parts.append("今天群里的安排：\n" + "\n".join(schedule))
        parts.append(self._say(post, "morning_closings", m.closings, v))
        return self.w.say_turn(m.titles, v, self._turn(post), "morning_titles"), "\n".join(parts)

    def _seeding(self, post: Planned, v: dict[str, str]) -> tuple[str, str]:
        s = self.phrases.seeding
        turn = self._turn(post)
        points = self.points.get(post.product_id or "")
        product = self.w.canvas.product(post.product_id) if post.product_id else None
        openers = self._pool("seeding_openers", s.openers)
        lines = [
            self.w.say_turn(openers, v, turn, "seeding_openers", product),
            f"【{v['product']}】{v['specs']}",
        ]
        if points is not None:
            chains = points.fabe[turn % len(points.fabe) :] + points.fabe[: turn % len(points.fabe)]
            product = self.w.canvas.product(post.product_id)
            for c in chains[:2]:
                if neutral_advantage(self.w, product, c.advantage):  # no filler frame
                    lines.append(f"· {c.feature}")
                elif c.feature in c.advantage:
                    lines.append(f"· {c.advantage}")
                else:
                    lines.append(f"· {c.feature}：{c.advantage}")
            benefit = self._benefit(post, chains[0])
            if benefit:  # nothing known for this reader: no filler line
                lines.append(f"{benefit}。")
            evidence = next((c.evidence for c in chains if c.evidence), "")
            if evidence:
                frame = self.w.rotate(s.evidence_frames, turn, "evidence")
                lines.append(self.w.fill(frame, v | {"evidence": evidence}))
        else:
            lines.append(f"· {v['feature']}")
        lines.append(f"{v['price_line']}，{v['service']}。")
        closings = self._pool("seeding_closings", s.closings) + list(self.w.facts.tone.closings)
        lines.append(self.w.say_turn(closings, v, turn, "seeding_closings", product))
        return self.w.say_turn(s.titles, v, turn, "seeding_titles"), "\n".join(lines)

    def _benefit(self, post: Planned, chain: Fabe) -> str:
        """The chain's benefit for this post's reader: a benefit told to another persona would
        switch the reader mid-post, so it is told again for the post's own persona."""
        canvas = self.w.canvas
        product = canvas.product(post.product_id)
        persona = self.w.facts.persona_of(product, post.day - 1)
        index = next((i for i, f in enumerate(product.features) if f.startswith(chain.feature)), 0)
        return benefit_for(self.w, product, index, persona, neutral=False)

    def _flash(self, post: Planned, v: dict[str, str]) -> tuple[str, str]:
        if post.choice == "launch":
            return self._opening(v)
        f, turn = self.phrases.flash, self._turn(post)
        if post.product_id:  # at the sale itself, its price is the price
            v = v | {
                "price_line": self.w.facts.price_line(self.w.canvas.product(post.product_id), True)
            }
        body = [
            self.w.say_turn(f.openers, v, turn, "flash_openers"),
            self.w.say_turn(f.bodies, v, turn, "flash_bodies"),
            self.w.say_turn(f.closings, v, turn, "flash_closings"),
        ]
        return self.w.say_turn(f.titles, v, turn, "flash_titles"), "\n".join(body)

    def _opening(self, v: dict[str, str]) -> tuple[str, str]:
        """The launch post of a week without a group buy: what starts, at what price, how."""
        lines = [f"「{v['theme']}」今天{v['launch_time']}开始。"]
        burst = "，".join(self.w.facts.burst_lines())
        if burst:
            lines.append(f"{burst}。")
        lines.append(f"【{v['product']}】{v['feature']}。{v['price_line']}。")
        # The operator's other rules, without the clauses the burst line above already said.
        rest = [
            c.strip()
            for c in re.split(r"[，,；;。]", v["burst_notes"])
            if c.strip() and c.strip() not in burst
        ]
        if rest:
            lines.append(f"活动说明：{'，'.join(rest)}。")
        lines.append(f"{v['service']}。")
        return f"「{v['theme']}」今天开始", "\n".join(lines)

    def _topic(self, post: Planned, v: dict[str, str]) -> tuple[str, str]:
        if post.choice.startswith("trade:") and self.w.facts.trade is not None:
            question = self.w.fill(self.w.facts.trade.topics[int(post.choice[6:])], v)
            frame = self.w.rotate(self.phrases.topic_frames, self._turn(post), "topic_frames")
            title = f"聊聊：{clip(question.rstrip('？?'), 24)}"
            return title, self.w.fill(frame, v | {"question": question})
        planned = next(t for t in self.phrases.topics if t.key == post.choice)
        # A game the group's rules do not allow (e.g. chat off the shop's subject) gives way to
        # the next one that fits; the planned one stays when none does.
        fits = [t for t in self.phrases.topics if self.w.allowed(t.title + t.body)]
        topic = planned if planned in fits or not fits else fits[0]
        return self.w.fill(topic.title, v), self.w.fill(topic.body, v)

    def _moments(self, post: Planned, v: dict[str, str]) -> tuple[str, str]:
        moment = self.phrases.moments[int(post.choice)]
        title = f"{self.w.fill(moment.title, v)}（{v['weekday']}）"
        return title, f"{self.w.fill(moment.body, v)}\n【配图建议】{v['photo_brief']}"

    def _note(self, post: Planned, v: dict[str, str]) -> tuple[str, str]:
        note = self.phrases.notes[int(post.choice)]
        body = self.w.facts.voice(self.w.fill(note.body, v), post.day)
        return clip(self.w.fill(note.title, v), 20), f"{body}\n{' '.join(self._tags(post))}"

    def _tags(self, post: Planned) -> list[str]:
        """Three to six 小红书 tags, each one word without spaces."""
        canvas, facts = self.w.canvas, self.w.facts
        product = canvas.product(post.product_id) if post.product_id else canvas.products[0]
        words = [product.category, canvas.brand.name, canvas.theme.name, product.name]
        words += [facts.trade.key] if facts.trade else []
        words += ["好物分享", "生活记录", "真实分享"]
        tags = [_NOT_IN_TAG.sub("", w) for w in words]
        return [f"#{t}" for t in dict.fromkeys(t for t in tags if t)][:5]

    def _evening(self, post: Planned, v: dict[str, str]) -> tuple[str, str]:
        e = self.phrases.evening
        today = {p.product_id for p in self.plan.on_day(post.day) if p.product_id}
        names = [p.name for p in self.w.canvas.products if p.id in today]
        parts = [self._say(post, "evening_openers", e.openers, v)]
        if names:
            recap = v | {"products_today": "、".join(names[:3])}
            # one product today: the recap speaks of that product, so it must fit its form
            only = (
                next(p for p in self.w.canvas.products if p.id in today)
                if len(names) == 1
                else None
            )
            pool = self._pool("evening_recaps", e.recap)
            if only is not None:  # one product today: no 这几样 for it
                several = [*self.phrases.several_products, "几件", "几样", "几款"]
                pool = [o for o in pool if not any(w in o for w in several)] or pool
            parts.append(self.w.say_turn(pool, recap, self._turn(post), "evening_recaps", only))
        if post.day < 7:
            tomorrow = self.w.facts.day_date(post.day + 1)
            plan = self._schedule(post.day + 1, {"morning", "topic"})[:3]
            # Tomorrow's announcement, said the evening before: its 今天/今晚 are tomorrow's.
            upcoming = self.plan.purposes[post.day + 1]
            if upcoming is self.w.playbook.calendar.special_days["warmup"]:
                # A warm-up day's own words promise times: give them (the launch's, said from
                # tonight), so the same promise is not repeated every evening of the warm-up.
                purpose = f"「{v['theme']}」{v['launch_when']}{v['launch_time']}开始"
            else:
                announce = self.w.fill(upcoming.announce, self.base)
                purpose = announce.replace("今天", "明天").replace("今晚", "明晚")
            agenda = "；".join(line.removeprefix("· ") for line in plan) or purpose
            extra = {"tomorrow": date_label(tomorrow), "tomorrow_plan": f"{purpose}，{agenda}"}
            parts.append(self.w.say_turn(e.tomorrow, v | extra, self._turn(post), "tomorrow"))
        else:
            parts.append(self.w.say(e.last_day, v))
        parts.append(self._say(post, "evening_closings", e.closings, v))
        titles = e.titles if post.day < 7 else e.last_titles
        return self.w.say_turn(titles, v, self._turn(post), "evening_titles"), "\n".join(parts)

    def _warmup(self, post: Planned, v: dict[str, str]) -> tuple[str, str]:
        if post.choice == "invite":
            i = self.phrases.invite
            return self.w.say(i.titles, v), self.w.say(i.bodies, v)
        title, body = self.phrases.warmup[post.choice]
        v = v | {"method": post.choice}
        methods = [
            p for p in self.plan.posts if p.slot == "warmup" and p.choice in self.phrases.warmup
        ]
        facts = self.w.facts
        if facts.note_clauses(post.choice, ("warmup",)):
            # The operator's notes say how this method works (付10元订金，锁定周六的提货时段…):
            # the post states their rules as written, never the playbook's generic ones.
            body = f"{v['warmup_notes']}。"
            if post.choice not in _RULED:  # a rule-free method keeps its own call to action
                body += "\n" + self.w.fill(self.phrases.warmup[post.choice][1], v)
            product = self.w.canvas.product(post.product_id) if post.product_id else None
            if product is not None and any(
                w and w in v["warmup_notes"] for w in (product.name, product.category)
            ):  # the notes speak of this product: its price belongs beside them
                body += f"\n{product.name}：{v['price_line']}。"
            return self.w.fill(title, v), body
        body = self.w.fill(body, v)
        told = any(facts.note_clauses(p.choice, ("warmup",)) for p in methods)
        if v["warmup_notes"] and methods[0] is post and not told:  # the rules, said once
            body += f"\n说明：{v['warmup_notes']}。"
        return self.w.fill(title, v), body

    def _launch(self, post: Planned, v: dict[str, str]) -> tuple[str, str]:
        point = next(p for p in self.w.playbook.calendar.launch_timeline if p.step == post.choice)
        body = self.w.say(self.phrases.launch[point.step], v)
        return f"{point.title}｜{v['theme']}", body

    def _live_preview(self, post: Planned, v: dict[str, str]) -> tuple[str, str]:
        live = self.phrases.live
        day = self.w.canvas.burst.livestream_day or post.day
        v = v | {"live_weekday": weekday(self.w.facts.day_date(day))}
        if post.choice == "preview":
            return self.w.say(live.preview_titles, v), self.w.say(live.preview_bodies, v)
        return self.w.say(live.reminder_titles, v), self.w.say(live.reminder_bodies, v)

    def _live(self, post: Planned, v: dict[str, str]) -> tuple[str, str]:
        live = self.phrases.live
        return self.w.say(live.room_titles, v), self.w.say(live.room_bodies, v)


def _unique_titles(posts: list[Post]) -> list[Post]:
    """Two posts of a week never share a title: a repeat gets its day and time added."""
    seen: set[str] = set()
    out = []
    for post in posts:
        title = post.title
        if title in seen:
            title = clip(f"{title}·{weekday(post.date)}{post.time}", 40)
        seen.add(title)
        out.append(post if title == post.title else post.model_copy(update={"title": title}))
    return out


def write_calendar(
    writer_for, plan: WeekPlan, points: dict[str, SellingPoints], item_id: str
) -> WeekCalendar:
    """`writer_for(post_id)` gives each post its own seeded writer, so a rewrite is local."""
    posts = []
    for planned in plan.posts:
        post_id = plan.post_id(planned)
        posts.append(PostWriter(writer_for(post_id), plan, points).render(planned, post_id))
    return WeekCalendar(id=item_id, posts=_unique_titles(posts))


def rewrite_post(writer: Writer, plan: WeekPlan, points, post: Post, variant: int) -> Post:
    """A fresh wording of `post`, keeping its place, product and purpose."""
    planned = next(
        (p for p in plan.posts if plan.post_id(p) == post.id and p.channel == post.channel),
        None,
    )
    if planned is None:
        planned = Planned(
            day=post.day, time=post.time, channel=post.channel, slot="seeding",
            activity_type=post.activity_type, form=post.form, goal=post.goal,
            product_id=post.product_id,
        )  # fmt: skip
    planned = _fresh_choice(writer.playbook.phrases, plan, planned, variant)
    new = PostWriter(writer, plan, points).render(planned, post.id)
    keep = {"day", "date", "time", "channel", "activity_type", "form", "goal", "product_id"}
    update = {k: getattr(post, k) for k in keep | {"needs_poster", "poster_kind"}}
    stamp = f"{weekday(post.date)}{post.time}"
    if variant and stamp not in new.title:
        # The rest of the week is not visible here; day and time keep the new title unique.
        update["title"] = f"{clip(new.title, 40 - len(stamp) - 1)}·{stamp}"
    return new.model_copy(update=update)


def _fresh_choice(phrases: PhraseBank, plan: WeekPlan, planned: Planned, variant: int) -> Planned:
    """For slots that draw one template per week, take one the week has not used."""
    if variant == 0 or planned.slot not in {"topic", "moments", "note"}:
        return planned
    used = {p.choice for p in plan.posts if p.slot == planned.slot}
    if planned.slot == "topic":
        pool = [t.key for t in phrases.topics if t.key not in used]
    elif planned.slot == "moments":
        kind = phrases.moments[int(planned.choice)].kind
        pool = [str(i) for i, m in enumerate(phrases.moments) if m.kind == kind]
        pool = [c for c in pool if c not in used] or pool
    else:
        pool = [str(i) for i in range(len(phrases.notes)) if str(i) not in used]
    if not pool:
        return planned
    rng = rng_for(variant, planned.slot, planned.day, planned.time)
    return Planned(**{**planned.__dict__, "choice": rng.choice(pool)})
