"""Shared pieces of the template engine: canvas facts as phrase variables, and a seeded writer.

Every number in a composed text comes from here — the canvas's prices, stock, dates and clock
times — so phrase banks never need digits of their own.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TypeVar

from pipelines.canvas import Canvas, Persona, Product, Scene
from pipelines.content import format_price
from pipelines.content.honesty import Honesty
from pipelines.knowledge import (
    attributes_in,
    foreign_words,
    group_rule_rewrites,
    group_rule_words,
    persona_for_product,
    tone_for,
    trade_for,
    voice,
)
from pipelines.playbook import Playbook, load_playbook
from pipelines.playbook.models import ToneProfile, TradePack

T = TypeVar("T")

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
# Used only when a persona lists no pain point: a need every shopper has, with no claim in it.
FALLBACK_PAIN = "挑东西费时间，又怕买错"
_BREAKS = "，。；、！？,;!? "
_IN_NUMBER = re.compile(r"[\d.][\d.]")  # a digit run continuing across the cut
# Words an operator's notes use for a burst method besides the method's own name.
_METHOD_WORDS = {
    "优惠券": ("券",),
    "满减": ("满",),
    "套餐": ("套餐", "组合"),
    "限时限量": ("限时", "限量", "限"),
}


def launch_time(canvas: Canvas) -> str:
    """When the launch or drop starts: the canvas says so, or the live that day, or its first
    flash sale, or 10:00."""
    burst = canvas.burst
    if burst.launch_time:
        return burst.launch_time
    if burst.livestream_day == burst.launch_day:
        return burst.livestream_time
    return burst.flash_sale_times[0] if burst.flash_sale_times else "10:00"


def customer_notes(notes: str) -> str:
    """The customer-facing part of an operator's notes: its own mechanics (1 元锁定名额, 试饮会),
    without the clauses that are the operator's schedule (周二晚预告, 周四发细节)."""
    plan = load_playbook().phrases.plan_words
    clauses = [c.strip() for c in re.split(r"[，,；;。\n]", notes) if c.strip()]
    return "，".join(c for c in clauses if not any(word in c for word in plan))


def _pairs(text: str) -> set[str]:
    chars = re.sub(r"[\s\d，。、；：,.;:！？!?（）()]", "", text)
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def rng_for(seed: int, *parts: object) -> random.Random:
    """A generator seeded from text, stable across processes (unlike `hash()` of a str)."""
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def clip(value: str, limit: int) -> str:
    """Shorten to `limit` characters, preferring to cut at a clause break."""
    value = value.strip()
    if len(value) <= limit:
        return value
    head = value[:limit]
    cut = max(head.rfind(ch) for ch in _BREAKS)
    head = head[:cut] if cut >= limit // 2 else head
    # Never split a number: "39.9" cut to "39." would be a price the canvas never gave.
    while head and _IN_NUMBER.match(value, len(head) - 1):
        head = head[:-1]
    return head.rstrip(_BREAKS)


def price_text(value: Decimal) -> str:
    return f"{format_price(value)}元"


def weekday(day: dt.date) -> str:
    return WEEKDAYS[day.weekday()]


def date_label(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def shift(hhmm: str, minutes: int) -> str:
    """A clock time moved by `minutes`, kept inside the same day."""
    hours, mins = map(int, hhmm.split(":"))
    total = min(max(hours * 60 + mins + minutes, 0), 23 * 60 + 59)
    return f"{total // 60:02d}:{total % 60:02d}"


class Facts:
    """What the canvas says, as ready-made phrase variables (computed once per task)."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.days = canvas.days
        self._product_vars: dict[tuple[str | None, int], dict[str, str]] = {}
        playbook = load_playbook()
        self.trade: TradePack | None = trade_for(canvas, playbook)
        self.tone: ToneProfile = tone_for(canvas, playbook)
        self.honesty = Honesty(canvas)
        # Words no phrase may use here, as one pattern: the avoided ones, the trade's words this
        # store never uses (a tea shop never speaks of coffee beans, a cat shop of dog walks),
        # calls to action its group rules forbid, and 「这几款」 for a one-product canvas.
        rules = playbook.honesty.group_rules
        blocked = [*canvas.avoid_words, *foreign_words(canvas, self.trade)]
        blocked += group_rule_words(canvas, rules)
        if len(canvas.products) == 1:
            blocked += playbook.phrases.several_products
        words = sorted(set(blocked), key=len, reverse=True)
        self.blocked = re.compile("|".join(map(re.escape, words))) if words else None
        self.rewrites = group_rule_rewrites(canvas, rules)
        # Memos: the same phrases, features and products are looked at by every post.
        self._allowed: dict[tuple[str, str | None], bool] = {}
        self._attributes: dict[str, list] = {}
        self._personas: dict[tuple[str | None, int], Persona] = {}
        self._burst: dict[bool, list[str]] = {}
        self._conditions: dict[str | None, str] = {}

    def allowed(self, text: str, product: Product | None = None) -> bool:
        """`text` claims nothing unbacked, uses no avoided, foreign or rule-breaking word, no
        season word outside the week's dates, and presumes no form the product (or, without
        one, every product of the canvas) lacks."""
        key = (text, product.id if product is not None else None)
        found = self._allowed.get(key)
        if found is None:
            honesty = self.honesty
            found = (
                not honesty.unbacked(text)
                and (self.blocked is None or not self.blocked.search(text))
                and not honesty.off_season(text)
                and honesty.fits(text, product)
            )
            self._allowed[key] = found
        return found

    def attributes(self, feature: str) -> list:
        """The trade lexicon's attributes a feature mentions (see knowledge.attributes_in)."""
        if feature not in self._attributes:
            self._attributes[feature] = attributes_in(feature, self.trade)
        return self._attributes[feature]

    def persona_of(self, product: Product, turn: int = 0) -> Persona:
        """The persona a product speaks to (see knowledge.persona_for_product), memoised."""
        personas = self.canvas.personas
        key = (product.id, turn)
        if key not in self._personas:
            # the operator's own benefits say whom the product is for, too (老人一拧就会用)
            told = product.model_copy(update={"features": [*product.features, *product.benefits]})
            self._personas[key] = persona_for_product(told, personas, self.trade, turn)
        return self._personas[key]

    def voice(self, text: str, index: int = 0) -> str:
        """`text` in the speaker's tone (address, punctuation, emoji, sentence length)."""
        return voice(text, self.tone, index)

    def persona_scene(self, persona: Persona) -> str:
        """The persona's situation in its own words (its description, else its first pain point)."""
        text = persona.description or (persona.pain_points[0] if persona.pain_points else "")
        return clip(text.rstrip("。"), 50) or "日常"

    def when(self, event_day: int, said_on: int) -> str:
        """How a post on day `said_on` names day `event_day`: 今天, 明天, 后天 or 周X（M月D日）."""
        gap = event_day - said_on
        if gap == 0:
            return "今天"
        if gap == 1:
            return "明天"
        if gap == 2:
            return "后天"
        date = self.day_date(event_day)
        return f"{weekday(date)}（{date_label(date)}）"

    @property
    def audience(self) -> str:
        """How the speaker addresses the group: neighbours, members or friends."""
        scenes = self.canvas.scenes
        if self.tone.address:
            return self.tone.address.removesuffix("们")
        if Scene.COMMUNITY_GROUP_BUY in scenes:
            return "邻居"
        if Scene.STORE_MEMBER_GROUP in scenes or Scene.MALL_GROUP in scenes:
            return "会员朋友"
        return "朋友"

    @property
    def flash_times(self) -> list[str]:
        return list(self.canvas.burst.flash_sale_times)

    @property
    def launch_time(self) -> str:
        return launch_time(self.canvas)

    def day_date(self, day: int) -> dt.date:
        return self.days[day - 1]

    def pains(self, persona: Persona) -> list[str]:
        return [clip(p, 60) for p in persona.pain_points] or [FALLBACK_PAIN]

    def persona_for(self, index: int) -> Persona:
        return self.canvas.personas[index % len(self.canvas.personas)]

    def category(self, product: Product) -> str:
        return product.category or "好物"

    def service(self, product: Product | None = None) -> str:
        if product is not None and product.service:
            return product.service
        if self.canvas.burst.service:
            return self.canvas.burst.service
        return f"售后问题随时找{self.canvas.speaker.name}"

    def after_sale(self) -> str:
        """The products' own service promises (what after-sale care can point to)."""
        clauses = [
            clause.strip()
            for p in self.canvas.products
            for clause in re.split(r"[，,；;。]", p.service)
            if clause.strip()
        ]
        return "，".join(list(dict.fromkeys(clauses))[:4]) or self.service()

    def flash_only(self, product: Product) -> bool:
        """The product's promo price is its flash-sale price: the canvas names it among the
        flash-sale products, so the price holds at the sale's times, not all day."""
        burst = self.canvas.burst
        return (
            "秒杀" in burst.methods
            and product.promo_price is not None
            and product.id in burst.flash_sale_products
        )

    def promo_condition(self, product: Product) -> str:
        """The operator's clause that names this product's promo price with its condition
        (「12 月 23 日当天下单的草莓圣诞树蛋糕 168 元」, 「早餐套餐工作日 15 元」), or ''."""
        if product.promo_price is None:
            return ""
        if product.id not in self._conditions:
            number = re.compile(rf"(?<![\d.]){re.escape(format_price(product.promo_price))}\s*元")
            name = _pairs(product.name)
            found = ""
            for clause in self.note_clauses_all():
                names_it = product.name in clause or len(name & _pairs(clause)) >= 2
                if number.search(clause) and names_it:
                    found = clause
                    break
            self._conditions[product.id] = found
        return self._conditions[product.id]

    def note_clauses_all(self) -> list[str]:
        notes = "，".join(
            customer_notes(n) for n in (self.canvas.burst.notes, self.canvas.warmup.notes)
        )
        return [c.strip() for c in re.split(r"[，,；;。]", notes) if c.strip()]

    def live_price_line(self, product: Product) -> str:
        """The price said in the live: a flash-sale product's promo price only when its sale
        runs during the live (at that time), else its regular price."""
        if not self.flash_only(product):
            return self.price_line(product)
        in_live = self.flash_in_live()
        if in_live:
            promo = price_text(product.promo_price)
            return f"原价{price_text(product.price)}，今晚{'、'.join(in_live)}秒杀价{promo}"
        return f"到手价{price_text(product.price)}"

    def price_line(self, product: Product, flash: bool = False) -> str:
        """Original and promo price; for a flash-sale product outside its sale, the promo price
        is named as the flash price at its times (a 5-yuan croissant is 5 yuan at 16:30 only)."""
        if product.promo_price is not None and product.promo_price < product.price:
            if self.flash_only(product) and not flash:
                times = "、".join(self.flash_times) or self.launch_time
                return f"原价{price_text(product.price)}，{times}秒杀价{price_text(product.promo_price)}"
            condition = self.promo_condition(product)
            if condition:  # the promo price holds when the operator says, not all week
                return f"原价{price_text(product.price)}，{condition}"
            return f"原价{price_text(product.price)}，活动价{price_text(product.promo_price)}"
        return f"到手价{price_text(product.price)}"

    def stock_line(self, product: Product) -> str:
        """The product's stock as the canvas gives it; nothing when it gives none."""
        if product.stock:
            return f"这次准备了{product.stock}份"
        return "数量以下单页为准"

    def _price_short(self, product: Product) -> str:
        """Name and price; a flash-sale product's promo price with its times."""
        if self.flash_only(product):
            times = "、".join(self.flash_times)
            promo = price_text(product.promo_price)
            return f"{product.name}{price_text(product.price)}（{times}秒杀价{promo}）"
        condition = self.promo_condition(product)
        if condition:
            return f"{product.name}{price_text(product.price)}（{condition}）"
        return f"{product.name}{price_text(product.offer_price)}"

    def live_price_summary(self) -> str:
        """The products and their prices as said in the live (see `live_price_line`)."""
        shown = self.canvas.products
        parts = []
        for p in shown[:4]:
            line = self.live_price_line(p)
            parts.append(self._price_short(p) if not self.flash_only(p) else f"{p.name}{line}")
        return "、".join(parts) + ("等" if len(shown) > 4 else "")

    def price_summary(self, products: Sequence[Product] | None = None) -> str:
        shown = list(products if products is not None else self.canvas.products)
        text = "、".join(self._price_short(p) for p in shown[:4])
        return text + ("等" if len(shown) > 4 else "")

    def stock_summary(self) -> str:
        stocked = [p for p in self.canvas.products if p.stock]
        if not stocked:
            return "数量以下单页为准"
        return "这次准备了" + "、".join(f"{p.name}{p.stock}份" for p in stocked[:4])

    def launch_line(self, said_on: int | None = None, at: str = "00:00") -> str:
        """When the week's event starts and how it runs, as said on day `said_on` at `at`."""
        burst = self.canvas.burst
        started = said_on is not None and (
            said_on > burst.launch_day or (said_on == burst.launch_day and at >= self.launch_time)
        )
        if started:
            return (
                f"「{self.canvas.theme.name}」已经开始了，有需要的随时找{self.canvas.speaker.name}"
            )
        lines = [line for line in self.burst_lines() if "开团" not in line]
        if said_on is None:
            when = weekday(self.day_date(burst.launch_day))
        else:
            when = self.when(burst.launch_day, said_on)
        verb = "准时开团" if burst.group_buy and "开团" in burst.methods else "活动正式开始"
        lines.insert(0, f"{when}{self.launch_time}{verb}")
        return "，".join(lines[:2])

    def flash_schedule(self) -> str:
        """When the flash sales run, as the planner lays them out: on the canvas's days at all
        its times, or one a day with the times taking turns."""
        days = sorted(self.canvas.burst.flash_sale_days)
        times = "、".join(self.flash_times) or self.launch_time
        if days:
            return "、".join(weekday(self.day_date(d)) for d in days) + times
        if len(self.flash_times) > 1:
            return f"每天一场（{times}轮流）"
        return f"每天{times}"

    def method_words(self, method: str) -> set[str]:
        """The words that name a warm-up or burst method (订金 → 订金、定金、尾款)."""
        words = {method, *_METHOD_WORDS.get(method, ())}
        for mechanic in load_playbook().honesty.mechanics:
            if mechanic.key == method or method in mechanic.backed_by:
                words |= set(mechanic.words)
        return words

    def note_clauses(self, method: str, which: tuple[str, ...] = ("warmup", "burst")) -> list[str]:
        """The clauses of the operator's notes (customer-facing part) that speak of `method`:
        its own numbers (满199元可领30元优惠券, 付10元订金…)."""
        words = self.method_words(method)
        notes = "，".join(customer_notes(getattr(self.canvas, w).notes) for w in which)
        clauses = [c.strip() for c in re.split(r"[，,；;。]", notes) if c.strip()]
        return [c for c in clauses if any(w in c for w in words)]

    def flash_in_live(self) -> list[str]:
        """The flash-sale times that fall inside the live (on its day, between start and end)."""
        burst = self.canvas.burst
        if burst.livestream_day is None or "秒杀" not in burst.methods:
            return []
        days = burst.flash_sale_days
        if days and burst.livestream_day not in days:
            return []
        start = burst.livestream_time
        end = shift(start, burst.livestream_minutes)
        return [t for t in self.flash_times if start <= t <= end]

    def burst_lines(self, live: bool = False) -> list[str]:
        if live not in self._burst:
            self._burst[live] = self._burst_lines(live)
        return list(self._burst[live])

    def _burst_lines(self, live: bool) -> list[str]:
        """One line per burst method: the operator's own words for it when the notes have them
        (with their numbers), else the playbook's neutral line. Said `live` (in the livestream),
        a flash sale is named only when one runs during the live, at its times."""
        lines = load_playbook().phrases.burst_lines
        launch_date = self.day_date(self.canvas.burst.launch_day)
        values = {
            "launch_weekday": weekday(launch_date),
            "launch_time": self.launch_time,
            "flash_times": "、".join(self.flash_times) or self.launch_time,
            "flash_schedule": self.flash_schedule(),
        }
        out = []
        for method in self.canvas.burst.methods:
            own = self.note_clauses(method)
            if live and method == "秒杀":
                in_live = self.flash_in_live()
                own = [c for c in own if any(t in c for t in in_live)]
                if in_live and not own:
                    own = [f"今晚{'、'.join(in_live)}有秒杀"]
                if not in_live:
                    continue
            said = {c for line in out for c in line.split("，")}
            own = [c for c in own if c not in said]  # a clause two methods share is said once
            if not own and self.note_clauses(method) and not (live and method == "秒杀"):
                continue  # its own words were all said with an earlier method
            line = "，".join(own) if own else lines[method].format_map(values)
            if line not in out:
                out.append(line)
        return out

    @functools.cached_property
    def _base(self) -> dict[str, str]:
        return self._compute_base()

    def base(self) -> dict[str, str]:
        """Variables every phrase may use (a fresh copy the caller may extend)."""
        return dict(self._base)

    def _compute_base(self) -> dict[str, str]:
        canvas = self.canvas
        launch_date = self.day_date(canvas.burst.launch_day)
        names = [p.name for p in canvas.products]
        return {
            "brand": canvas.brand.name,
            "audience": self.audience,
            "theme": canvas.theme.name,
            "theme_desc": canvas.theme.description.rstrip("。") or f"{canvas.brand.name}的本周主题",
            "speaker": canvas.speaker.name,
            "flash_times": "、".join(self.flash_times) or self.launch_time,
            "flash_schedule": self.flash_schedule(),
            "address": self.tone.address or "大家",
            "warmup_notes": customer_notes(canvas.warmup.notes),
            "burst_notes": customer_notes(canvas.burst.notes),
            "verb": self.trade.verb if self.trade else "用",
            "first_time": load_playbook().calendar.slot("morning").times[0],
            "launch_time": self.launch_time,
            "launch_date": date_label(launch_date),
            "launch_weekday": weekday(launch_date),
            "launch_line": self.launch_line(),
            "price_summary": self.price_summary(),
            "stock_summary": self.stock_summary(),
            "service_summary": self.after_sale(),
            "product_list": "、".join(names),
            "product_names": "、".join(names[:6]),
            "live_time": canvas.burst.livestream_time,
        }

    def product_vars(self, product: Product, feature_index: int = 0) -> dict[str, str]:
        key = (product.id, feature_index)
        if key not in self._product_vars:
            self._product_vars[key] = self._compute_product_vars(product, feature_index)
        return dict(self._product_vars[key])

    def _compute_product_vars(self, product: Product, feature_index: int) -> dict[str, str]:
        features = [clip(f, 60) for f in product.features]
        feature = features[feature_index % len(features)]
        other = features[(feature_index + 1) % len(features)]
        others = [p.name for p in self.canvas.products if p.id != product.id]
        return {
            "product": product.name,
            "category": self.category(product),
            "specs": product.specs or "详见商品页",
            "feature": feature,
            "feature_b": other if other != feature else "按说明使用和保存就好",
            "feature_hint": min(features, key=len),
            "price_line": self.price_line(product),
            "stock_line": self.stock_line(product),
            "service": self.service(product),
            "other_product": others[feature_index % len(others)] if others else product.name,
        }


class Writer:
    """Picks phrases with a seeded generator and fills them; skips phrases with avoided words."""

    def __init__(
        self,
        canvas: Canvas,
        playbook: Playbook,
        rng: random.Random,
        facts: Facts | None = None,
        seed: int = 0,
    ) -> None:
        self.canvas = canvas
        self.seed = seed
        self.playbook = playbook
        self.rng = rng
        self.facts = facts or Facts(canvas)
        self.honesty = self.facts.honesty
        self.blocked = self.facts.blocked
        self.rewrites = self.facts.rewrites

    def clean(self, options: Sequence[T], product: Product | None = None) -> list[T]:
        """Options that claim nothing the canvas does not back and use none of its avoided words;
        with a `product`, also none that presumes a form it does not have (a jar, a pump).

        A phrase list may hold mechanic-specific wordings beside neutral ones: a canvas without
        that mechanic simply never draws them. With no option left, all are returned and the
        engine's honesty check names the gap in the data.
        """
        ok = [o for o in options if self.allowed(str(o), product)]
        return ok or list(options)

    def allowed(self, text: str, product: Product | None = None) -> bool:
        """`text` claims nothing unbacked, uses no avoided, foreign or rule-breaking word, no
        season word outside the week's dates, and presumes no form the product (or, without
        one, every product of the canvas) lacks."""
        return self.facts.allowed(text, product)

    def pick(self, options: Sequence[T], product: Product | None = None) -> T:
        return self.rng.choice(self.clean(options, product))

    def rotate(
        self, options: Sequence[T], turn: int, salt: str, product: Product | None = None
    ) -> T:
        """The `turn`-th option of a week-long shuffle of `options` (seeded by seed and salt):
        posts of one slot on different days never share a wording while the pool lasts, and
        each post still picks alone, so a rewrite stays local."""
        pool = self.clean(options, product)
        random.Random(f"{self.seed}:{salt}").shuffle(pool)
        return pool[turn % len(pool)]

    def say_turn(
        self,
        options: Sequence[str],
        values: dict[str, str],
        turn: int,
        salt: str,
        product: Product | None = None,
    ) -> str:
        return self.fill(self.rotate(options, turn, salt, product), values)

    def sample(self, options: Sequence[T], count: int, product: Product | None = None) -> list[T]:
        pool = self.clean(options, product)
        return self.rng.sample(pool, min(count, len(pool)))

    def fill(self, template: str, values: dict[str, str]) -> str:
        text = template.format_map(values)
        for old, new in self.rewrites:  # fixed sentences too follow the canvas's group rules
            text = text.replace(old, new)
        return text

    def say(self, options: Sequence[str], values: dict[str, str]) -> str:
        return self.fill(self.pick(options), values)
