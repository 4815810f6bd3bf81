"""Say nothing the canvas does not back: the checks every generated text passes, in both engines.

A mechanic (秒杀, 红包, 抽奖, 订金, 直播…), a gift, a scarcity line or a proof claim may appear in
generated copy only when the canvas names it: one of its options (`warmup.methods`,
`burst.methods`, a live day, a stock figure, a group buy) or its own words. Evidence quotes the
canvas. A relative date next to a clock time ("明天10:00") must point at a post of the week.

These run on engine output only; a person editing a draft may write what they know.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from pydantic import BaseModel

from pipelines.canvas import Canvas, Product
from pipelines.content.base import iter_texts
from pipelines.content.items import FabeCard, Post, WeekCalendar
from pipelines.content.scripts import LivestreamScript
from pipelines.knowledge import group_rule_words
from pipelines.playbook import load_playbook
from pipelines.playbook.models import Form, Mechanic

# Labels and enums are the plan's words, not claims made to customers.
_NOT_COPY = (
    "activity_type", "form", "goal", "review_metrics", "situation", "persona", "topic", "speaker"
)  # fmt: skip
_WEEKDAY = "一二三四五六日"
_DATED = re.compile(r"(今天|今晚|明天|明晚|后天|周[一二三四五六日])\s*的?\s*(\d{1,2}:\d{2})")


def canvas_words(canvas: Canvas) -> str:
    """All the canvas's own text (its avoided words excluded: naming a word to avoid backs nothing)."""
    return json.dumps(canvas.model_dump(mode="json", exclude={"avoid_words"}), ensure_ascii=False)


def backed_mechanics(canvas: Canvas, mechanics: Iterable[Mechanic] | None = None) -> set[str]:
    """Keys of the mechanics this canvas names, by option or in its own words."""
    mechanics = load_playbook().honesty.mechanics if mechanics is None else mechanics
    options = set(canvas.warmup.methods) | set(canvas.burst.methods)
    if canvas.burst.livestream_day is not None:
        options.add("live")
    if any(p.stock for p in canvas.products):
        options.add("stock")
    if canvas.burst.group_buy:
        options.add("group_buy")
    own = canvas_words(canvas)
    return {
        m.key
        for m in mechanics
        if options & set(m.backed_by) or any(word in own for word in m.words)
    }


def _pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words))) if words else None


def product_text(product: Product) -> str:
    """What a product's own fields say it is (name, category, specs, features, benefits)."""
    return " ".join([product.name, product.category, product.specs, *product.features,
                     *product.benefits])  # fmt: skip


def product_forms(product: Product, forms: Iterable[Form] | None = None) -> set[str]:
    """The forms (罐装, 按压泵, 滴管…) the product's own fields signal."""
    forms = load_playbook().honesty.forms if forms is None else forms
    text = product_text(product)
    # the product's own words may say it outright (「上身显高」 is a garment's)
    return {f.key for f in forms if any(word in text for word in (*f.signals, *f.presumes))}


def week_seasons(canvas: Canvas) -> set[str]:
    """The seasons the canvas's seven days fall in."""
    months = {day.month for day in canvas.days}
    return {s.key for s in load_playbook().honesty.seasons if months & set(s.months)}


class Honesty:
    """The honesty rules for one canvas, computed once and applied to many texts."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        guide = load_playbook().honesty
        mechanics = guide.mechanics
        self.rule_breaking = group_rule_words(canvas, guide.group_rules)
        backed = backed_mechanics(canvas, mechanics)
        self.banned = {w: m.key for m in mechanics if m.key not in backed for w in m.words}
        self._pattern = _pattern(self.banned)
        # Season words of the seasons this week is not in (the canvas's own words excepted).
        own = canvas_words(canvas)
        seasons = week_seasons(canvas)
        self.off_season_words = {
            w: s.key for s in guide.seasons if s.key not in seasons for w in s.words if w not in own
        }
        self._season = _pattern(self.off_season_words)
        # What a line presumes of the product (a jar, a pump), and what each product is.
        self._presumes = {w: f.key for f in guide.forms for w in f.presumes}
        self._form_pattern = _pattern(self._presumes)
        self.forms = {p.id or p.name: product_forms(p, guide.forms) for p in canvas.products}
        self.canvas_forms = set().union(*self.forms.values())
        self._persona_words = sorted(
            {t for p in canvas.personas for t in (p.description, *p.pain_points) if t},
            key=len,
            reverse=True,
        )

    def off_season(self, text: str) -> list[str]:
        """Season words in `text` that do not fit the canvas's dates (夏天 in a December week)."""
        return [] if self._season is None else self._season.findall(text)

    def presumed(self, text: str) -> set[str]:
        """The product forms `text` presumes (小勺挖取 → 罐装, 泵头 → 按压泵)."""
        if self._form_pattern is None:
            return set()
        return {self._presumes[m] for m in self._form_pattern.findall(text)}

    def fits(self, text: str, product: Product | None = None) -> bool:
        """`text` presumes no form the product (or, without one, every product) lacks."""
        presumed = self.presumed(text)
        if not presumed:
            return True
        for quoted in self._persona_words:  # a persona's own words quoted say nothing of a form
            text = text.replace(quoted, "")
        presumed = self.presumed(text)
        if not presumed:
            return True
        have = self.forms.get(product.id or product.name, set()) if product else self.canvas_forms
        for other in self.canvas.products:  # a line naming a product may speak of its form
            if other.name in text:
                have = have | self.forms.get(other.id or other.name, set())
        return presumed <= have

    def unbacked(self, text: str) -> list[tuple[str, str]]:
        """(word, mechanic) for each claim in `text` that the canvas does not back."""
        if self._pattern is None:
            return []
        return [(m.group(), self.banned[m.group()]) for m in self._pattern.finditer(text)]

    def problems(self, output: BaseModel) -> list[str]:
        """Every honesty problem of one engine output, one Chinese line each."""
        lines = []
        for path, value in iter_texts(output):
            if path.rsplit(".", 1)[-1].split("[")[0] in _NOT_COPY:
                continue
            for word, key in dict.fromkeys(self.unbacked(value)):
                lines.append(
                    f"{path}：写了「{word}」，但画布没有安排「{key}」，请删掉或改成画布里有的内容"
                )
            if value not in self.canvas.group_rules:  # the kit quotes the rules themselves
                lines += [
                    f"{path}：「{word}」是在号召群友做群规不允许的事，请按群规改说法"
                    for word in self.rule_breaking
                    if word in value
                ]
            lines += [
                f"{path}：「{word}」不合这一周的季节（画布日期），请删掉或换成合时令的说法"
                for word in dict.fromkeys(self.off_season(value))
            ]
        if isinstance(output, FabeCard):
            lines += self._evidence(output)
        if isinstance(output, WeekCalendar):
            lines += date_problems(output.posts, self.canvas)
        lines += self._form_problems(output)
        return lines

    def _form_problems(self, output: BaseModel) -> list[str]:
        """Care, usage and demo lines that presume a form the product does not have: a post or
        a live segment is read against its own product, the rest against all the products."""
        if self._form_pattern is None or not self._form_pattern.search(output.model_dump_json()):
            return []  # nothing in it presumes a form
        by_id = {p.id: p for p in self.canvas.products}
        if isinstance(output, WeekCalendar):
            owners = {f"posts[{i}]": by_id.get(p.product_id) for i, p in enumerate(output.posts)}
        elif isinstance(output, LivestreamScript):
            owners = {
                f"segments[{i}]": by_id.get(s.product_id) for i, s in enumerate(output.segments)
            }
        else:
            owners = {}
        own = by_id.get(output.product_id) if isinstance(output, FabeCard) else None
        lines = []
        for path, value in iter_texts(output):
            if not self._form_pattern.search(value):
                continue
            if path.rsplit(".", 1)[-1].split("[")[0] in (*_NOT_COPY, "operator_notes"):
                continue  # labels, and the notes to the operator, are not copy
            product = owners.get(path.split(".", 1)[0], own)
            if self.fits(value, product):
                continue
            name = product.name if product else "这一周的商品"
            forms = "、".join(sorted(self.presumed(value)))
            lines.append(f"{path}：说法预设了「{forms}」，但{name}的字段里没有写这种形态")
        return lines

    def _evidence(self, points: FabeCard) -> list[str]:
        try:
            given = self.canvas.product(points.product_id).evidence
        except KeyError:
            return []
        return [
            f"fabe[{i}].evidence：「{item.evidence}」不是画布里这个商品的证据，只能原样引用画布证据或留空"
            for i, item in enumerate(points.fabe)
            if item.evidence and not any(ev in item.evidence for ev in given)
        ]


_LAST: list[tuple[Canvas, str, Honesty]] = []  # the week's canvas: its tasks share one


def check_generated(output: BaseModel, canvas: Canvas) -> list[str]:
    """The honesty problems of one engine output (empty when it says only what the canvas backs)."""
    return honesty_for(canvas).problems(output)


def honesty_for(canvas: Canvas) -> Honesty:
    """The rules for `canvas`, reused while the same canvas (same object, same content) asks."""
    dump = canvas.model_dump_json()
    if _LAST and _LAST[0][0] is canvas and _LAST[0][1] == dump:
        return _LAST[0][2]
    honesty = Honesty(canvas)
    _LAST[:] = [(canvas, dump, honesty)]
    return honesty


def resolve_day(word: str, day: int, canvas: Canvas) -> int:
    """The week day (1–7, or outside) a relative date word means when said on `day`."""
    if word in ("今天", "今晚"):
        return day
    if word in ("明天", "明晚"):
        return day + 1
    if word == "后天":
        return day + 2
    weekday = _WEEKDAY.index(word[-1])
    start = canvas.days[day - 1].weekday()
    return day + (weekday - start) % 7


def date_problems(posts: list[Post], canvas: Canvas) -> list[str]:
    """A relative date with a clock time must name a later moment of this week that has a post."""
    at = {(p.day, p.time) for p in posts}
    if canvas.burst.livestream_day is not None:
        at.add((canvas.burst.livestream_day, canvas.burst.livestream_time))
    own = canvas_words(canvas)  # the operator's own notes may name their own moments
    lines = []
    for post in posts:
        for match in _DATED.finditer(f"{post.title}\n{post.body}"):
            if match.group() in own:
                continue
            word, time = match.groups()
            time = time.zfill(5)
            target = resolve_day(word, post.day, canvas)
            if not 1 <= target <= 7:
                lines.append(f"帖子「{post.title}」说「{match.group()}」，但那天不在本周")
            elif (target, time) not in at:
                lines.append(f"帖子「{post.title}」说「{match.group()}」，但那天那个时间没有安排")
            elif target == post.day and time < post.time:
                lines.append(
                    f"帖子「{post.title}」在 {post.time} 预告已经过去的「{match.group()}」"
                )
    return lines
