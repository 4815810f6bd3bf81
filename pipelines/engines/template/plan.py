"""The week's shape: which post goes out when, where, for what, featuring which product.

The shape depends on the canvas and the seed only (never on a rewrite's variant), so one post can
be rewritten alone and still sit in the same slot. Wording is done in `posts.py`.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, field, replace

from pipelines.canvas import Canvas, Channel, Product, Scene, ThemeKind
from pipelines.content import Goal, PosterKind
from pipelines.engines.template.common import launch_time, rng_for, shift
from pipelines.errors import EngineError
from pipelines.knowledge import foreign_words, trade_for
from pipelines.playbook import Playbook
from pipelines.playbook.models import DayPurpose, Slot, Topic

_CHANNEL_ORDER = {c: i for i, c in enumerate(Channel)}


@dataclass(frozen=True)
class Planned:
    """One post's place in the week, before it has words."""

    day: int
    time: str
    channel: Channel
    slot: str
    activity_type: str
    form: str
    goal: Goal
    product_id: str | None = None
    choice: str = field(default="", compare=False)  # topic key, template index, method, step
    poster_kind: PosterKind | None = None

    @property
    def sort_key(self) -> tuple[int, str, int]:
        return (self.day, self.time, _CHANNEL_ORDER[self.channel])


@dataclass
class WeekPlan:
    canvas: Canvas
    purposes: dict[int, DayPurpose]
    posts: list[Planned]
    home: Channel = Channel.GROUP

    def __post_init__(self) -> None:
        counts: Counter[int] = Counter()
        self._ids: dict[int, str] = {}
        for planned in self.posts:  # already in (day, time) order
            counts[planned.day] += 1
            self._ids[id(planned)] = f"post-d{planned.day}-{counts[planned.day]:02d}"

    def post_id(self, planned: Planned) -> str:
        return self._ids[id(planned)]

    def on_day(self, day: int) -> list[Planned]:
        return [p for p in self.posts if p.day == day]


def warmup_days(canvas: Canvas) -> list[int]:
    launch = canvas.burst.launch_day
    return [d for d in range(launch - canvas.warmup.days_before, launch) if d >= 1]


def day_purposes(canvas: Canvas, playbook: Playbook) -> dict[int, DayPurpose]:
    """One clear purpose per day: the canvas fixes the special days, the rest follow a rhythm."""
    burst, guide = canvas.burst, playbook.calendar
    ordinary = {p.key: p for p in guide.day_purposes}
    out: dict[int, DayPurpose] = {}
    warm = warmup_days(canvas)
    for day in range(1, 8):
        if day == burst.launch_day:
            member = canvas.theme.kind == ThemeKind.MEMBER_DAY
            out[day] = guide.special_days["member_day" if member else "launch"]
        elif day == burst.livestream_day:
            out[day] = guide.special_days["livestream"]
        elif day in warm:
            out[day] = guide.special_days["warmup"]
    free = [d for d in range(1, 8) if d not in out]
    wanted: list[tuple[int | None, str]] = [
        (7, "recap"),
        (burst.launch_day + 1, "reorder"),
        (free[0] if free else None, "welcome"),
        (next((d for d in free if canvas.days[d - 1].weekday() >= 5), None), "weekend"),
    ]
    used: set[str] = set()
    for day, key in wanted:
        if day in free and day not in out:
            out[day] = ordinary[key]
            used.add(key)
    # The weekend's purpose only ever falls on a Saturday or Sunday.
    rest = itertools.cycle([k for k in ordinary if k not in used | {"weekend"}])
    for day in free:
        out.setdefault(day, ordinary[next(rest)])
    return out


class _Clock:
    """Per-day, per-channel time keeping so two posts never share a slot in one channel."""

    def __init__(self) -> None:
        self.used: dict[tuple[int, Channel], set[str]] = {}

    def take(self, day: int, channel: Channel, times: list[str], fallback: str = "09:00") -> str:
        used = self.used.setdefault((day, channel), set())
        for time in times:
            if time not in used:
                used.add(time)
                return time
        time = times[-1] if times else fallback
        step = 15
        while time in used:
            later = shift(time, step)
            if later == time:  # hit the end of the day: look earlier instead
                step = -15
                later = shift(time, step)
            time = later
        used.add(time)
        return time


def plan_week(canvas: Canvas, playbook: Playbook, seed: int) -> WeekPlan:
    """Lay out the week: fixed times first (秒杀, 开团, 直播), then the daily rhythm."""
    planner = _Planner(canvas, playbook, rng_for(seed, "plan"))
    for day in range(1, 8):
        planner.fixed_times(day)
        planner.rhythm(day)
    posts = planner.posts
    _feature_everyone(posts, canvas.products, planner.clock, playbook.calendar, planner.home)
    _one_poster_a_day(posts)
    for day in range(1, 8):
        _keep_day_order(posts, canvas, day)
    posts.sort(key=lambda p: p.sort_key)
    return WeekPlan(canvas=canvas, purposes=planner.purposes, posts=posts, home=planner.home)


class _Planner:
    """The state of one week being laid out: the clock, the rotations, the unused templates."""

    def __init__(self, canvas: Canvas, playbook: Playbook, rng) -> None:
        self.canvas, self.rng = canvas, rng
        self.guide, self.phrases = playbook.calendar, playbook.phrases
        self.burst, self.channels = canvas.burst, set(canvas.channels)
        self.purposes = day_purposes(canvas, playbook)
        self.home = _home_channel(canvas)
        trade = trade_for(canvas, playbook)
        self.trade_times = dict(trade.times) if trade else {}
        self.flash_sales = "秒杀" in canvas.burst.methods
        self.clock = _Clock()
        self.posts: list[Planned] = []
        products = canvas.products
        self.promo = [p for p in products if p.promo_price is not None] or products
        self.seed_cycle = itertools.cycle(products)
        self.flash_chosen = [canvas.product(i) for i in canvas.burst.flash_sale_products]
        # 「20:30 猫砂秒杀」 in the operator's notes says which product that sale is.
        self.flash_named = {
            t: found
            for t in canvas.burst.flash_sale_times
            if (found := named_at(canvas.burst.notes, t, products)) is not None
        }
        self.flash_cycle = itertools.cycle(self.flash_chosen or self.promo)
        self.extra_cycle = itertools.cycle(products[1:] + products[:1])
        self.main = self.promo[0]
        member_day = canvas.theme.kind == ThemeKind.MEMBER_DAY
        self.festive = "会员日活动" if member_day else "本周IP活动"
        flash_type = self.guide.slot("flash").activity_type
        self.flash_type = "爆款特卖" if Scene.MALL_GROUP in canvas.scenes else flash_type
        generic = list(self.phrases.topics)
        rng.shuffle(generic)
        foreign = foreign_words(canvas, trade)
        own = [
            Topic(key=f"trade:{i}", kind="话题", title="聊聊", body=question)
            for i, question in enumerate(trade.topics if trade else [])
            if not any(word in question for word in foreign)
        ]
        rng.shuffle(own)
        # The trade's own questions first; the everyday games fill in after them.
        self.topics = own + generic
        self.notes = list(range(len(self.phrases.notes)))
        rng.shuffle(self.notes)
        with_moments = Channel.MOMENTS in self.channels
        self.moments_a_day = (
            2 if canvas.channels[0] == Channel.MOMENTS or self.home == Channel.MOMENTS else 1
        )
        count = 7 * self.moments_a_day
        self.moment_kinds = _moments_kinds(self.guide, count, rng) if with_moments else []
        self.moment_pool: dict[str, list[int]] = {}
        single = self.phrases.several_products if len(products) == 1 else []
        for share in self.guide.moments_balance:  # a list, not a set: a stable draw order
            indices = [
                i
                for i, m in enumerate(self.phrases.moments)
                if m.kind == share.kind and not any(w in m.body for w in single)
            ]
            self.moment_pool[share.kind] = rng.sample(indices, k=len(indices))
        self.warm = warmup_days(canvas)
        # 小红书 as the main channel gets a note a day; as a side channel, three a week.
        main_note = canvas.channels[0] == Channel.XIAOHONGSHU
        self.note_days = set(range(1, 8)) if main_note else {1, 4, 6}
        # A method the operator's notes spell out (付10元订金…周五20:00截止) comes first, on the
        # earliest warm-up day: its rules often carry a deadline the later days would pass.
        notes = canvas.warmup.notes
        self.methods = sorted(canvas.warmup.methods, key=lambda m: m not in notes)
        if self.burst.group_buy and "预告" in self.methods:
            self.methods.remove("预告")  # the T-1 preview of the launch timeline says it
        self.launch_time = launch_time(canvas)

    def add(self, template: Slot, day: int, time: str, product: Product | None = None, **extra):
        channel = template.channel if template.channel in self.channels else self.home
        planned = Planned(
            day=day,
            time=time,
            channel=channel,
            slot=template.key,
            activity_type=template.activity_type,
            form=template.form,
            goal=template.goal,
            product_id=product.id if product else None,
        )
        self.posts.append(replace(planned, **extra))

    def flexible(self, key: str, day: int, product: Product | None = None, **extra) -> None:
        slot = self.guide.slot(key)
        channel = slot.channel if slot.channel in self.channels else self.home
        times = self.trade_times.get(key) or list(slot.times)
        self.add(slot, day, self.clock.take(day, channel, times), product, **extra)

    def fixed_times(self, day: int) -> None:
        """Flash sales at the canvas's times, the launch timeline, the show."""
        burst, home, main = self.burst, self.home, self.main
        is_launch = day == burst.launch_day
        # The launch comes first on its day, at its own time; flash sales only when chosen.
        times = list(burst.flash_sale_times) if self.flash_sales else []
        if burst.flash_sale_days and day not in burst.flash_sale_days:
            times = []  # the canvas names its sale days; this is not one of them
        if is_launch:
            times = [self.launch_time, *(t for t in times if t != self.launch_time)]
        elif times and not burst.flash_sale_days:  # a daily habit: one sale a day, in turn
            times = [times[(day - 1) % len(times)]]
        flash = self.guide.slot("flash")
        launch = self.guide.slot("launch")
        # When the launch is the live itself, the live's own post opens it.
        live_launch = (
            is_launch and day == burst.livestream_day and Channel.LIVESTREAM in self.channels
        )
        for index, time in enumerate(times):
            if live_launch and index == 0:
                continue
            self.clock.take(day, home, [time])
            if is_launch and index == 0:
                slot = launch if burst.group_buy else flash
                choice = "T-0开团" if burst.group_buy else "launch"
                self.add(slot, day, time, main, choice=choice, activity_type=self.festive)
                continue
            product = self.flash_named.get(time) or next(self.flash_cycle)
            if is_launch and product is main and len(self.promo) > 1 and not self.flash_chosen:
                product = next(self.flash_cycle)  # the launch already features the main product
            self.add(flash, day, time, product, activity_type=self.flash_type)
        if is_launch and burst.group_buy:
            for step, offset in (("T-10分钟倒计时", -10), ("T+30分钟播报", 30)):
                time = self.clock.take(day, home, [shift(self.launch_time, offset)])
                goal = "促活" if offset < 0 else "转化"
                self.add(
                    launch, day, time, main, choice=step, activity_type=self.festive, goal=goal
                )
            time = self.clock.take(day, home, ["20:30", "20:00"])
            self.add(
                launch, day, time, None, choice="结束战绩", activity_type=self.festive, goal="复购"
            )
        if day == burst.livestream_day:
            if Channel.LIVESTREAM in self.channels:
                live = self.guide.slot("live")
                time = self.clock.take(day, live.channel, [burst.livestream_time])
                self.add(live, day, time, main)
            self.flexible("live_preview", day, main, choice="reminder", goal="转化")
        if burst.livestream_day and day == burst.livestream_day - 1:
            self.flexible("live_preview", day, main, choice="preview")

    def rhythm(self, day: int) -> None:
        """The everyday slots, the warm-up, the after-sale note, 朋友圈 and 小红书."""
        burst, main, purpose = self.burst, self.main, self.purposes[day].key
        self.flexible("morning", day, goal="拉新" if purpose == "welcome" else "促活")
        if purpose == "welcome":
            self.flexible("warmup", day, choice="invite", goal="裂变", activity_type="日常品牌活动")
        if day != burst.launch_day:
            self.flexible("seeding", day, next(self.seed_cycle))
        topic = next(t for t in self.topics if t.key != "share_photo" or day > burst.launch_day)
        self.topics.remove(topic)
        product = next(self.extra_cycle) if _needs_product(topic.body) else None
        self.flexible("topic", day, product, choice=topic.key)
        if day in self.warm:
            if burst.group_buy and day == burst.launch_day - 1:
                self.flexible(
                    "warmup",
                    day,
                    main,
                    slot="launch",
                    choice="T-1天预告",
                    activity_type=self.festive,
                )
            for method in self.methods[self.warm.index(day) :: len(self.warm)]:
                uses_product = _needs_product("".join(self.phrases.warmup[method]))
                self.flexible("warmup", day, main if uses_product else None, choice=method)
        if burst.group_buy and day == burst.launch_day + 1:
            self.flexible(
                "seeding", day, main, slot="launch", choice="售后跟进", goal="复购",
                activity_type=self.festive, form="常规性短消息",
            )  # fmt: skip
        self.flexible("evening", day)
        for _ in range(self.moments_a_day if self.moment_kinds else 0):
            kind = self.moment_kinds.pop()
            share = next(m for m in self.guide.moments_balance if m.kind == kind)
            index = self.moment_pool[kind].pop()
            body = self.phrases.moments[index].body
            product = next(self.extra_cycle) if _needs_product(body) else None
            self.flexible(
                "moments", day, product, choice=str(index),
                activity_type=share.activity_type, goal=share.goal,
            )  # fmt: skip
        if Channel.XIAOHONGSHU in self.channels and day in self.note_days:
            self.flexible("note", day, next(self.seed_cycle), choice=str(self.notes[day - 1]))


_PRODUCT_KEYS = (
    "product",
    "feature",
    "feature_b",
    "feature_hint",
    "price_line",
    "specs",
    "service",
)


def named_at(notes: str, time: str, products: list[Product]) -> Product | None:
    """The one product the notes name right after `time` (「21:30 试吃装秒杀」 → 猫粮试吃装):
    the product sharing the longest run of characters (two at least) with that phrase; None
    when the notes do not say, or two products fit equally well."""
    found = re.search(re.escape(time) + r"\s*([^，。；,;\n]{1,20})", notes or "")
    if found is None:
        return None
    phrase = found.group(1)
    scores = [
        (max(_common_run(phrase, p.name), _common_run(phrase, p.category)), p) for p in products
    ]
    best = max(score for score, _ in scores)
    fits = [p for score, p in scores if score == best]
    return fits[0] if best >= 2 and len(fits) == 1 else None


def _common_run(a: str, b: str) -> int:
    """The length of the longest run of characters `a` and `b` share."""
    return max(
        (n for i in range(len(a)) for n in range(len(a) - i, 0, -1) if a[i : i + n] in b),
        default=0,
    )


def _needs_product(template: str) -> bool:
    return any(f"{{{key}}}" in template for key in _PRODUCT_KEYS)


def _home_channel(canvas: Canvas) -> Channel:
    """Where the group slots go: the group itself, or the persona's 朋友圈 when there is none."""
    for channel in (Channel.GROUP, Channel.MOMENTS):
        if channel in canvas.channels:
            return channel
    raise EngineError(
        "模板引擎按社群节奏排一周内容，画布的渠道里至少要有「社群」或「朋友圈」，请在渠道里加上其中一个"
    )


def _moments_kinds(guide, count: int, rng) -> list[str]:
    """Kinds for `count` 朋友圈 posts in the playbook's balance (largest remainder)."""
    exact = {m.kind: m.share * count / 100 for m in guide.moments_balance}
    counts = {k: int(v) for k, v in exact.items()}
    for kind in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True):
        if sum(counts.values()) >= count:
            break
        counts[kind] += 1
    kinds = list(Counter(counts).elements())
    rng.shuffle(kinds)
    return kinds


def _feature_everyone(
    posts: list[Planned], products: list[Product], clock, guide, home: Channel
) -> None:
    """Products the rhythm did not reach get an extra seeding post on the quietest days."""
    featured = {p.product_id for p in posts}
    missing = [p for p in products if p.id not in featured]
    slot = guide.slot("seeding")
    for index, product in enumerate(missing):
        day = index % 7 + 1
        time = clock.take(day, home, ["16:30", "17:00", "17:30"])
        posts.append(
            Planned(
                day=day,
                time=time,
                channel=home,
                slot=slot.key,
                activity_type=slot.activity_type,
                form=slot.form,
                goal=slot.goal,
                product_id=product.id,
            )
        )


def _poster_rank(post: Planned) -> tuple[int, PosterKind] | None:
    """How strongly a post deserves the day's poster, and which kind it would be."""
    if post.choice in ("T-0开团", "launch"):
        return 0, PosterKind.ACTIVITY
    if post.choice == "T-1天预告":
        return 1, PosterKind.PREVIEW
    if post.slot == "live_preview":
        return (2 if post.choice == "preview" else 3), PosterKind.PREVIEW
    if post.choice == "invite":
        return 4, PosterKind.FISSION
    if post.slot == "seeding" and post.product_id:
        return 5, PosterKind.PRODUCT
    if post.slot == "flash":
        return 6, PosterKind.PRODUCT
    return None


def _one_poster_a_day(posts: list[Planned]) -> None:
    """Each day's main post gets a poster; the launch day adds its results poster (eight at most)."""
    for day in range(1, 8):
        ranked = [(r, i) for i, p in enumerate(posts) if p.day == day and (r := _poster_rank(p))]
        if ranked:
            (_, kind), index = min(ranked, key=lambda x: (x[0][0], x[1]))
            posts[index] = replace(posts[index], poster_kind=kind)
    for index, post in enumerate(posts):
        if post.choice == "结束战绩":
            posts[index] = replace(post, poster_kind=PosterKind.RESULTS)


def _keep_day_order(posts: list[Planned], canvas: Canvas, day: int) -> None:
    """Order within a day: the morning agenda first, 晚安 last, 截团 after the progress report,
    and nothing but the live's own posts while the live is on."""
    today = [i for i, p in enumerate(posts) if p.day == day]
    used = {(posts[i].channel, posts[i].time) for i in today}

    def move(i: int, time: str, step: int) -> None:
        post = posts[i]
        used.discard((post.channel, post.time))
        while (post.channel, time) in used:
            time = shift(time, step)
        used.add((post.channel, time))
        posts[i] = replace(post, time=time)

    burst = canvas.burst
    if day == burst.livestream_day:
        start, end = burst.livestream_time, shift(burst.livestream_time, burst.livestream_minutes)
        in_room = Channel.LIVESTREAM in canvas.channels
        for i in today:
            if posts[i].slot == "live" or not start <= posts[i].time < end:
                continue
            if posts[i].slot == "flash" and in_room:  # a sale during the live is the live's own
                used.discard((posts[i].channel, posts[i].time))
                posts[i] = replace(posts[i], channel=Channel.LIVESTREAM)
                used.add((Channel.LIVESTREAM, posts[i].time))
            else:
                move(i, shift(start, -15), -15)
    by_choice = {posts[i].choice: i for i in today if posts[i].slot == "launch"}
    if "T+30分钟播报" in by_choice and "结束战绩" in by_choice:
        report, close = by_choice["T+30分钟播报"], by_choice["结束战绩"]
        if posts[close].time <= posts[report].time:
            move(close, shift(posts[report].time, 30), 15)
    mornings = [i for i in today if posts[i].slot == "morning"]
    evenings = [i for i in today if posts[i].slot == "evening"]
    others = [i for i in today if i not in mornings + evenings]
    if not others:
        return
    earliest = min(posts[i].time for i in others)
    for i in mornings:
        if posts[i].time >= earliest:
            move(i, shift(earliest, -15), -15)
    latest = max(posts[i].time for i in others)
    if day == burst.livestream_day:
        latest = max(latest, shift(burst.livestream_time, burst.livestream_minutes))
    for i in evenings:
        if posts[i].time <= latest:
            move(i, shift(latest, 15), 15)
